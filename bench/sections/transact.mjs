// 10,000 sets, each its own transaction vs all inside one transact()
// (bench/transact_bench.ts, Node 24). Section contract: bench/_harness.mjs.
export const name = "transact";
export const title = "10,000 sets, one transaction each vs inside one transact()";

/** @param {import("../_harness.mjs").SectionContext} ctx */
export function run({ runJson, fmt }) {
  const tx = runJson("node24", "bench/transact_bench.ts");
  const heading = "## 10,000 sets, one transaction each vs inside one transact() (bench/transact_bench.ts)";
  if (!tx) return { markdown: `${heading}\n\nNot measured: bench/transact_bench.ts failed (see the log).\n` };
  const markdown = `${heading}

| ${tx.runtime} | total | per set |
|---|---|---|
| outside transact | ${tx.outsideMs.toFixed(0)} ms | ${fmt((tx.outsideMs * 1000) / tx.sets)} |
| inside one transact | ${tx.insideMs.toFixed(0)} ms | ${fmt((tx.insideMs * 1000) / tx.sets)} |
| speed-up | ${(tx.outsideMs / tx.insideMs).toFixed(1)}x | |
`;
  return { markdown, data: tx };
}
