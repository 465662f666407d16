#!/usr/bin/env node
// The build npm pack and npm publish ship (package.json "prepack"): the
// library alone, compiled from scratch into an empty dist/, so that nothing
// stale (a file whose source was removed, the test build) can ship. Fails
// first when the manifests disagree with deno.json's exports (scripts/manifests.mjs).
// `npm test` rebuilds dist/ whole (tests included) for the Node 20 row.
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { staleManifests } from "./manifests.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const stale = staleManifests();
if (stale.length > 0) {
  console.error(
    `${stale.join(", ")} disagree with deno.json's "exports": run \`node scripts/manifests.mjs\` and commit the result`,
  );
  process.exit(1);
}
rmSync(join(root, "dist"), { recursive: true, force: true });
const tsc = join(root, "node_modules", ".bin", "tsc");
const r = spawnSync(tsc, ["-p", join(root, "tsconfig.build.json")], { cwd: root, stdio: "inherit" });
if (r.status !== 0) {
  console.error(
    r.error ? `cannot run ${tsc}: ${r.error.message} (run npm install first)` : "build failed: tsc reported errors",
  );
  process.exit(1);
}
