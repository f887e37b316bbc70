/**
 * Groups records into chunks: a chunk is handed on when it is full (`batchSize` records) or when its oldest
 * record has waited `flushMs` (so a slow pipe still gets timely predictions) — the max-size / max-wait rule
 * of a log batcher. The timer counts from the first record of a chunk, so no record waits longer than flushMs.
 */
import type { RawRecord } from './recordSplitter.js';

export class Chunker {
  private pending: RawRecord[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly batchSize: number,
    private readonly flushMs: number,
    private readonly emit: (records: RawRecord[]) => void,
  ) {}

  add(records: RawRecord[]): void {
    for (const r of records) {
      this.pending.push(r);
      if (this.pending.length >= this.batchSize) this.flush();
    }
    if (this.pending.length > 0 && this.timer === null && this.flushMs > 0) {
      this.timer = setTimeout(() => this.flush(), this.flushMs);
    }
  }

  /** Drops the timer (when the run stops early). */
  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Hands on whatever is pending (also at the end of a source). */
  flush(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.pending.length === 0) return;
    const records = this.pending;
    this.pending = [];
    this.emit(records);
  }
}
