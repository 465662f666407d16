/**
 * Old or new, never neither: reading a value file after reading its row.
 *
 * A writer commits the row that stops naming a value file, then removes the
 * file. A reader (another process, no lock held) that read the row before
 * that commit and opens the file after the removal finds nothing, although
 * the key never stopped existing. So a vanished file means "read the row
 * again": when the row now names another file (or an inline value), that is
 * the new value; only when the row still names the same missing file, or is
 * gone, is it a miss. Inside a read snapshot the row cannot be read afresh,
 * so the snapshot restarts instead (see `Engine.read`).
 *
 * @module
 */
import { type Engine, RestartRead } from "../engine/engine.ts";
import { fetchValue, MISSING, type ValueRow } from "../format/row_values.ts";

/** Re-reads of one row before a vanished file counts as a miss. */
const REREADS = 20;

/**
 * Reads what the row's value file holds through `open`, re-reading the row
 * with `reread` while the file it names has vanished. Answers the row used
 * and what `open` returned, or `undefined` on a genuine miss.
 *
 * @param engine The engine (to know whether a read snapshot is open).
 * @param row The row read first.
 * @param reread Selects the same item's row afresh (`null`/`undefined`: gone).
 * @param open Reads the row's value; {@linkcode MISSING} when its file is gone.
 * @returns `[row, value]`, or `undefined`.
 */
export function readFresh<R extends { filename: string | null }, T>(
  engine: Engine,
  row: R,
  reread: () => R | null | undefined,
  open: (row: R) => T | typeof MISSING,
): [R, T] | undefined {
  for (let attempt = 0;; attempt++) {
    const value = open(row);
    if (value !== MISSING) return [row, value];
    const filename = row.filename!;
    const snapshot = engine.snapshot;
    if (snapshot !== undefined) {
      // The same snapshot would name the same file: only a fresh one can tell.
      if (snapshot.restartable && !snapshot.vanished.has(filename)) throw new RestartRead(filename);
      return undefined;
    }
    const next = reread();
    if (next == null || next.filename === filename || attempt === REREADS) break;
    row = next;
  }
  return undefined;
}

/**
 * {@linkcode readFresh} for a value: the row used and its decoded value, or
 * `undefined` on a miss.
 *
 * @param engine The engine.
 * @param row The row read first.
 * @param key The key, for error messages.
 * @param reread Selects the row afresh.
 * @returns `[row, value]`, or `undefined`.
 */
export function fetchFresh<R extends ValueRow>(engine: Engine, row: R, key: unknown, reread: () => R | null | undefined): [R, unknown] | undefined {
  return readFresh(engine, row, reread, (r) => fetchValue(engine.directory, r, key));
}
