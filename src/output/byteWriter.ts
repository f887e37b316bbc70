/**
 * Output text built as bytes. Concatenating a JS string per row and encoding it at the end was measured at
 * ~250 ns per row for a two-cell CSV row, several times the cost of writing the same bytes; and bytes can be
 * transferred from a worker instead of copied. The buffer is not pooled, so it can be transferred.
 */
import { writeFloat32 } from '../formats/numbers.js';

/** Text up to this long is copied by `ascii`. */
const SHORT = 32;
const WRITTEN = 0;
const NOT_ASCII = 1;
const NEEDS_QUOTES = 2;

export class ByteWriter {
  private buf: Buffer;
  private at = 0;

  constructor(expected: number) {
    this.buf = Buffer.allocUnsafeSlow(Math.max(64, expected));
  }

  /** Makes room for n more bytes. */
  private room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafeSlow(Math.max(this.buf.length * 2, this.at + n));
    this.buf.copy(bigger, 0, 0, this.at);
    this.buf = bigger;
  }

  byte(c: number): void {
    this.room(1);
    this.buf[this.at++] = c;
  }

  /** Any text, as UTF-8. */
  text(s: string): void {
    if (s.length > SHORT || this.ascii(s, -1) === NOT_ASCII) this.utf8(s);
  }

  /**
   * A CSV cell: writes it and returns true, or returns false when it holds a quote, a line break or the delimiter
   * (the row must then be quoted).
   */
  cell(s: string, delimiter: number): boolean {
    if (s.length <= SHORT) {
      const r = this.ascii(s, delimiter);
      if (r !== NOT_ASCII) return r === WRITTEN;
    }
    if (s.includes('"') || s.includes('\n') || s.includes('\r') || s.includes(String.fromCharCode(delimiter))) return false;
    this.utf8(s);
    return true;
  }

  /**
   * Copies short ASCII text in JS, cheaper than the native write call (and than a regular expression test for a
   * cell). Writes nothing when the text holds a non-ASCII character or, for `delimiter` ≥ 0, a character that needs
   * CSV quoting.
   */
  private ascii(s: string, delimiter: number): typeof WRITTEN | typeof NOT_ASCII | typeof NEEDS_QUOTES {
    const n = s.length;
    this.room(n);
    const start = this.at;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) {
        this.at = start;
        return NOT_ASCII;
      }
      if (delimiter >= 0 && (c === 34 || c === 10 || c === 13 || c === delimiter)) {
        this.at = start;
        return NEEDS_QUOTES;
      }
      this.buf[this.at++] = c;
    }
    return WRITTEN;
  }

  private utf8(s: string): void {
    this.room(s.length * 3);
    this.at += this.buf.write(s, this.at, 'utf8');
  }

  /** The position, to go back to with `rewind`. */
  get position(): number {
    return this.at;
  }

  rewind(position: number): void {
    this.at = position;
  }

  /** A JSON value as JSON.stringify writes it; whole numbers (ids, mostly) without a string of their own. */
  json(v: unknown): void {
    if (typeof v === 'number' && Number.isSafeInteger(v)) this.integer(v);
    else if (typeof v === 'bigint') this.text(v.toString()); // an int64 (Parquet input), exact
    else this.text(JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x)));
  }

  /** A safe integer's decimal digits (-0 as 0, as JSON.stringify and String give it). */
  private integer(n: number): void {
    this.room(17);
    if (n < 0) {
      this.buf[this.at++] = 0x2d;
      n = -n;
    }
    let digits = 1;
    for (let p = 10; p <= n; p *= 10) digits++;
    for (let i = this.at + digits - 1; i >= this.at; i--) {
      this.buf[i] = 0x30 + (n % 10);
      n = Math.floor(n / 10);
    }
    this.at += digits;
  }

  /** The shortest text that reads back to the same float32 (formatFloat32). */
  float32(x: number): void {
    this.room(16);
    this.at = writeFloat32(this.buf, this.at, x);
  }

  /** The bytes written. */
  bytes(): Uint8Array {
    return new Uint8Array(this.buf.buffer, this.buf.byteOffset, this.at);
  }
}
