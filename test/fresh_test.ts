// The bounds of "a vanished value file means read the row again": a row
// that keeps naming new missing files, and a read snapshot that keeps
// meeting them, end as a miss after a bounded number of tries.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Engine, RestartRead } from "../src/engine/engine.ts";
import { readFresh } from "../src/ops/_fresh_read.ts";
import { MISSING } from "../src/format/row_values.ts";
import { OWNER_ONLY } from "../src/format/value_files.ts";
import { detectDriver } from "../runtimes/auto.ts";
import { tempDir } from "./_helpers.ts";

type Row = { filename: string | null };
const noSnapshot = { snapshot: undefined } as unknown as Engine;

test("readFresh() re-reads a row whose file vanished, follows it to the new file, and gives up after a bound", () => {
  let opened = 0;
  const open = (r: Row) => (opened++, r.filename === "new" ? "value" : MISSING);
  assert.deepEqual(readFresh<Row, string>(noSnapshot, { filename: "old" }, () => ({ filename: "new" }), open), [{ filename: "new" }, "value"]);
  assert.equal(readFresh<Row, string>(noSnapshot, { filename: "old" }, () => ({ filename: "old" }), open), undefined, "same missing file: a miss");
  assert.equal(readFresh<Row, string>(noSnapshot, { filename: "old" }, () => null, open), undefined, "row gone: a miss");
  let n = 0;
  opened = 0;
  assert.equal(readFresh<Row, string>(noSnapshot, { filename: "f" }, () => ({ filename: `f${n++}` }), open), undefined);
  assert.equal(opened, 21, "at most 20 re-reads");
});

test("readFresh() inside a read snapshot restarts it once per vanished file, and a restarted snapshot that names it again misses", () => {
  const open = (): typeof MISSING => MISSING;
  const snapshot = { vanished: new Set<string>(), restartable: true };
  const engine = { snapshot } as unknown as Engine;
  assert.throws(() => readFresh<Row, never>(engine, { filename: "a" }, () => null, open), (e: Error) => e instanceof RestartRead && e.filename === "a");
  snapshot.vanished.add("a");
  assert.equal(readFresh<Row, never>(engine, { filename: "a" }, () => null, open), undefined);
  snapshot.restartable = false;
  assert.equal(readFresh<Row, never>(engine, { filename: "b" }, () => null, open), undefined);
});

test("Engine.read() restarts its snapshot on RestartRead a bounded number of times, and passes other errors on", () => {
  using dir = tempDir();
  const engine = new Engine({ directory: dir.path, driver: detectDriver(), timeout: 1000, clock: Date.now, settings: {}, readonly: false, modes: OWNER_ONLY });
  try {
    let runs = 0;
    engine.updateSettings({ statistics: true });
    const result = engine.read("test", () => {
      runs++;
      engine.hit(0, 0);
      if (engine.snapshot!.restartable) throw new RestartRead(`f${runs}`);
      return [...engine.snapshot!.vanished].length;
    });
    assert.equal(result, 20);
    assert.equal(runs, 21);
    assert.equal(engine.hits, 1, "the reads of restarted snapshots are counted once");
    assert.equal(engine.snapshot, undefined);
    assert.throws(() =>
      engine.read("test", () => {
        throw new TypeError("other");
      }), /other/);
    assert.equal(engine.read("test", () => engine.read("nested", () => 7)), 7);
  } finally {
    engine.close();
  }
});
