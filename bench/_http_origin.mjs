// What the HTTP hit benches share: their `--name value` arguments and a local
// origin that answers /s/SIZE/N with SIZE random bytes, cacheable for an hour.
// Random bytes, as in bench/sections/http.mjs (SqliteCacheStore compresses
// bodies over 1 MiB; most bodies on the wire are compressed already).
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";

/** The value after `--name` on the command line, or `fallback`. */
export function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : process.argv[i + 1];
}

/** Starts the origin for bodies up to `maxSize` bytes; returns its base URL and a close(). */
export async function bodyOrigin(maxSize) {
  const pool = randomBytes(maxSize);
  const server = createServer((req, res) => {
    const size = Number(req.url.split("/")[2]);
    res.writeHead(200, { "cache-control": "max-age=3600", "content-length": String(size) });
    res.end(pool.subarray(0, size));
  });
  server.keepAliveTimeout = 0; // undici's idle connection stays open: no reset racing its next request
  await new Promise((done) => server.listen(0, "127.0.0.1", done));
  return { base: `http://127.0.0.1:${server.address().port}`, close: () => server.close() };
}
