// undici for the tests of its cache interceptor, which is Node's fetch
// machinery: undici 8 on Node 24, undici 7 on Node 20, nothing on Deno and Bun.
/** The undici module's type (undici 7's is the same where the tests use it). */
export type Undici = typeof import("undici");

/** "Deno" or "Bun" where undici's cache interceptor does not run; `undefined` on Node. */
export const notNode: "Deno" | "Bun" | undefined = "Deno" in globalThis ? "Deno" : "Bun" in globalThis ? "Bun" : undefined;

/** This Node's undici (7 on Node 20, 8 otherwise); `undefined` on Deno and Bun. */
export const undici: Undici | undefined = notNode
  ? undefined
  : process.versions.node.startsWith("20.")
  ? await import("undici7") as unknown as Undici
  : await import("undici");
