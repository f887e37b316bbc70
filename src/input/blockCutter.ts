/**
 * The main thread's whole share of the per-record work on the byte path: it cuts the input bytes at record ends
 * into blocks of whole records and hands them on, without decoding or parsing (workers split, parse and score them
 * in parallel). Record ends are line breaks, outside quoted fields for CSV (see recordBounds.ts): a quote-free run
 * of bytes costs one backwards search, a quoted one a few forward searches per quoted field.
 * A block is handed on when it holds `blockBytes` or when its oldest byte has waited `flushMs` — the Chunker's
 * max-size / max-wait rule, so a slow pipe still gets timely predictions.
 *
 * Each block is copied into an ArrayBuffer of its own, so it can be transferred to a worker (not copied again),
 * and so no pooled buffer is ever detached.
 */
import { recordBounds, type RecordBounds } from './recordBounds.js';

export class BlockCutter {
  /** Whole records waiting to be handed on. */
  private records: Buffer[] = [];
  private recordsBytes = 0;
  /** The bytes after the last record end seen: the start of a record not complete yet. */
  private partial: Buffer[] = [];
  private partialBytes = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly blockBytes: number,
    private readonly flushMs: number,
    private readonly emit: (bytes: Uint8Array) => void,
    private readonly bounds: RecordBounds = recordBounds(null),
  ) {}

  /** Bytes of the record not complete yet (for bounding memory). */
  get pendingLine(): number {
    return this.partialBytes;
  }

  push(piece: Buffer): void {
    let start = 0; // piece bytes before `start` are taken
    let scanned = 0; // the bounds have scanned piece bytes before `scanned`
    let end = 0; // just past the last record end found
    // Whole blocks first: each ends at the last record end before it would pass blockBytes (a longer record: at its end).
    for (;;) {
      const full = start + this.blockBytes - this.recordsBytes - this.partialBytes;
      if (full > piece.length) break;
      if (full > scanned) {
        const last = this.bounds.last(piece, scanned, full);
        if (last > scanned) end = last;
        scanned = full;
      }
      if (end <= start) {
        const nl = this.bounds.next(piece, scanned, piece.length);
        if (nl < 0) {
          scanned = piece.length;
          break;
        }
        end = scanned = nl + 1;
      }
      this.addRecords(piece.subarray(start, end));
      this.flush();
      start = end;
    }
    if (scanned < piece.length) {
      const last = this.bounds.last(piece, scanned, piece.length);
      if (last > scanned) end = last;
    }
    if (end > start) {
      this.addRecords(piece.subarray(start, end));
      start = end;
    }
    if (start < piece.length) {
      this.partial.push(piece.subarray(start));
      this.partialBytes += piece.length - start;
    }
    if (this.recordsBytes > 0 && this.timer === null && this.flushMs > 0) this.timer = setTimeout(() => this.flush(), this.flushMs);
  }

  /** Takes whole records (which complete the partial record held). */
  private addRecords(records: Buffer): void {
    for (const p of this.partial) this.records.push(p); // a long record may be in many pieces: no spread
    this.records.push(records);
    this.recordsBytes += this.partialBytes + records.length;
    this.partial = [];
    this.partialBytes = 0;
  }

  /** Hands on the whole records held. */
  flush(): void {
    this.stop();
    if (this.recordsBytes === 0) return;
    const block = joinBytes(this.records);
    this.records = [];
    this.recordsBytes = 0;
    this.emit(block);
  }

  /** End of input: everything held, the last record even without its line break. */
  end(): void {
    for (const p of this.partial) this.records.push(p);
    this.recordsBytes += this.partialBytes;
    this.partial = [];
    this.partialBytes = 0;
    this.flush();
  }

  /** Takes back what is held and not handed on (to read it another way); the cutter is then empty. */
  takeBack(): Buffer {
    this.stop();
    const all = Buffer.concat([...this.records, ...this.partial]);
    this.records = [];
    this.partial = [];
    this.recordsBytes = this.partialBytes = 0;
    return all;
  }

  /** Drops the timer (when the run stops early). */
  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}

/** Bytes joined into an ArrayBuffer of their own (transferable: never a slice of Node's shared pool). */
function joinBytes(pieces: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(new ArrayBuffer(pieces.reduce((a, p) => a + p.length, 0)));
  let at = 0;
  for (const p of pieces) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
