/**
 * Cuts a text stream into whole records without parsing their fields, so that chunks never split a record
 * (a quoted newline is not a boundary). Tracks, for each record, its 1-based record number in the source
 * (`row`, blank lines not counted) and the 1-based physical line where it starts (`line`, header counted).
 *
 * The quote rules follow RFC 4180 as csv-parse reads it: a quote opens a quoted field only at the start of a
 * field; inside, `""` is an escaped quote. A stray quote mid-field does not open anything, so one malformed
 * record cannot swallow the rest of the file; the field parser reports it as PARSE_ERROR.
 */

export interface RawRecord {
  /** 1-based record number in its source (the header, when there is one, is row 0 after the caller's adjustment). */
  row: number;
  /** 1-based physical line where the record starts. */
  line: number;
  /** The record's text, without its line terminator. */
  text: string;
  /** Set when the record ended inside an open quote at end of input. */
  unterminatedQuote?: boolean;
  /** The record's value when it was already parsed out of a whole JSON document. */
  value?: unknown;
  /** Why a record read out of a document cannot be used (it then fails as PARSE_ERROR). */
  invalid?: string;
  /** The limit a record ran past (--max-record-bytes): `text` then holds only its beginning. */
  tooLarge?: number;
}

/** How much of an oversized record the sidecar shows. */
const PREVIEW_CHARS = 1024;

const NL = 10;
const CR = 13;
const QUOTE = 34;

const enum State {
  FieldStart,
  Unquoted,
  Quoted,
  QuoteInQuoted,
}

export class RecordSplitter {
  private buf = '';
  private pos = 0; // scan position in buf
  private start = 0; // start of the current record in buf
  private state = State.FieldStart;
  private nextLine = 1; // physical line number at `start`
  private linesInRecord = 0; // newlines seen inside the current (quoted) record
  private rows = 0;
  private first = true;
  private readonly delim: number;
  /** Dropping the rest of an oversized record, up to the next line break. */
  private skipping = false;

  /**
   * `quoted` = false for JSONL, where records are exactly lines. A record longer than `maxRecordLength`
   * characters is cut off (kept as a preview, flagged `tooLarge`) so memory stays bounded.
   */
  constructor(
    delimiter: string,
    private readonly quoted: boolean,
    private readonly maxRecordLength = Infinity,
  ) {
    this.delim = delimiter.charCodeAt(0);
  }

  /** Where the splitter stands: records emitted so far and the line the next record starts on. */
  get position(): { rows: number; line: number } {
    return { rows: this.rows, line: this.nextLine };
  }

  /** Continues a source read this far by other means (the byte path): numbering goes on from there, no BOM. */
  resumeAt(rows: number, line: number): this {
    this.rows = rows;
    this.nextLine = line;
    this.first = false;
    return this;
  }

  /** Feeds text; returns the records it completes. */
  push(text: string, out: RawRecord[] = []): RawRecord[] {
    if (this.first) {
      this.first = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // BOM
    }
    this.buf = this.pos === this.buf.length && this.start === this.buf.length ? text : this.buf.slice(this.start) + text;
    this.pos -= this.start;
    if (this.pos < 0) this.pos = 0;
    this.start = 0;
    if (this.skipping) this.skip();
    this.scanAll(out);
    return out;
  }

  /** End of input: the last record (no newline at end of file), possibly inside an open quote. */
  end(out: RawRecord[] = []): RawRecord[] {
    if (!this.skipping) this.scanAll(out);
    if (this.start < this.buf.length && !this.skipping) {
      const unterminated = this.state === State.Quoted;
      // An unterminated quote runs to the end of input; its trailing line breaks are not part of the record.
      let end = this.buf.length;
      if (unterminated) while (end > this.start && (this.buf.charCodeAt(end - 1) === NL || this.buf.charCodeAt(end - 1) === CR)) end--;
      this.emit(end, out, unterminated);
    }
    this.buf = '';
    this.pos = this.start = 0;
    return out;
  }

  /** Bytes held for a record not yet complete (for bounding memory). */
  get pendingLength(): number {
    return this.buf.length - this.start;
  }

