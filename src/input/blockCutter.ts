/**
 * The main thread's whole share of the per-record work on the byte path: it cuts the input bytes at record ends
 * into blocks of whole records and hands them on, without decoding or parsing (workers split, parse and score them
 * in parallel). Record ends are line breaks, outside quoted fields for CSV (see recordBounds.ts): a quote-free run
 * of bytes costs one backwards search, a quoted one a few forward searches per quoted field.
 * A block is handed on when it holds `blockBytes` or when its oldest byte has waited `flushMs` — a log batcher's
 * max-size / max-wait rule, so a slow pipe still gets timely predictions.
 *
 * A record growing past --max-record-bytes before it ends is not held: the cutter hands on its beginning as a block
 * of its own (`cut`) and drops the rest up to where the record ends — its line break, or for one spanning lines the
 * first line break at or past the limit, as the scan cuts it (csvScan.ts) — so memory stays bounded by the limit.
 *
 * Each block is copied into an ArrayBuffer of its own, so it can be transferred to a worker (not copied again),
 * and so no pooled buffer is ever detached.
 */
import { loneCrsIn, previewBytes } from './recordRules.js';
import type { RecordBounds, ScanPosition } from './recordBounds.js';


/**
 * Hands on a block: whole records, or the beginning of one cut off for its size (spanning `cut.lines` lines and
 * `cut.bytes` bytes). `offset`: where the block (or the cut record) starts in the bytes pushed.
 */
export type EmitBlock = (bytes: Uint8Array, offset: number, cut?: Cut) => void;

/** A record cut off for its size: the lines and bytes it spanned. */
export interface Cut {
  lines: number;
  bytes: number;
}

export class BlockCutter {
  /** Whole records waiting to be handed on. */
  private records: Buffer[] = [];
  private recordsBytes = 0;
  /** The bytes after the last record end seen: the start of a record not complete yet. */
  private partial: Buffer[] = [];
  private partialBytes = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly bounds: RecordBounds;
  /** Dropping the rest of a record cut off for its size: its beginning, kept for the preview. */
  private dropping: Uint8Array | null = null;
  /** Lone CRs seen in the record being dropped (CSV: inside quoted fields, each a line). */
  private droppedCrs = 0;
  /** Bytes of the record being dropped so far (what was held, and what was dropped since). */
  private droppedBytes = 0;
  /** Where the next block starts in the bytes pushed. */
  private emitted = 0;

  constructor(
    private readonly blockBytes: number,
    private readonly flushMs: number,
    private readonly emit: EmitBlock,
    bounds: () => RecordBounds,
    private readonly maxRecordBytes = Infinity,
    /** CSV: a lone CR (left inside a quoted field by LoneCrs) counts as a line. */
    private readonly crLines = false,
  ) {
    this.bounds = bounds();
  }

  /** Where the scan stands after the bytes pushed so far: inside a quoted field or not, how far into a record. */
  get position(): ScanPosition {
    return this.bounds.position;
  }

  push(piece: Buffer): void {
    if (this.dropping) piece = this.drop(piece);
    if (piece.length === 0) return;
    this.cutWhole(piece);
    if (this.partialBytes > this.maxRecordBytes) this.cutOversized();
  }

  /** Whole blocks first, then whole records; the rest is the start of a record not complete yet. */
  private cutWhole(piece: Buffer): void {
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
        this.bounds.takeInnerLines(); // what the scan counted of that record is not the next one's
        this.bounds.takeCut();
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
    const offset = this.emitted;
    this.emitted += block.length;
    this.emit(block, offset);
  }

  /** End of input: everything held, the last record even without its line break. */
  end(): void {
    if (this.dropping) this.emitCut(this.bounds.takeInnerLines() + 1);
    for (const p of this.partial) this.records.push(p);
    this.recordsBytes += this.partialBytes;
    this.partial = [];
    this.partialBytes = 0;
    this.flush();
  }

  /**
   * The record held is longer than the limit: the records before it go on, its beginning is kept for the preview,
   * and it ends at the first line break at or past the limit (maybe in pieces still to come).
   */
  private cutOversized(): void {
    this.flush();
    const held = Buffer.concat(this.partial);
    this.partial = [];
    this.partialBytes = 0;
    this.dropping = new Uint8Array(held.subarray(0, previewBytes(this.maxRecordBytes)));
    this.droppedBytes = held.length;
    this.droppedCrs = this.crLines ? loneCrsIn(held, 0, held.length) : 0;
  }

  /** Drops bytes of a cut record up to its end (the scan goes on over them); hands it on there, returns what follows. */
  private drop(piece: Buffer): Buffer {
    const nl = this.bounds.next(piece, 0, piece.length);
    if (this.crLines) this.droppedCrs += loneCrsIn(piece, 0, nl < 0 ? piece.length : nl);
    this.droppedBytes += nl < 0 ? piece.length : nl + 1;
    if (nl < 0) return piece.subarray(piece.length);
    this.bounds.takeCut();
    this.emitCut(this.bounds.takeInnerLines() + 1);
    return piece.subarray(nl + 1);
  }

  private emitCut(lines: number): void {
    const preview = this.dropping!;
    this.dropping = null;
    const offset = this.emitted;
    this.emitted += this.droppedBytes;
    this.emit(preview, offset, { lines: lines + this.droppedCrs, bytes: this.droppedBytes });
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
