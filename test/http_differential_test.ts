// A differential test of the HTTP caches (issue 22 part 6): generated
// request/response scenarios, each driven against a real local origin through
//   (a) undici's own cache interceptor with its MemoryCacheStore (the reference),
//   (b) cachedFetch, and
//   (c) undici's cache interceptor with DiskCacheStore,
// recording what the client sees (status, reason, body, selected headers) and
// how many requests reached the origin at each step. (b) must match (a) but
// for the differences on ALLOWED below, each with its reason (those on
// purpose are listed in the README's HTTP section); (c) must match (a) but for
// the entries marked `store` (one: which of several matching variants). A scenario is
// compared up to its first difference: after an allowed one the caches hold
// different things, and the rest of the scenario says nothing more.
//
// Seeded (DIFF_SEED, DIFF_RUNS in the environment to explore further), on
// the rows where undici runs: Node 24 (undici 8) and Node 20 (undici 7).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createServer, type IncomingMessage, type Server, STATUS_CODES } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import fc from "fast-check";
import { DiskCache } from "../mod.ts";
import { type CachedFetch, cachedFetch, DiskCacheStore } from "../http.ts";
import { tempDir } from "./_helpers.ts";
import { notNode, undici } from "./_undici.ts";

const skip = notNode ? `undici's cache interceptor is Node's fetch machinery, not ${notNode}'s` : false;

const SEED = Number(process.env.DIFF_SEED ?? 22_6);
const RUNS = Number(process.env.DIFF_RUNS ?? 150);
/** DIFF_SURVEY=1: print every first difference not allowed, instead of failing at the first. */
const SURVEY = !!process.env.DIFF_SURVEY;

// ---------------------------------------------------------------------------
// Scenarios

/** How the origin answers at one step. */
interface Answer {
  status: number;
  reason: "default" | "ascii" | "utf8";
  cacheControl: string[];
  etag: boolean;
  lastModified: boolean;
  vary: "" | "accept-language" | "accept-language, accept";
  /** To a conditional request: a 304 with the validator asked about, a 304 with another ETag, or the full answer. */
  conditional: "match" | "other" | "full";
  /** Cache-Control of the redirect target, for a 3xx. */
  targetCacheControl: string;
  /** A body past 1 MiB (DiskCacheStore streams it into a value file), padded after its first line. */
  big: boolean;
}

/** One request of a scenario, and the origin's answers to it. */
interface Step {
  method: "GET" | "HEAD" | "POST";
  lang?: "en" | "fr" | undefined;
  accept?: "a" | "b" | undefined;
  requestCacheControl?: "no-cache" | "max-age=0" | "no-store" | undefined;
  /** The client's own If-None-Match (the previous step's ETag). */
  ifNoneMatch: boolean;
  /** Sent twice back to back (the first body read to its end): the second is observed. */
  twice: boolean;
  answer: Answer;
}

interface Scenario {
  shared: boolean;
  steps: Step[];
}

const answerArb: fc.Arbitrary<Answer> = fc.record({
  status: fc.oneof(
    { weight: 12, arbitrary: fc.constant(200) },
    { weight: 4, arbitrary: fc.constantFrom(203, 204, 299, 404, 410, 500, 501, 599) },
    { weight: 3, arbitrary: fc.constantFrom(301, 302, 307, 308) },
    { weight: 1, arbitrary: fc.constant(999) },
  ),
  reason: fc.constantFrom("default", "default", "default", "default", "default", "ascii", "ascii", "ascii", "ascii", "utf8"),
  cacheControl: fc.subarray([
    "max-age=600",
    "max-age=0",
    "s-maxage=600",
    "s-maxage=0",
    "no-store",
    "no-cache",
    "private",
    "public",
    "must-revalidate",
    "stale-while-revalidate=600",
  ], { maxLength: 3 }),
  etag: fc.boolean(),
  lastModified: fc.boolean(),
  vary: fc.constantFrom("", "", "accept-language", "accept-language, accept"),
  conditional: fc.constantFrom("match", "match", "other", "full"),
  targetCacheControl: fc.constantFrom("max-age=600", "no-store", ""),
  big: fc.constantFrom(false, false, false, false, false, true),
});

