// get/set of DiskCache against the raw SQLite binding in the same process
// (bench/get_set_bench.ts), on every runtime row. Section contract: bench/_harness.mjs.
export const name = "get_set";
export const title = "get/set against the raw driver, every runtime";

/** Targets: DiskCache's median / the raw median, paired per round. */
const TARGET = { get: 1.3, set: 1.5 };

/** @param {import("../_harness.mjs").SectionContext} ctx */
export function run({ quick, runtimes, runJson, fmt }) {
  // Operations per variant over all rounds; each round times a batch of
  // gets/rounds and sets/rounds of every variant.
  const [gets, sets, rounds] = quick ? [20_000, 4_000, 20] : [100_000, 20_000, 25];
  const size = ["--gets", String(gets), "--sets", String(sets), "--rounds", String(rounds)];
  /** A paired ratio (median of the per-round ratios) with its interquartile range. */
  const paired = (r, bold = false) => `${bold ? "**" : ""}${r.median.toFixed(2)}x${bold ? "**" : ""} (${r.q1.toFixed(2)}-${r.q3.toFixed(2)})`;
  const lines = [];
  for (const rt of runtimes) {
    const out = runJson(rt.row, "bench/get_set_bench.ts", size);
    if (!out) {
      lines.push(`| ${rt.row} | failed | | | | | |`);
      continue;
    }
    const R = out.results, Q = out.ratios;
    for (
      const [op, label, rawName, target] of [
        ["get", "get", "raw get", TARGET.get],
        ["set", "set", "raw set", TARGET.set],
        ["get (array rows)", "get vs raw SELECT with array rows", "raw get (array rows)"],
        ["set (key/value)", "set vs bare key/value upsert", "raw set (key/value)"],
      ]
    ) {
      const raw = R[rawName], c = R[`cache ${op.slice(0, 3)}`];
      const met = target ? `≤ ${target}x ${Q[op].median <= target ? "met" : "missed"}` : "(information)";
      lines.push(
        `| ${out.runtime} (${out.driver}) | ${label} | ${fmt(raw.median)} / ${fmt(raw.p99)} | ${fmt(c.median)} / ${fmt(c.p99)} | ${paired(Q[op], !!target)} | ${
          (c.p99 / raw.p99).toFixed(2)
        }x | ${met} |`,
      );
    }
  }
  const missing = ["deno", "bun", "node24", "node20"].filter((row) => !runtimes.some((rt) => rt.row === row));
  const table = [
    "| runtime (driver) | op | raw median / p99 | DiskCache median / p99 | paired ratio (IQR) | p99 ratio | target |",
    "|---|---|---|---|---|---|---|",
    ...lines,
  ].join("\n");
  const markdown = `## get/set against the raw driver (bench/get_set_bench.ts)

Same process, same pragmas. Raw get: one prepared \`SELECT value\` by key, rows as objects
(each driver's default); DiskCache's get asks its driver for array rows, so the same SELECT
with array rows is shown too. Raw set:
\`BEGIN IMMEDIATE\`, one prepared upsert of the same row DiskCache writes (python-diskcache's
columns, into the same schema with its indexes and count/size triggers: the floor of the
on-disk format), \`COMMIT\`. The "bare" row is an upsert of only key and value into a table
with only the key index: what the format itself costs on top of that is the difference
between the two raw rows. DiskCache set also reads what culling needs and culls.
1,000 string keys, byte values of 1 to 500 bytes, ${gets.toLocaleString("en")} gets and ${sets.toLocaleString("en")} sets per
variant after 1,000 untimed warm-up operations (and a few before each batch). Paired timing:
${rounds} rounds, each timing a batch of ${(gets / rounds).toLocaleString("en")} gets and ${
    (sets / rounds).toLocaleString("en")
  } sets of every variant on the same
keys, in an order rotated every round; the ratio held to the target is the median over rounds
of DiskCache's median / the raw median in the same round (interquartile range in brackets),
while the latencies and the p99 ratio are over all rounds merged.
${missing.length ? `\nNot run: ${missing.join(", ")} (not on this machine).\n` : ""}
${table}
`;
  return { markdown, data: { gets, sets, rounds } };
}
