/**
 * Progress of a long removal, on standard error. On a terminal: one line
 * redrawn in place (`\r`) with items done, of how many, the rate and the
 * time left, at most every 100 ms. Otherwise (a pipe, a log file): a plain
 * line at each tenth of the known total (or every 100,000 items when the
 * total is not known), so logs stay short and say the same thing every run.
 * Hand-written: a bar library would bring a dependency (and its own idea of
 * terminals) for one line of text.
 *
 * @module
 */
import { count, duration } from "./format.ts";

/** Where progress goes and how time is read. */
export interface ProgressSink {
  /** Writes text to standard error. */
  write(text: string): void;
  /** Whether standard error is a terminal. */
  tty: boolean;
  /** The clock, in milliseconds. */
  now(): number;
}

/** One operation's progress. */
export class Progress {
  #sink: ProgressSink;
  #label: string;
  #total: number | undefined;
  #start: number;
  #lastDraw = -Infinity;
  #nextStep: number;
  #drawn = false;

  /**
   * @param sink Where to write.
   * @param label The operation, e.g. `"clear"`.
   * @param total Items expected, when known.
   */
  constructor(sink: ProgressSink, label: string, total: number | undefined) {
    this.#sink = sink;
    this.#label = label;
    this.#total = total;
    this.#start = sink.now();
    this.#nextStep = this.#step(0);
  }

  /** The count at which the next plain line is due. */
  #step(done: number): number {
    const every = this.#total === undefined ? 100_000 : Math.max(1, Math.ceil(this.#total / 10));
    return (Math.floor(done / every) + 1) * every;
  }

  /** The line for `done` items. */
  line(done: number): string {
    const elapsed = Math.max(1, this.#sink.now() - this.#start);
    const rate = (done * 1000) / elapsed;
    const total = this.#total;
    const of = total === undefined ? "" : ` of ${count(total)} (${Math.min(100, Math.floor((done / Math.max(1, total)) * 100))}%)`;
    const left = total === undefined || rate === 0 ? "" : `, ${duration(((total - done) / rate) * 1000)} left`;
    return `${this.#label}: ${count(done)}${of} items, ${count(rate)}/s${left}`;
  }

  /** Reports `done` items so far. */
  update(done: number): void {
    if (this.#sink.tty) {
      const now = this.#sink.now();
      if (now - this.#lastDraw < 100) return;
      this.#lastDraw = now;
      this.#sink.write(`\r\x1b[K${this.line(done)}`);
      this.#drawn = true;
    } else if (done >= this.#nextStep) {
      this.#sink.write(`${this.line(done)}\n`);
      this.#nextStep = this.#step(done);
    }
  }

  /** Ends the progress display (clears a terminal line). */
  done(): void {
    if (this.#drawn) this.#sink.write("\r\x1b[K");
  }
}