const stepArb: fc.Arbitrary<Step> = fc.record({
  method: fc.constantFrom("GET", "GET", "GET", "GET", "GET", "GET", "HEAD", "POST"),
  lang: fc.constantFrom(undefined, "en", "fr"),
  accept: fc.constantFrom(undefined, undefined, "a", "b"),
  requestCacheControl: fc.constantFrom(undefined, undefined, undefined, undefined, "no-cache", "max-age=0", "no-store"),
  ifNoneMatch: fc.constantFrom(false, false, false, false, false, false, false, true),
  twice: fc.constantFrom(false, false, true),
  answer: answerArb,
});

const scenarioArb: fc.Arbitrary<Scenario> = fc.record({
  shared: fc.boolean(),
  steps: fc.array(stepArb, { minLength: 2, maxLength: 5 }),
});

// ---------------------------------------------------------------------------
// The origin: /<client>/<scenario>/r answers as the current step says; its
// redirects point at /<client>/<scenario>/t.

const LAST_MODIFIED = new Date(Date.now() - 86_400_000).toUTCString();
const utf8Reason = Buffer.from("Très bien ✓", "utf8").toString("latin1");

class Origin {
  server: Server;
  /** The step each scenario is at, by scenario id. */
  steps = new Map<string, { index: number; step: Step }>();
  /** Requests that reached the origin, by client and scenario. */
  counts = new Map<string, number>();
  inflight = 0;
  total = 0;
  constructor() {
    this.server = createServer((req, res) => {
      const [, client, id, leaf] = (req.url ?? "").split("/");
      if (client === "ping") return void res.end("pong");
      this.total++;
      this.inflight++;
      res.once("close", () => this.inflight--);
      const key = `${client}/${id}`;
      this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
      const current = this.steps.get(id!);
      if (!current) return void res.writeHead(404).end();
      this.answer(req, res, current.index, current.step.answer, leaf === "t");
    });
  }

  answer(req: IncomingMessage, res: import("node:http").ServerResponse, index: number, a: Answer, target: boolean) {
    if (target) {
      const headers: Record<string, string> = { "content-type": "text/plain" };
      if (a.targetCacheControl) headers["cache-control"] = a.targetCacheControl;
      return void res.writeHead(200, headers).end(`target step=${index}`);
    }
    const headers: Record<string, string> = { "content-type": "text/plain; step=" + index };
    if (a.cacheControl.length) headers["cache-control"] = a.cacheControl.join(", ");
    if (a.vary) headers["vary"] = a.vary;
    if (a.lastModified) headers["last-modified"] = LAST_MODIFIED;
    const etag = `"e${index}"`;
    if (a.etag) headers["etag"] = etag;
    const inm = req.headers["if-none-match"];
    const ims = req.headers["if-modified-since"];
    if ((inm || ims) && a.conditional !== "full") {
      const h: Record<string, string> = { ...headers };
      if (a.conditional === "match") {
        if (inm) h["etag"] = String(inm).split(",")[0]!.trim();
      } else h["etag"] = `"other${index}"`;
      return void res.writeHead(304, h).end();
    }
    if (a.status >= 300 && a.status < 400) headers["location"] = "t";
    const reason = a.reason === "default" ? (STATUS_CODES[a.status] ?? "Unknown") : a.reason === "ascii" ? "Custom Reason" : utf8Reason;
    const line = `${a.status} step=${index} lang=${req.headers["accept-language"] ?? "-"} accept=${req.headers["accept"] ?? "-"}`;
    const body = a.status === 204 ? "" : a.big ? line + "\n" + ".".repeat(1.1 * 2 ** 20) : line;
    res.writeHead(a.status, reason, headers).end(req.method === "HEAD" ? undefined : body);
  }

