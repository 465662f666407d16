// Setup for bench/run.mjs: installs the Debian packages the benchmarks use
// (python3-diskcache, memcached, redis-server) with apt-get when running as
// root and one is missing, and checks that the npm peers of workload 1 are
// installed and load. Nothing missing is skipped silently: what cannot be
// used is printed here and returned with its reason, and the workload-1
// section writes the same line into bench/RESULTS.md.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";

const DEBIAN = [
  ["python3-diskcache", "python-diskcache 5.x rows of workload 1"],
  ["memcached", "the memcached row of workload 1"],
  ["redis-server", "the Redis row of workload 1"],
];
/** npm peers of workload 1 and the module a bench/peers script imports. */
export const NPM_PEERS = ["memjs", "redis", "keyv", "@keyv/sqlite", "sqlite3", "lmdb", "cacache", "flat-cache", "node-persist", "file-system-cache"];

const installed = (pkg) => spawnSync("dpkg-query", ["-W", "-f=${Status}", pkg], { encoding: "utf8" }).stdout?.includes("install ok installed");

let result;
/** Runs once; returns { problems: Map<name, reason> } (empty when all is there). */
export function setup({ root, bin }) {
  if (result) return result;
  const problems = new Map();
  const missing = DEBIAN.filter(([pkg]) => !installed(pkg));
  if (missing.length > 0) {
    const names = missing.map(([pkg]) => pkg);
    if (process.getuid?.() === 0 && spawnSync("apt-get", ["--version"]).status === 0) {
      console.log(`setup: installing ${names.join(", ")} with apt-get (running as root)...`);
      const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
      spawnSync("apt-get", ["update", "-qq"], { stdio: "inherit", env });
      // --no-install-recommends and policy-rc.d-free: the servers are started by
      // the benchmark itself on free ports, never as system services.
      const r = spawnSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...names], { stdio: "inherit", env });
      if (r.status !== 0) console.log("setup: apt-get install failed");
      // Debian starts the services on install; the benchmark uses its own instances.
      for (const svc of ["memcached", "redis-server"]) if (names.includes(svc)) spawnSync("service", [svc, "stop"], { stdio: "ignore" });
    } else {
      console.log(`setup: not root or no apt-get; cannot install ${names.join(", ")}`);
    }
    for (const [pkg, why] of missing) {
      if (!installed(pkg)) problems.set(pkg, `Debian package ${pkg} is not installed (needed for ${why}); install it with apt-get install ${pkg}`);
    }
  }
  for (const name of NPM_PEERS) {
    if (!existsSync(join(root, "node_modules", name, "package.json"))) {
      problems.set(name, `npm package ${name} is not installed; run npm ci (it is a devDependency)`);
      continue;
    }
    // Native ones must also load (sqlite3 builds from source, lmdb ships binaries).
    if (name === "sqlite3" || name === "lmdb") {
      const r = spawnSync(bin("node"), ["-e", `require(${JSON.stringify(name)})`], { cwd: root, encoding: "utf8" });
      if (r.status !== 0) {
        problems.set(
          name,
          `npm package ${name} does not load on Node 24: ${r.stderr.trim().split("\n").find((l) => /Error/.test(l)) ?? "unknown error"}`,
        );
      }
    }
  }
  for (const [name, why] of problems) console.log(`setup: ${name}: ${why}`);
  if (problems.size === 0) console.log("setup: all benchmark peers present");
  result = { problems };
  return result;
}