  /**
   * The pending record is too long: emit it as a flagged preview and drop it up to the first line break after
   * the limit, where scoring resumes with a fresh quote state (the best boundary that can be found); when that
   * line break has not arrived yet, keep dropping input until it does.
   */
  private cutOversized(out: RawRecord[]): void {
    // The preview and the reported size must not depend on how much text has arrived (determinism).
    const preview = previewOf(this.buf.slice(this.start, this.start + PREVIEW_CHARS), this.maxRecordLength);
    this.rows++;
    out.push({ row: this.rows, line: this.nextLine, text: preview, tooLarge: this.maxRecordLength });
    const nl = this.buf.indexOf('\n', this.start + this.maxRecordLength);
    const end = nl < 0 ? this.buf.length : nl + 1;
    for (let i = this.buf.indexOf('\n', this.start); i >= 0 && i < end; i = this.buf.indexOf('\n', i + 1)) this.nextLine++;
    this.linesInRecord = 0;
    this.state = State.FieldStart;
    this.start = this.pos = end;
    this.skipping = nl < 0;
  }

  /** Drops text up to and including the next line break (then scanning resumes as usual). */
  private skip(): void {
    const nl = this.buf.indexOf('\n', this.start);
    if (nl < 0) {
      this.start = this.pos = this.buf.length;
      return;
    }
    this.nextLine++;
    this.start = this.pos = nl + 1;
    this.skipping = false;
  }

  /** Scans, cutting oversized records wherever they are met (so the cut never depends on how text arrived). */
  private scanAll(out: RawRecord[]): void {
    this.scan(out);
    while (this.pendingLength > this.maxRecordLength) {
      this.cutOversized(out);
      if (this.skipping) return;
      this.scan(out);
    }
  }

  private scan(out: RawRecord[]): void {
    const buf = this.buf;
    const len = buf.length;
    let i = this.pos;
    while (i < len) {
      if (!this.quoted || this.state === State.FieldStart || this.state === State.Unquoted) {
        // Fast path: jump to the next newline unless a quote comes first.
        const nl = buf.indexOf('\n', i);
        if ((nl < 0 ? len : nl) - this.start > this.maxRecordLength) { i = len; break; } // cut by scanAll
        if (!this.quoted) {
          if (nl < 0) { i = len; break; }
          this.emit(nl, out, false);
          i = nl + 1;
          continue;
        }
        const q = buf.indexOf('"', i);
        if (nl >= 0 && (q < 0 || q > nl)) {
          this.emit(nl, out, false);
          i = nl + 1;
          continue;
        }
        if (q < 0) { i = len; this.state = State.Unquoted; break; }
        // A quote before the newline: does it open a field?
        const prev = q === this.start ? -1 : buf.charCodeAt(q - 1);
        this.state = prev === -1 || prev === this.delim ? State.Quoted : State.Unquoted;
        i = q + 1;
        continue;
      }
      // Slow path inside quotes, char by char.
      if (i - this.start > this.maxRecordLength) { i = len; break; } // cut by scanAll
      const c = buf.charCodeAt(i);
      if (this.state === State.Quoted) {
        if (c === QUOTE) this.state = State.QuoteInQuoted;
        else if (c === NL) this.linesInRecord++;
        i++;
      } else {
        // QuoteInQuoted: `""` escapes; anything else closes the quoted field.
        if (c === QUOTE) { this.state = State.Quoted; i++; }
        else if (c === NL) { this.emit(i, out, false); i++; }
        else { this.state = c === this.delim ? State.FieldStart : State.Unquoted; i++; }
      }
    }
    this.pos = i;
  }

  /** Emits buf[start, end) as a record (or skips it when blank) and moves past the newline at `end`. */
  private emit(end: number, out: RawRecord[], unterminated: boolean): void {
    let stop = end;
    if (stop > this.start && this.buf.charCodeAt(stop - 1) === CR) stop--;
    const line = this.nextLine;
    this.nextLine += this.linesInRecord + 1;
    this.linesInRecord = 0;
    this.state = State.FieldStart;
    const text = this.buf.slice(this.start, stop);
    this.start = end + 1;
    if (isBlank(text)) return;
    this.rows++;
    const rec: RawRecord = { row: this.rows, line, text };
    if (unterminated) rec.unterminatedQuote = true;
    out.push(rec);
  }
}

/** What the sidecar shows of a record longer than `limit` characters. */
export function previewOf(text: string, limit: number): string {
  return text.slice(0, Math.min(PREVIEW_CHARS, limit + 1));
}

/** A line that is not a record: empty, or only whitespace. */
export function isBlank(text: string): boolean {
  if (text.length === 0) return true;
  const c = text.charCodeAt(0);
  return (c === 32 || c === 9 || c === CR) && text.trim() === '';
}
