// A cache hit under each eviction policy while another process writes
// (bench/policy_bench.ts, Node 24). Section contract: bench/_harness.mjs.
export const name = "policy";
export const title = "a hit under each eviction policy, another process writing";

/** @param {import("../_harness.mjs").SectionContext} ctx */
export function run({ quick, runJson, fmt }) {
  const policy = runJson("node24", "bench/policy_bench.ts", ["--gets", quick ? "5000" : "20000"]);
  const heading = "## A hit under each eviction policy, another process writing (bench/policy_bench.ts)";
  if (!policy) return { markdown: `${heading}\n\nNot measured: bench/policy_bench.ts failed (see the log).\n` };
  const base = policy.results["least-recently-stored"];
  const markdown = `${heading}

${policy.runtime}, ${policy.gets} hits on 1,000 keys while a second process sets keys in a loop.
python-diskcache takes the write lock on every LRU/LFU hit; this library records the access
in memory and writes it with the next write. Target: LRU/LFU hit at most 2x an LRS hit.

| policy | median | p99 | median vs LRS |
|---|---|---|---|
${Object.entries(policy.results).map(([name, r]) => `| ${name} | ${fmt(r.median)} | ${fmt(r.p99)} | ${(r.median / base.median).toFixed(2)}x |`).join("\n")}
`;
  return { markdown, data: policy };
}
