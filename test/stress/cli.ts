// npm run stress -- [--minutes N] [--processes P] [--threads T]
// Long stress runs, opt-in (npm test runs a short one).
import process from "node:process";
import { runStress } from "./stress.ts";

const args = process.argv.slice(2);
const arg = (name: string, dflt: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const report = await runStress({
  seconds: arg("minutes", 1) * 60,
  processes: arg("processes", 6),
  threads: arg("threads", 2),
  ops: arg("ops", 1e12),
});
console.log(JSON.stringify(report, null, 2));
const exact = Object.values(report.counters).every((c) => c.stored === c.expected);
const ok = exact && report.mismatches === 0 && report.check.length === 0 &&
  (report.pythonCheck === "skipped" || report.pythonCheck.length === 0);
console.log(ok ? `stress passed: ${report.ops} operations` : "stress FAILED");
process.exit(ok ? 0 : 1);
