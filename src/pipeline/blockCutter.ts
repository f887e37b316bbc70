/**
 * The main thread's whole share of the per-record work on the byte path: it cuts the input bytes at line breaks
 * into blocks of whole lines and hands them on, without decoding or looking at records (workers split, parse and
 * score them in parallel). Only used where every line break ends a record (the input format says so per piece).
 * A block is handed on when it holds `blockBytes` or when its oldest byte has waited `flushMs` — the Chunker's
 * max-size / max-wait rule, so a slow pipe still gets timely predictions.
 *
 * Each block is copied into an ArrayBuffer of its own, so it can be transferred to a worker (not copied again),
 * and so no pooled buffer is ever detached.
 */
const NL = 10;

export class BlockCutter {
  /** Whole lines waiting to be handed on. */
  private lines: Buffer[] = [];
  private linesBytes = 0;
  /** The bytes after the last line break seen: the start of a line not complete yet. */
  private partial: Buffer[] = [];
  private partialBytes = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly blockBytes: number,
    private readonly flushMs: number,
    private readonly emit: (bytes: Uint8Array) => void,
  ) {}

  /** Bytes of the line not complete yet (for bounding memory). */
  get pendingLine(): number {
    return this.partialBytes;
  }

  push(piece: Buffer): void {
    // Whole blocks first: each ends at the last line break before it would pass blockBytes (a longer line: at its end).
    let start = 0;
    for (;;) {
      const full = start + this.blockBytes - this.linesBytes - this.partialBytes;
      if (full > piece.length) break;
      let nl = full > start ? piece.lastIndexOf(NL, full - 1) : -1;
      if (nl < start) nl = piece.indexOf(NL, Math.max(full, start));
      if (nl < 0) break;
      this.addLines(piece.subarray(start, nl + 1));
      this.flush();
      start = nl + 1;
    }
    const rest = start > 0 ? piece.subarray(start) : piece;
    const nl = rest.lastIndexOf(NL);
    if (nl >= 0) this.addLines(rest.subarray(0, nl + 1));
    if (nl + 1 < rest.length) {
      this.partial.push(rest.subarray(nl + 1));
      this.partialBytes += rest.length - nl - 1;
    }
    if (this.linesBytes > 0 && this.timer === null && this.flushMs > 0) this.timer = setTimeout(() => this.flush(), this.flushMs);
  }

  /** Takes whole lines (which complete the partial line held). */
  private addLines(lines: Buffer): void {
    for (const p of this.partial) this.lines.push(p); // a long line may be in many pieces: no spread
    this.lines.push(lines);
    this.linesBytes += this.partialBytes + lines.length;
    this.partial = [];
    this.partialBytes = 0;
  }

  /** Hands on the whole lines held. */
  flush(): void {
    this.stop();
    if (this.linesBytes === 0) return;
    const block = joinBytes(this.lines);
    this.lines = [];
    this.linesBytes = 0;
    this.emit(block);
  }

  /** End of input: everything held, the last line even without its line break. */
  end(): void {
    for (const p of this.partial) this.lines.push(p);
    this.linesBytes += this.partialBytes;
    this.partial = [];
    this.partialBytes = 0;
    this.flush();
  }

  /** Takes back what is held and not handed on (to read it another way); the cutter is then empty. */
  takeBack(): Buffer {
    this.stop();
    const all = Buffer.concat([...this.lines, ...this.partial]);
    this.lines = [];
    this.partial = [];
    this.linesBytes = this.partialBytes = 0;
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