  listen(): Promise<string> {
    return new Promise((resolve) => {
      this.server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(this.server.address() as AddressInfo).port}`));
    });
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

// ---------------------------------------------------------------------------
// What a client sees

interface Seen {
  status: number;
  statusText: string;
  body: string;
  headers: Record<string, string | null>;
  /** Requests that reached the origin during the step (background revalidations included). */
  origin: number;
  error?: string;
}

const COMPARED = ["content-type", "etag", "last-modified", "vary", "location", "cache-control"];

async function observe(fetch: (url: string, init: RequestInit) => Promise<Response>, url: string, init: RequestInit): Promise<Omit<Seen, "origin">> {
  try {
    const res = await fetch(url, init);
    const headers: Record<string, string | null> = {};
    for (const name of COMPARED) headers[name] = res.headers.get(name);
    const text = await res.text();
    // The first line says where the body came from; the padding of a big one is compared by its length.
    const cut = text.indexOf("\n");
    return { status: res.status, statusText: res.statusText, body: cut < 0 ? text : `${text.slice(0, cut)} +${text.length - cut}`, headers };
  } catch (error) {
    const e = error as Error & { cause?: Error };
    return { status: 0, statusText: "", body: "", headers: {}, error: `${e.name}: ${e.cause?.message ?? e.message}` };
  }
}

// ---------------------------------------------------------------------------
// The allow-list: differences between cachedFetch (b), or DiskCacheStore (c)
// for entries marked `store`, and undici's interceptor with MemoryCacheStore
// (a), each with its reason. A predicate sees the step and both observations
// at the scenario's first difference.

interface Difference {
  scenario: Scenario;
  index: number;
  step: Step;
  previous: Step[];
  /** The steps whose answers may be stored: the previous ones, and this one when it was sent twice. */
  stored: Step[];
  a: Seen;
  b: Seen;
}

/** Statuses http-cache-semantics stores (it "understands"); undici stores any final status with explicit freshness. */
const UNDERSTOOD = new Set([200, 203, 204, 300, 301, 302, 303, 307, 308, 404, 405, 410, 414, 501]);
const isRedirect = (status: number) => status >= 300 && status < 400;
/** The step whose origin answer a body came from ("<status> step=<i> ..."). */
const stepOf = (body: string) => Number(/step=(\d+)/.exec(body)?.[1] ?? -1);
const fresh = (a: Answer, shared: boolean) => a.cacheControl.includes("max-age=600") || (shared && a.cacheControl.includes("s-maxage=600"));

const ALLOWED: { reason: string; store?: boolean; applies: (d: Difference) => boolean }[] = [
  {
    reason: "revalidating a stored response that has no validator (for a request's max-age=0 or no-cache, or the response's " +
      "no-cache): undici's interceptor sends the request, then sends it again; cachedFetch once",
    applies: (d) =>
      d.a.origin === d.b.origin + 1 && d.a.body === d.b.body && d.a.status === d.b.status &&
      d.stored.some((s) => !s.answer.etag && !s.answer.lastModified),
  },
  {
    reason: "a request's max-age=0 for a response stored less than a second before: cachedFetch answers it from the cache " +
      "(its age, 0, is not more than 0: RFC 9111 section 5.2.1.1); undici's interceptor revalidates it",
    applies: (d) => d.step.requestCacheControl === "max-age=0" && d.b.origin < d.a.origin,
  },
  {
    reason: "HEAD: cachedFetch answers it from the stored GET and freshens that from a HEAD's 200 (RFC 9111 section 4.3.5); " +
      "undici's interceptor caches GET only and sends a HEAD through",
    applies: (d) => [...d.previous, d.step].some((s) => s.method === "HEAD"),
  },
  {
    reason: "redirects: cachedFetch's fetch follows them, so it sees and stores only the final response (and no redirected one); " +
      "undici's interceptor sits under fetch's redirect handling and stores each hop",
    applies: (d) => [...d.previous, d.step].some((s) => isRedirect(s.answer.status)),
  },
  {
    reason: "a response without freshness: cachedFetch keeps it when it has a validator (for revalidation, its " +
      "keepForRevalidation option) or stale-while-revalidate (RFC 5861: served stale while revalidating); undici's " +
      "interceptor does not store it",
    applies: (d) =>
      d.stored.some((s) =>
        (s.answer.etag || s.answer.lastModified || s.answer.cacheControl.includes("stale-while-revalidate=600")) &&
        !fresh(s.answer, d.scenario.shared)
      ),
  },
  {
    reason: "cachedFetch (http-cache-semantics) stores the status codes it understands; undici's interceptor any final status " +
      "with explicit freshness (RFC 9111 section 3 allows both)",
    applies: (d) => [...d.previous, d.step].some((s) => !UNDERSTOOD.has(s.answer.status)),
  },
  {
    reason: "a 304 updates the stored response's header fields (RFC 9111 section 4.3.4): cachedFetch answers the updated " +
      "fields, undici's interceptor the stored ones",
    applies: (d) =>
      d.a.status === d.b.status && d.a.body === d.b.body && d.a.origin === d.b.origin &&
      (d.b.headers["content-type"] ?? "").endsWith(`step=${d.index}`),
  },
  {
    reason: "a 304 that changes Vary or Cache-Control: undici's interceptor asks again for the full response, cachedFetch " +
      "applies the 304 to the stored response (RFC 9111 section 4.3.4)",
    applies: (d) => {
      const from = d.scenario.steps[stepOf(d.b.body)]?.answer;
      return d.a.origin >= d.b.origin && stepOf(d.a.body) === d.index && d.step.answer.conditional === "match" && from !== undefined &&
        (from.vary !== d.step.answer.vary || from.cacheControl.join() !== d.step.answer.cacheControl.join());
    },
  },
  {
    reason: "an unsafe method answered with an error status: undici's interceptor invalidates the URL, cachedFetch keeps it " +
      "(RFC 9111 section 4.4 requires it for non-error statuses only)",
    applies: (d) => d.previous.some((s) => s.method === "POST" && s.answer.status >= 400),
  },
  {
    // RFC 9111 section 4.1: of several stored responses a request selects
    // (stored under different Vary header sets), "the most recent response
    // ... is used"; undici's MemoryCacheStore answers the oldest.
    reason: "several stored responses match the request: ours answers the newest (RFC 9111 section 4.1), MemoryCacheStore the oldest",
    store: true,
    applies: (d) =>
      d.step.method !== "POST" && new Set(d.stored.map((s) => s.answer.vary)).size > 1 &&
      (d.a.origin > d.b.origin || stepOf(d.a.body) < stepOf(d.b.body)),
  },
];

// ---------------------------------------------------------------------------

function requestInit(step: Step, previousEtag: string | undefined): RequestInit {
  const headers: Record<string, string> = {};
  if (step.lang) headers["accept-language"] = step.lang;
  if (step.accept) headers["accept"] = step.accept;
  if (step.requestCacheControl) headers["cache-control"] = step.requestCacheControl;
  if (step.ifNoneMatch && previousEtag) headers["if-none-match"] = previousEtag;
  return { method: step.method, headers };
}

function differs(x: Seen, y: Seen): string | undefined {
  for (const field of ["status", "statusText", "body", "origin", "error"] as const) {
    if (x[field] !== y[field]) return field;
  }
  for (const name of COMPARED) if (x.headers[name] !== y.headers[name]) return name;
  return undefined;
}

/** A scenario up to `index`, and what each client saw at `index`, compactly. */
function describeRun(scenario: Scenario, index: number, seen: Record<string, Seen>): string {
  const lines = [`shared: ${scenario.shared}`];
  for (const [i, step] of scenario.steps.slice(0, index + 1).entries()) {
    const a = step.answer;
    const req = [
      step.method,
      step.lang && `lang=${step.lang}`,
      step.accept && `accept=${step.accept}`,
      step.requestCacheControl && `cc=${step.requestCacheControl}`,
      step.ifNoneMatch && "inm",
      step.twice && "twice",
    ]
      .filter(Boolean).join(" ");
    const res = [
      a.status,
      a.reason !== "default" && a.reason,
      `cc=[${a.cacheControl.join(",")}]`,
      a.etag && "etag",
      a.lastModified && "lm",
      a.vary && `vary=${a.vary}`,
      `cond=${a.conditional}`,
      a.status >= 300 && a.status < 400 && `target=[${a.targetCacheControl}]`,
      a.big && "big",
    ]
      .filter(Boolean).join(" ");
    lines.push(`  step ${i}: ${req}  ->  ${res}`);
  }
  for (const [name, x] of Object.entries(seen)) {
    const h = Object.entries(x.headers).filter(([, v]) => v !== null).map(([k, v]) => `${k}: ${v}`).join("; ");
    lines.push(`  ${name}: ${x.error ?? `${x.status} ${JSON.stringify(x.statusText)} ${JSON.stringify(x.body)}`} origin=${x.origin} {${h}}`);
  }
  return lines.join("\n");
}

describe("HTTP caches, differential: cachedFetch and DiskCacheStore beside undici's MemoryCacheStore", { skip }, () => {
  const origin = new Origin();
  const dir = tempDir();
  let base = "";
  let ids = 0;
  const allowedSeen = new Map<string, number>();
  before(async () => {
    base = await origin.listen();
  });
  after(async () => {
    await origin.close();
    dir[Symbol.dispose]();
    if (allowedSeen.size) console.log("allowed differences seen:", Object.fromEntries(allowedSeen));
  });

  it(`${RUNS} generated scenarios (seed ${SEED}) answer alike`, async () => {
    const u = undici!;
    const plain = new u.Agent();
    const ping = () => u.request(`${base}/ping/x`, { dispatcher: plain }).then((r) => r.body.text());
    using cache = new DiskCache(join(dir.path, "fetch"));
    const store = new DiskCacheStore(join(dir.path, "store"));
    const memory = new u.cacheStores.MemoryCacheStore({ maxEntrySize: 8 << 20 });
    const agents = {
      shared: {
        a: new u.Agent().compose(u.interceptors.cache({ store: memory, type: "shared" })),
        c: new u.Agent().compose(u.interceptors.cache({ store, type: "shared" })),
        b: cachedFetch(cache, { shared: true, fetch: (input, init) => globalThis.fetch(input, init) }),
      },
      private: {
        a: new u.Agent().compose(u.interceptors.cache({ store: memory, type: "private" })),
        c: new u.Agent().compose(u.interceptors.cache({ store, type: "private" })),
        b: cachedFetch(cache, { shared: false, fetch: (input, init) => globalThis.fetch(input, init) }),
      },
    };
    /** Waits until the origin has answered every request, background ones included. */
    async function quiet(b: CachedFetch): Promise<void> {
      await b.settled();
      for (let i = 0; i < 100; i++) {
        const before = origin.total;
        await ping();
        await ping();
        if (origin.total === before && origin.inflight === 0) return;
      }
    }
    try {
      await fc.assert(
        fc.asyncProperty(scenarioArb, async (scenario) => {
          const id = `s${++ids}`;
          const set = scenario.shared ? agents.shared : agents.private;
          const clients = {
            a: (url: string, init: RequestInit) => u.fetch(url, { ...init, dispatcher: set.a } as never) as unknown as Promise<Response>,
            b: set.b,
            c: (url: string, init: RequestInit) => u.fetch(url, { ...init, dispatcher: set.c } as never) as unknown as Promise<Response>,
          };
          let etag: string | undefined;
          let storeDone = false, fetchDone = false;
          for (const [index, step] of scenario.steps.entries()) {
            origin.steps.set(id, { index, step });
            const init = requestInit(step, etag);
            const seen = {} as Record<"a" | "b" | "c", Seen>;
            for (const name of ["a", "b", "c"] as const) {
              const countBefore = origin.counts.get(`${name}/${id}`) ?? 0;
              if (step.twice) await observe(clients[name], `${base}/${name}/${id}/r`, init);
              const got = await observe(clients[name], `${base}/${name}/${id}/r`, init);
              await quiet(set.b);
              seen[name] = { ...got, origin: (origin.counts.get(`${name}/${id}`) ?? 0) - countBefore };
            }
            etag = seen.a.headers["etag"] ?? etag;
            const context = () => describeRun(scenario, index, seen);
            const previous = scenario.steps.slice(0, index);
            const stored = step.twice ? [...previous, step] : previous;
            const storeField = differs(seen.a, seen.c);
            if (storeField !== undefined && !storeDone) {
              const d: Difference = { scenario, index, step, previous, stored, a: seen.a, b: seen.c };
              const allowed = ALLOWED.find((entry) => entry.store && entry.applies(d));
              if (!allowed && SURVEY) console.log(`--- store ${storeField}\n${context()}`);
              else assert.ok(allowed, `DiskCacheStore differs from MemoryCacheStore in ${storeField}: ${context()}`);
              if (allowed) allowedSeen.set(`(store) ${allowed.reason}`, (allowedSeen.get(`(store) ${allowed.reason}`) ?? 0) + 1);
              storeDone = true;
            }
            const field = differs(seen.a, seen.b);
            if (field !== undefined && !fetchDone) {
              const d: Difference = { scenario, index, step, previous, stored, a: seen.a, b: seen.b };
              const allowed = ALLOWED.find((entry) => entry.applies(d));
              if (!allowed && SURVEY) console.log(`--- ${field}\n${context()}`);
              else assert.ok(allowed, `cachedFetch differs from undici's interceptor in ${field}: ${context()}`);
              if (allowed) allowedSeen.set(allowed.reason, (allowedSeen.get(allowed.reason) ?? 0) + 1);
              fetchDone = true;
            }
            // After a first difference the caches hold different things: the rest says nothing more.
            if (storeDone && fetchDone) return;
          }
        }),
        { seed: SEED, numRuns: RUNS, endOnFailure: true },
      );
    } finally {
      // destroy(), not close(): under undici 7 (Node 20) close() never resolves after these
      // scenarios, with MemoryCacheStore as with DiskCacheStore, though no request is left in flight.
      for (const set of [agents.shared, agents.private]) {
        await set.a.destroy();
        await set.c.destroy();
      }
      await plain.destroy();
      store.close();
    }
  });
});
