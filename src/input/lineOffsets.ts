/**
 * Byte offsets of physical lines, for records read as text: the record splitter works on decoded text and counts
 * lines, not bytes (a character is 1–4 bytes, and invalid UTF-8 decodes to U+FFFD), so a record's byte offset is
 * the offset of the line it starts on, counted here on the bytes themselves. Line breaks are counted as the
 * splitter counts them: LF (CRLF once), and for CSV also a lone CR.
 * Only lines not yet claimed by a record are kept (records come in order), so memory follows the text held.
 */
const LF = 10;
const CR = 13;

export class LineOffsets {
  private starts: number[] = [0];
  /** The line number of starts[0]. */
  private first = 1;
  private at = 0;
  private pendingCr = false;

  constructor(private readonly loneCrBreaks: boolean) {}

  /** From now on the bytes pushed start line `line`, at byte `offset` of the source. */
  reset(line: number, offset: number): void {
    this.starts = [offset];
    this.first = line;
    this.at = offset;
    this.pendingCr = false;
  }

  /** The next bytes of the source, in order. */
  push(bytes: Uint8Array): void {
    const base = this.at;
    if (this.pendingCr && bytes.length > 0) {
      this.pendingCr = false;
      if (bytes[0] !== LF) this.starts.push(base); // the CR before was a line break of its own
    }
    let lf = bytes.indexOf(LF);
    let cr = this.loneCrBreaks ? bytes.indexOf(CR) : -1;
    while (lf >= 0 || cr >= 0) {
      if (cr < 0 || (lf >= 0 && lf < cr)) {
        this.starts.push(base + lf + 1);
        lf = bytes.indexOf(LF, lf + 1);
        continue;
      }
      if (cr + 1 === bytes.length) this.pendingCr = true;
      else if (bytes[cr + 1] !== LF) this.starts.push(base + cr + 1); // CRLF counts at its LF
      cr = bytes.indexOf(CR, cr + 1);
    }
    this.at += bytes.length;
  }

  /** End of the bytes: a CR at the very end is a line break. */
  end(): void {
    if (this.pendingCr) this.starts.push(this.at);
    this.pendingCr = false;
  }

  /** The offset of line `line`, forgetting the lines before it. */
  offsetOf(line: number): number {
    const i = line - this.first;
    if (i < 0 || i >= this.starts.length) return this.starts[Math.max(0, Math.min(i, this.starts.length - 1))];
    if (i > 0) {
      this.starts = this.starts.slice(i);
      this.first = line;
    }
    return this.starts[0];
  }
}
