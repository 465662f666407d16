// The render counter: one byte appended to a file per render, so that a test
// sees which process rendered what (appends of one byte do not interleave).
import { appendFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";

export function countRender(name) {
  const dir = process.env.RENDER_COUNTER_DIR;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  appendFileSync(join(dir, name), "x");
}
