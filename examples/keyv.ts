// DiskCache under Keyv: `@diskcache/diskcache/keyv`. One directory holds two
// namespaces; clearing one leaves the other; a second store on the same
// directory (another process, say) sees what the first wrote.
//   node examples/keyv.ts [directory]      (also: deno run -A examples/keyv.ts, bun examples/keyv.ts)
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Keyv from "keyv";
import { KeyvDiskCache } from "../keyv.ts"; // in your project: from "@diskcache/diskcache/keyv"

const directory = process.argv[2] ?? mkdtempSync(join(tmpdir(), "diskcache-keyv-"));

// One adapter per Keyv instance; each namespace becomes the items' tag.
const users = new Keyv({ store: new KeyvDiskCache(directory, { sizeLimit: 2 ** 30 }), namespace: "users" });
const sessions = new Keyv({ store: new KeyvDiskCache(directory), namespace: "sessions" });

await users.set("ada", { name: "Ada", admin: true }, 60_000); // ttl in milliseconds
await sessions.set("s1", "ada", 60_000);
console.log(`users.get("ada") = ${JSON.stringify(await users.get("ada"))}`);
console.log(`sessions.get("s1") = ${JSON.stringify(await sessions.get("s1"))}`);

await sessions.clear(); // the "sessions" namespace only
console.log(
  `after sessions.clear(): session ${JSON.stringify(await sessions.get("s1") ?? null)}, user ${JSON.stringify(await users.get("ada"))}`,
);

// Another store on the same directory reads what the first one wrote.
const other = new Keyv({ store: new KeyvDiskCache(directory), namespace: "users" });
console.log(`another store sees ${JSON.stringify(await other.get("ada"))}`);

await Promise.all([users.disconnect(), sessions.disconnect(), other.disconnect()]);
if (process.argv[2] === undefined) rmSync(directory, { recursive: true, force: true });
