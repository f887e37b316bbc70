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
  /** Byte offset where the record starts, in the bytes read from its source (set where they are known). */
  offset?: number;
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
/** `crAt` before the text has been looked at. */
const UNKNOWN = -2;

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
  /** The next CR in buf at or after the scan position (-1: none), for CSV; UNKNOWN after new text. */
  private crAt = UNKNOWN;
  private crFrom = 0;
  /** The input has ended: a CR at the end of the text is a line break of its own. */
  private ending = false;

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
    this.crAt = UNKNOWN;
    if (this.skipping) this.skip();
    this.scanAll(out);
    return out;
  }

  /** End of input: the last record (no newline at end of file), possibly inside an open quote. */
  end(out: RawRecord[] = []): RawRecord[] {
    this.ending = true;
    if (this.skipping) this.skip();
    if (!this.skipping) this.scanAll(out);
    if (this.start < this.buf.length && !this.skipping) {
      const unterminated = this.state === State.Quoted;
      // An unterminated quote runs to the end of input; its trailing line breaks are not part of the record.
      let end = this.buf.length;
      if (unterminated) while (end > this.start && (this.buf.charCodeAt(end - 1) === NL || this.buf.charCodeAt(end - 1) === CR)) end--;
      this.emit(end, 0, out, unterminated);
    }
    this.buf = '';
    this.pos = this.start = 0;
    this.crAt = UNKNOWN;
    this.ending = false;
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
    const nl = this.nextBreak(this.start + this.maxRecordLength);
    const n = nl < 0 ? 0 : this.breakLength(nl);
    // No line break yet, or a CR at the end whose meaning is not known yet: keep dropping from there.
    const end = nl < 0 ? this.buf.length : n === 0 ? nl : nl + n;
    this.nextLine += this.breaksIn(this.start, end);
    this.linesInRecord = 0;
    this.state = State.FieldStart;
    this.start = this.pos = end;
    this.skipping = nl < 0 || n === 0;
  }

  /** Drops text up to and including the next line break (then scanning resumes as usual). */
  private skip(): void {
    const nl = this.nextBreak(this.start);
    const n = nl < 0 ? 0 : this.breakLength(nl);
    if (n === 0) {
      this.start = this.pos = nl < 0 ? this.buf.length : nl;
      return;
    }
    this.nextLine++;
    this.start = this.pos = nl + n;
    this.skipping = false;
  }

  /** Scans, cutting oversized records wherever they are met (so the cut never depends on how text arrived). */
  private scanAll(out: RawRecord[]): void {
    this.scan(out);
    while (this.pendingLength - this.undecidedCr() > this.maxRecordLength) {
      this.cutOversized(out);
      if (this.skipping) return;
      this.scan(out);
    }
  }

  /**
   * 1 when the text ends with a CR whose meaning waits for the next character (CSV: CRLF or a lone CR); the
   * size limit does not count it yet, so the cut does not depend on where the text was split into pieces.
   */
  private undecidedCr(): number {
    const last = this.buf.length - 1;
    return this.quoted && last >= this.start && this.buf.charCodeAt(last) === CR && this.breakLength(last) === 0 ? 1 : 0;
  }

  /**
   * Where the next line break at or after `i` is: LF, and for CSV also CR (CRLF, or a lone CR as classic Mac
   * and Excel for Mac write: universal newlines, as Python and csv-parse read them). JSONL records are split at LF
   * only: there a lone CR is JSON whitespace.
   */
  private nextBreak(i: number): number {
    const nl = this.buf.indexOf('\n', i);
    if (!this.quoted) return nl;
    // The next CR is remembered: most CSV has none, and looking again for each record would rescan the text.
    if (this.crAt === UNKNOWN || i < this.crFrom || (this.crAt >= 0 && this.crAt < i)) {
      this.crAt = this.buf.indexOf('\r', i);
      this.crFrom = i;
    }
    return this.crAt >= 0 && (nl < 0 || this.crAt < nl) ? this.crAt : nl;
  }

  /** Characters of the line break at `at` (1 or 2 for CRLF); 0 for a CR that ends the text so far (undecided). */
  private breakLength(at: number): number {
    const c = this.buf.charCodeAt(at);
    if (c === NL) return 1;
    if (c !== CR || !this.quoted) return 0;
    if (at + 1 < this.buf.length) return this.buf.charCodeAt(at + 1) === NL ? 2 : 1;
    return this.ending ? 1 : 0;
  }

  /**
   * The size a record ending at break `at` counts against the limit: a CRLF's CR counts, as on the byte path,
   * which also reads a CR at the very end of the text as a CRLF's.
   */
  private sizeTo(at: number): number {
    const next = at + 1 < this.buf.length ? this.buf.charCodeAt(at + 1) : this.ending ? NL : -1;
    const crlf = this.buf.charCodeAt(at) === CR && next === NL;
    return at - this.start + (crlf ? 1 : 0);
  }

  /** Line breaks in buf[from, to) (a CRLF is one). */
  private breaksIn(from: number, to: number): number {
    let n = 0;
    for (let i = this.nextBreak(from); i >= 0 && i < to; i = this.nextBreak(i + Math.max(1, this.breakLength(i)))) n++;
    return n;
  }

  private scan(out: RawRecord[]): void {
    const buf = this.buf;
    const len = buf.length;
    let i = this.pos;
    while (i < len) {
      if (!this.quoted || this.state === State.FieldStart || this.state === State.Unquoted) {
        // Fast path: jump to the next line break unless a quote comes first.
        const nl = this.nextBreak(i);
        if ((nl < 0 ? len - this.start : this.sizeTo(nl)) > this.maxRecordLength) { i = len; break; } // cut by scanAll
        if (!this.quoted) {
          if (nl < 0) { i = len; break; }
          this.emit(nl, 1, out);
          i = nl + 1;
          continue;
        }
        const q = buf.indexOf('"', i);
        if (nl >= 0 && (q < 0 || q > nl)) {
          const n = this.breakLength(nl);
          if (n === 0) { i = nl; this.state = State.Unquoted; break; } // a CR at the end: wait for what follows
          this.emit(nl, n, out);
          i = nl + n;
          continue;
        }
        if (q < 0) { i = len; this.state = State.Unquoted; break; }
        // A quote before the line break: does it open a field?
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
        else if (c === CR) {
          const n = this.breakLength(i);
          if (n === 0) break; // wait for what follows
          if (n === 1) this.linesInRecord++; // a lone CR is a line of its own; a CRLF counts at its LF
        }
        i++;
      } else {
        // QuoteInQuoted: `""` escapes; a line break ends the record; anything else closes the quoted field.
        if (c === QUOTE) { this.state = State.Quoted; i++; }
        else if (c === NL || c === CR) {
          const n = this.breakLength(i);
          if (n === 0) break; // wait for what follows
          if (this.sizeTo(i) > this.maxRecordLength) { i = len; break; } // a CRLF's CR past the limit: cut by scanAll
          this.emit(i, n, out);
          i += n;
        }
        else { this.state = c === this.delim ? State.FieldStart : State.Unquoted; i++; }
      }
    }
    this.pos = i;
  }

  /** Emits buf[start, end) as a record (or skips it when blank) and moves past the line break (`breakLength` long) at `end`. */
  private emit(end: number, breakLength: number, out: RawRecord[], unterminated = false): void {
    let stop = end;
    if (stop > this.start && this.buf.charCodeAt(stop - 1) === CR) stop--;
    const line = this.nextLine;
    this.nextLine += this.linesInRecord + 1;
    this.linesInRecord = 0;
    this.state = State.FieldStart;
    const text = this.buf.slice(this.start, stop);
    this.start = end + breakLength;
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
