/**
 * Strict numeric field parsing and shortest number formatting.
 *
 * This is the scorer's hot path (every numeric field of every record goes through
 * parseDecimalRange or parsePlainDecimalBytes), so the common case — a short plain decimal such as "12.5",
 * "-0.0031" or "1e-3" — is parsed with a charCode loop, no regex and no substring. Every accepted decimal gives
 * the double Number() gives (correctly rounded): short ones by one exact operation (Clinger), up to 19 significant
 * digits at any exponent by Eisel–Lemire (eiselLemire.ts), and only what that cannot decide by Number() on the
 * field's own text.
 */
import { DECIDED, eiselLemire, eiselLemireDigits, significandValue } from './eiselLemire.js';
import { latin1Text } from './latin1Text.js';

/** Exact powers of ten: every 10^k for 0 ≤ k ≤ 22 is exactly representable as a float64. */
const POW10: readonly number[] = [
  1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
  1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

const TWO_53 = 9007199254740992;
const TWO_32 = 4294967296;
/** m < M_LIMIT ⇒ m * 10 + 9 < 2^53, so appending one more digit keeps the mantissa exact (floor(2^53 / 10)). */
const M_LIMIT = 900719925474099;
/** Exponents at or beyond this magnitude are far outside the fast path: stop accumulating and let Number() read them. */
const EXP_LIMIT = 100000;

/** Smallest positive normal float32, 2^-126. */
const FLT_MIN_NORMAL = 1.1754943508222875e-38;

const CH_TAB = 9;
const CH_SPACE = 32;
const CH_PLUS = 43;
const CH_MINUS = 45;
const CH_DOT = 46;
const CH_0 = 48;
const CH_LOWER_E = 101;

/** Whitespace as understood by String.prototype.trim / regex \s. */
function isWhitespace(c: number): boolean {
  if (c <= 32) return c === 32 || (c >= 9 && c <= 13);
  if (c < 160) return false;
  return (
    c === 160 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f ||
    c === 0x3000 || c === 0xfeff
  );
}

/** True for a field that means "no value": empty or whitespace-only, or NA, N/A, null (case-insensitive, surrounding spaces allowed). */
export function isMissingToken(s: string): boolean {
  let i = 0;
  let j = s.length;
  while (i < j && isWhitespace(s.charCodeAt(i))) i++;
  while (j > i && isWhitespace(s.charCodeAt(j - 1))) j--;
  const n = j - i;
  if (n === 0) return true;
  // (c | 32) lower-cases an ASCII letter, and only that letter's two cases map onto its lower-case code.
  if ((s.charCodeAt(i) | 32) !== 110 /* n */) return false;
  if (n === 2) return (s.charCodeAt(i + 1) | 32) === 97; /* na */
  if (n === 3) return s.charCodeAt(i + 1) === 47 /* / */ && (s.charCodeAt(i + 2) | 32) === 97; /* n/a */
  if (n === 4) {
    return (
      (s.charCodeAt(i + 1) | 32) === 117 /* u */ &&
      (s.charCodeAt(i + 2) | 32) === 108 /* l */ &&
      (s.charCodeAt(i + 3) | 32) === 108 /* l */
    );
  }
  return false;
}

/** Case-insensitive match of text[i..j) against a lower-case ASCII word. */
function matchesWord(text: string, i: number, j: number, word: string): boolean {
  if (j - i !== word.length) return false;
  for (let k = 0; k < word.length; k++) {
    if ((text.charCodeAt(i + k) | 32) !== word.charCodeAt(k)) return false;
  }
  return true;
}

/** nan / inf / infinity (any case) in text[i..j), after the sign. */
function parseSpecial(text: string, i: number, j: number, neg: boolean): number | undefined {
  if (matchesWord(text, i, j, 'inf') || matchesWord(text, i, j, 'infinity')) {
    return neg ? -Infinity : Infinity;
  }
  if (matchesWord(text, i, j, 'nan')) return NaN;
  return undefined;
}

/**
 * Strict decimal parse of a whole field. Returns the number, or undefined when the text is not a decimal number.
 * Accepts surrounding ASCII spaces/tabs, an optional sign, digits with an optional '.' fraction (".3", "3.", "3.0"),
 * an optional exponent (1e0, .3e1, 1E+5, 2e-3), and NaN / inf / infinity in any case with an optional sign.
 * Rejects "" and whitespace-only text (callers treat those as missing), hex/octal/binary literals, digit separators,
 * commas, internal spaces, a bare sign or dot, and incomplete exponents.
 * For accepted input the result equals Number(trimmed text) exactly (NaN for nan, ±Infinity for inf/infinity).
 */
export function parseDecimal(s: string): number | undefined {
  return parseDecimalRange(s, 0, s.length);
}

/**
 * Same as parseDecimal(text.slice(start, end)) without allocating a substring in the common case.
 *
 * Fast path (Clinger): the digits are accumulated into an integer mantissa m while it stays below 2^53 (at least
 * 15 significant digits; zeros beyond that only scale the value and are folded into the exponent), and the result
 * is m * 10^e or m / 10^e with an exact power of ten (|e| ≤ 22): a single correctly rounded IEEE754 operation on
 * exact operands, hence the correctly rounded value. For 22 < e ≤ 37 the surplus power is moved into the mantissa
 * when that product is still exact. Other exponents, and mantissas of up to 19 significant digits, go to
 * Eisel–Lemire; only what it leaves undecided (or an exponent past ±100000) is handed to Number(text.slice(...)).
 */
export function parseDecimalRange(text: string, start: number, end: number): number | undefined {
  let i = start;
  let j = end;
  // Trim ASCII spaces and tabs.
  while (i < j) {
    const c = text.charCodeAt(i);
    if (c !== CH_SPACE && c !== CH_TAB) break;
    i++;
  }
  while (j > i) {
    const c = text.charCodeAt(j - 1);
    if (c !== CH_SPACE && c !== CH_TAB) break;
    j--;
  }
  if (i === j) return undefined;
  const first = i;
  let neg = false;
  const c = text.charCodeAt(i);
  if (c === CH_MINUS || c === CH_PLUS) {
    neg = c === CH_MINUS;
    if (++i === j) return undefined;
  }
  return signedDecimal(text, first, i, j, neg);
}

/** The decimal text[i, j) after its sign (text[first, j) with it): parseDecimalRange once trimmed. */
function signedDecimal(text: string, first: number, i: number, j: number, neg: boolean): number | undefined {
  let c = text.charCodeAt(i);
  // Mantissa: value = m * 10^z * 10^(exponent - fracDigits). Once m has reached M_LIMIT, further zeros are only
  // counted (z); a further non-zero digit means m does not hold the significand (`long`): the digits are read
  // again by longDecimalText.
  let m = 0;
  let z = 0;
  let long = false;
  let slow = false;
  const intStart = i;
  for (; i < j; i++) {
    c = text.charCodeAt(i);
    const d = c - CH_0;
    if (d >>> 0 > 9) break;
    if (m < M_LIMIT) m = m * 10 + d;
    else if (d === 0) z++;
    else long = true;
  }
  let digits = i - intStart;
  let fracDigits = 0;
  if (i < j && c === CH_DOT) {
    const fracStart = ++i;
    for (; i < j; i++) {
      c = text.charCodeAt(i);
      const d = c - CH_0;
      if (d >>> 0 > 9) break;
      if (m < M_LIMIT) m = m * 10 + d;
      else if (d === 0) z++;
      else long = true;
    }
    fracDigits = i - fracStart;
    digits += fracDigits;
  }
  if (digits === 0) {
    // Nothing numeric after the sign: either nan / inf / infinity, or not a number ("e5", ".", "-.e1", "∞").
    return i === intStart ? parseSpecial(text, i, j, neg) : undefined;
  }
  const digitsEnd = i;

  // Exponent.
  let exp = 0;
  if (i < j) {
    if ((c | 32) !== CH_LOWER_E) return undefined;
    if (++i === j) return undefined;
    c = text.charCodeAt(i);
    let expNeg = false;
    if (c === CH_MINUS || c === CH_PLUS) {
      expNeg = c === CH_MINUS;
      if (++i === j) return undefined;
    }
    for (; i < j; i++) {
      const d = text.charCodeAt(i) - CH_0;
      if (d >>> 0 > 9) return undefined;
      if (exp < EXP_LIMIT) exp = exp * 10 + d;
      else slow = true;
    }
    if (expNeg) exp = -exp;
  }

  if (slow) return Number(text.slice(first, j));
  let v = 0;
  if (long) v = longDecimalText(text, intStart, digitsEnd, exp - fracDigits);
  else if (m !== 0) v = scaledMantissa(m, exp - fracDigits + z);
  if (v !== v) v = Number(text.slice(intStart, j)); // undecided: the field's own text, without its sign
  return neg ? -v : v;
}

/**
 * m · 10^e for an exact integer 0 < m < 2^53: Clinger's exact operations where they suffice, else Eisel–Lemire;
 * NaN where that cannot decide.
 */
function scaledMantissa(m: number, e: number): number {
  if (e === 0) return m;
  if (e < 0) {
    if (e >= -22) return m / POW10[-e];
  } else if (e <= 22) {
    return m * POW10[e];
  } else if (e <= 22 + 15) {
    const t = m * POW10[e - 22];
    if (t < TWO_53) return t * 1e22;
  }
  return eiselLemire(Math.floor(m / TWO_32), m | 0, e) ? DECIDED[0] : NaN;
}

/**
 * The value of the digits text[from, to) (digits with at most one '.', already checked) times 10^e (e: the
 * exponent less the fraction's digit count), for a significand longer than scaledMantissa takes; NaN where
 * significandValue cannot decide.
 */
function longDecimalText(text: string, from: number, to: number, e: number): number {
  let k = from;
  for (let c = text.charCodeAt(k); c === CH_0 || c === CH_DOT; c = text.charCodeAt(++k));
  let head = 0;
  let tail = 0;
  let n = 0;
  let dropped = 0;
  let rest = 0;
  for (; k < to; k++) {
    const d = text.charCodeAt(k) - CH_0;
    if (d < 0) continue; // the dot
    if (n < 10) head = head * 10 + d;
    else if (n < 19) tail = tail * 10 + d;
    else {
      dropped++;
      rest |= d;
      continue;
    }
    n++;
  }
  return significandValue(head, tail, n, e + dropped, rest !== 0) ? DECIDED[0] : NaN;
}

/** Number of significant digits of a JS number-to-string result ("0.00125" → 3, "1000" → 1, "1.5e-7" → 2). */
function significantDigits(s: string): number {
  let i = 0;
  let n = s.length;
  const e = s.indexOf('e');
  if (e >= 0) n = e;
  // Skip sign, leading zeros and the dot.
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c !== CH_MINUS && c !== CH_0 && c !== CH_DOT) break;
    i++;
  }
  // Drop trailing zeros (and a trailing dot, which JS never prints, but be safe).
  while (n > i) {
    const c = s.charCodeAt(n - 1);
    if (c !== CH_0 && c !== CH_DOT) break;
    n--;
  }
  let count = 0;
  for (let k = i; k < n; k++) if (s.charCodeAt(k) !== CH_DOT) count++;
  return count;
}

/**
 * Shortest decimal text that reads back (Number(), then Math.fround) to the same float32 value:
 * 0.1f prints "0.1", not "0.10000000149011612". The result uses JS number-to-string conventions
 * (String(Number(shortest))); NaN → "NaN", ±Infinity → "Infinity"/"-Infinity", -0 → "0".
 * A value that is not exactly a float32 is first rounded with Math.fround.
 */
export function formatFloat32(x: number): string {
  const f = Math.fround(x);
  if (!shortest32(f)) return formatFloat32ByPrecision(f);
  return SCRATCH.toString('latin1', 0, writeShortest(SCRATCH, 0));
}

/** formatFloat32's text written as ASCII bytes at `at` (room for 16 bytes needed); returns the end. */
export function writeFloat32(buf: Buffer, at: number, x: number): number {
  const f = Math.fround(x);
  if (shortest32(f)) return writeShortest(buf, at);
  return at + buf.write(formatFloat32ByPrecision(f), at, 'latin1');
}

/**
 * The same text by toPrecision and round-trip checks: the reference, and the path for what scaledShortest32
 * leaves (zeros, NaN, infinities, very small or large magnitudes, near-ties).
 */
export function formatFloat32ByPrecision(x: number): string {
  const f = Math.fround(x);
  if (f !== f) return 'NaN';
  if (f === 0) return '0';
  if (f === Infinity) return 'Infinity';
  if (f === -Infinity) return '-Infinity';
  // Most model outputs need 8 or 9 digits: try those first (measured: this function was 20% of a run's
  // profile when it began with String(f) and a binary search).
  const t8 = f.toPrecision(8);
  if (Math.fround(Number(t8)) !== f) return plain(f.toPrecision(9));
  const t7 = f.toPrecision(7);
  if (Math.fround(Number(t7)) !== f) return plain(t8);
  const t6 = f.toPrecision(6);
  if (Math.fround(Number(t6)) !== f) return plain(t7);
  return shortestUpTo7(f);
}

/** 10^i for -30 ≤ i ≤ 30 as parsed from text (correctly rounded; Math.pow is not guaranteed to be). */
const DECADES: readonly number[] = Array.from({ length: 61 }, (_, i) => Number(`1e${i - 30}`));
const SCRATCH = Buffer.alloc(32);
const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);
const LOG10_2 = 0.3010299956639812;

// shortest32's result: the value is ±digits · 10^(exp - precision + 1), digits having `precision` digits.
let shortNeg = false;
let shortDigits = 0;
let shortExp = 0;
let shortPrecision = 0;

/**
 * formatFloat32's digits by arithmetic, several times faster than toPrecision (which allocates a string per try):
 * with the decimal exponent E of |f| known, the nearest p-digit decimal is D = round(|f| · 10^(p-1-E)), computed by
 * one multiplication or division by an exact power of ten (|p-1-E| ≤ 22), hence from the correctly rounded scaled
 * value; it reads back as Number() reads "D e(E-p+1)", by the same single exact operation. The fewest digits that
 * read back to f are kept (reading back is monotonic in p) — what toPrecision finds. Returns false where this is not
 * certain to be exact: zeros, NaN and infinities, magnitudes outside [1e-13, 1e14), and scaled values within 1e-6
 * of a tie (the scaled value's error is below 2^-24, so elsewhere the rounding direction is certain).
 */
function shortest32(f: number): boolean {
  const a = f < 0 ? -f : f;
  if (!(a >= 1e-13 && a < 1e14)) return false;
  // The decimal exponent from the binary one (floor(log10 a) is floor(e2 · log10 2) or one more): half the cost of
  // Math.log10, measured.
  F32[0] = a;
  let e = Math.floor((((U32[0] >>> 23) & 0xff) - 127) * LOG10_2);
  if (a >= DECADES[e + 31]) e++;
  let p = 8;
  let d = nearestDigits(a, e, p);
  if (d < 0) return false;
  if (!readsBack(a, d, e, p)) {
    p = 9;
    d = nearestDigits(a, e, p);
    if (d < 0 || !readsBack(a, d, e, p)) return false;
  } else {
    for (let q = 7; q >= 1; q--) {
      const shorter = nearestDigits(a, e, q);
      if (shorter < 0) return false;
      if (!readsBack(a, shorter, e, q)) break;
      d = shorter;
      p = q;
    }
  }
  if (d === POW10[p]) {
    d = POW10[p - 1]; // rounded up to the next power of ten
    e++;
  }
  while (d % 10 === 0) {
    d /= 10;
    p--;
  }
  shortNeg = f < 0;
  shortDigits = d;
  shortExp = e;
  shortPrecision = p;
  return true;
}

/** round(a · 10^(p-1-e)), or -1 near a tie. */
function nearestDigits(a: number, e: number, p: number): number {
  const k = p - 1 - e;
  const scaled = k >= 0 ? a * POW10[k] : a / POW10[-k];
  const whole = Math.floor(scaled);
  const frac = scaled - whole;
  if (frac > 0.499999 && frac < 0.500001) return -1;
  return frac > 0.5 ? whole + 1 : whole;
}

/** Whether "d e(e-p+1)" reads back to the float32 a. */
function readsBack(a: number, d: number, e: number, p: number): boolean {
  const k = p - 1 - e;
  return Math.fround(k >= 0 ? d / POW10[k] : d * POW10[-k]) === a;
}

/** Writes shortest32's result in JS number-to-string layout (Number::toString's rules); returns the end. */
function writeShortest(buf: Buffer, at: number): number {
  const p = shortPrecision;
  const e = shortExp;
  const point = e + 1; // digits before the decimal point
  if (shortNeg) buf[at++] = CH_MINUS;
  if (p <= point && point <= 21) {
    at = writeDigits(buf, at, shortDigits, p, -1);
    for (let i = p; i < point; i++) buf[at++] = CH_0;
  } else if (0 < point && point <= 21) {
    at = writeDigits(buf, at, shortDigits, p, point);
  } else if (-6 < point && point <= 0) {
    buf[at++] = CH_0;
    buf[at++] = CH_DOT;
    for (let i = point; i < 0; i++) buf[at++] = CH_0;
    at = writeDigits(buf, at, shortDigits, p, -1);
  } else {
    at = writeDigits(buf, at, shortDigits, p, p > 1 ? 1 : -1);
    buf[at++] = CH_LOWER_E;
    buf[at++] = e < 0 ? CH_MINUS : CH_PLUS;
    const x = e < 0 ? -e : e;
    at = writeDigits(buf, at, x, x >= 10 ? 2 : 1, -1);
  }
  return at;
}

/** The `count` digits of d, with a dot after the first `dotAfter` of them (-1: none); returns the end. */
function writeDigits(buf: Buffer, at: number, d: number, count: number, dotAfter: number): number {
  const end = at + count + (dotAfter > 0 ? 1 : 0);
  let i = end;
  for (let k = count; k > 0; k--) {
    if (k === dotAfter) buf[--i] = CH_DOT;
    const q = Math.floor(d / 10);
    buf[--i] = CH_0 + (d - q * 10);
    d = q;
  }
  return end;
}

/** toPrecision's text in JS number-to-string form (no trailing zeros, exponent only where String() uses one). */
function plain(t: string): string {
  const last = t.charCodeAt(t.length - 1);
  return last === 48 /* 0 */ || t.indexOf('e') >= 0 ? String(Number(t)) : t;
}

/** f round-trips with 7 significant digits: find the fewest. */
function shortestUpTo7(f: number): string {
  const s = String(f);
  const k = significantDigits(s);
  // Fast exit: if the float64-shortest text of a normal float32 has k ≤ 7 significant digits, it is also the
  // float32-shortest. Any other decimal with ≤ 7 significant digits differs from it by at least one unit in its
  // 7th digit, i.e. by ≥ 1e-7 relative, while reading back to f needs a distance < half a float32 ulp ≤ 2^-24
  // (≈ 5.96e-8) relative. Integers and short dyadic fractions ("3", "0.5", "0.375") take this exit.
  if (k <= 7 && (f >= FLT_MIN_NORMAL || f <= -FLT_MIN_NORMAL)) return s;
  // Round-tripping is monotonic in the precision: the nearest (p+1)-digit decimal is never farther from f than the
  // nearest p-digit one.
  let lo = 1;
  let hi = 7;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (Math.fround(Number(f.toPrecision(mid))) === f) hi = mid;
    else lo = mid + 1;
  }
  return String(Number(f.toPrecision(lo)));
}

/** Shortest round-trip text for a float64: String(x) (JS already prints the shortest round-trip form). */
export function formatFloat64(x: number): string {
  return String(x);
}

/**
 * parseDecimalRange on UTF-8 bytes, for the byte-level paths: reads `[sign] digits [. digits] [(e|E) [sign] digits]`
 * from b[i], writes its value to out[at] and returns where it stopped, which must be `end` or a `stop` byte (a
 * delimiter). Returns -1 for anything else — spaces, nan/inf, missing values, stray characters — so the caller can
 * hand the record to the text path, which gives the exact error. The value written is the one parseDecimalRange
 * returns for the same text, i.e. Number()'s (into a Float32Array: Math.fround of it): up to 19 significant digits
 * and any exponent are computed here (Clinger, else Eisel–Lemire), and what those leave undecided is read by
 * Number() from this field's text alone, never by declining the record.
 *
 * No bounds checks in the digit loops (measured: a third faster): b[end] must exist and be a line break (or a CR
 * before one), so every loop stops there at the latest.
 */
export function parsePlainDecimalBytes(b: Uint8Array, i: number, end: number, stop: number, out: FloatArray, at: number): number {
  // The sign without a branch: signs in real data are a coin toss, and two mispredicted branches per field (skip
  // the sign, negate the value) cost a fifth of this function (measured on the bench's features).
  const c = b[i];
  const minus = isByte(c, CH_MINUS);
  i += minus | isByte(c, CH_PLUS);
  let m = 0;
  let d = 0;
  const intStart = i;
  while ((d = b[i] - CH_0) >>> 0 <= 9) {
    m = m * 10 + d;
    i++;
  }
  let digits = i - intStart;
  let fracDigits = 0;
  if (b[i] === CH_DOT) {
    const fracStart = ++i;
    while ((d = b[i] - CH_0) >>> 0 <= 9) {
      m = m * 10 + d;
      i++;
    }
    fracDigits = i - fracStart;
    digits += fracDigits;
  }
  if (digits === 0) return -1;
  const digitsEnd = i;
  let e = -fracDigits;
  if ((b[i] | 32) === CH_LOWER_E && i < end) {
    i++;
    let expNeg = false;
    if (b[i] === CH_MINUS || b[i] === CH_PLUS) expNeg = b[i++] === CH_MINUS;
    const expStart = i;
    let exp = 0;
    // No limit needed: an exponent too long to add up exactly is ≥ 2^53, far beyond ±343, where only its sign counts.
    while ((d = b[i] - CH_0) >>> 0 <= 9) {
      exp = exp * 10 + d;
      i++;
    }
    if (i === expStart) return -1;
    e += expNeg ? -exp : exp;
  }
  if (i > end || (i < end && b[i] !== stop)) return -1;
  let v: number;
  // m only grows, so m < 2^53 at the end means every step was exact: m is the significand.
  if (m < TWO_53 && e >= -22 && e <= 22) v = e < 0 ? m / POW10[-e] : m * POW10[e];
  else if (m === 0) v = 0;
  else if (out instanceof Float32Array && (v = float32Ready(m, e, digits)) === v) {
    // v rounds to the float32 Number()'s double rounds to (see float32Ready).
  } else {
    const decided = m < TWO_53 ? eiselLemire(Math.floor(m / TWO_32), m | 0, e) : longDecimalBytes(b, intStart, digitsEnd, fracDigits, m, e);
    // Undecided: this field's text alone, without its sign, goes to Number().
    v = decided ? DECIDED[0] : Number(latin1Text(b, intStart, i));
  }
  out[at] = v * (1 - 2 * minus); // exact: v or -v (-0 for a negative zero, as Number gives)
  return i;
}

/** The low 32 bits of a double in BITS, whatever the platform's byte order. */
const BITS = new Float64Array(1);
const BITS_U32 = new Uint32Array(BITS.buffer);
const LOW_WORD = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 0 : 1;
/** Of a double's 52 fraction bits, the 29 that float32 rounding drops; a tie between two float32s is 2^28 there. */
const DROPPED_BITS = 0x1fffffff;
const FLOAT32_TIE = 0x10000000;
/** How near a float32 tie, in units in the last place of a double, the approximation below may not be. */
const TIE_MARGIN = 64;

/**
 * m · 10^e for a significand of at most 20 digits summed in doubles by Horner's rule (m: exact up to 2^53, then
 * off by at most two roundings per digit), |e| ≤ 22: one more rounding gives v within 11 units in the last place of
 * the decimal's exact value x. Number() rounds x to the double nearest; stored into a Float32Array that is rounded
 * again. Where no float32 tie lies within TIE_MARGIN units of v, x, Number()'s double and v all round to the same
 * float32, so v can be stored instead — without the exact double (Eisel–Lemire, several times the cost of the
 * digits) that only a Float64Array needs. NaN where that is not certain: near a tie (about one value in 4 · 10^6),
 * outside float32's normal range, and for longer significands or larger exponents.
 */
function float32Ready(m: number, e: number, digits: number): number {
  if (digits > 20 || e < -22 || e > 22) return NaN;
  const v = e < 0 ? m / POW10[-e] : m * POW10[e];
  if (!(v >= 1e-37 && v < 1e38)) return NaN;
  BITS[0] = v;
  const fromTie = (BITS_U32[LOW_WORD] & DROPPED_BITS) - FLOAT32_TIE;
  return fromTie > -TIE_MARGIN && fromTie < TIE_MARGIN ? NaN : v;
}

/**
 * The value of the digits b[from, to) times 10^e into DECIDED[0] (false: undecided), for a significand of 16 or
 * more digits that m, their sum by Horner's rule, no longer holds exactly. With at most 19 significant digits the
 * significand is head · 10^9 + tail: tail, its last nine digits, read again, and head = (m - tail) / 10^9 rounded
 * (m is within 2 · 19 roundings of 2^-53 of the significand, far less than 10^9 / 2). Longer ones are read again
 * whole (significandValue's first 19 digits and the rest).
 */
function longDecimalBytes(b: Uint8Array, from: number, to: number, fracDigits: number, m: number, e: number): boolean {
  let k = from;
  while (b[k] === CH_0 || b[k] === CH_DOT) k++;
  const dot = fracDigits > 0 || b[to - 1] === CH_DOT ? to - fracDigits - 1 : -1;
  const significant = to - k - (dot >= k ? 1 : 0);
  if (significant <= 19) {
    let tail = 0;
    let scale = 1;
    for (let q = to - 1, n = 0; n < 9; q--) {
      if (q === dot) continue;
      tail += (b[q] - CH_0) * scale;
      scale *= 10;
      n++;
    }
    return eiselLemireDigits(Math.round((m - tail) / 1e9), tail, 9, e);
  }
  let head = 0;
  let tail = 0;
  let n = 0;
  let dropped = 0;
  let rest = 0;
  for (; k < to; k++) {
    const d = b[k] - CH_0;
    if (d < 0) continue; // the dot
    if (n < 10) head = head * 10 + d;
    else if (n < 19) tail = tail * 10 + d;
    else {
      dropped++;
      rest |= d;
      continue;
    }
    n++;
  }
  return significandValue(head, tail, n, e + dropped, rest !== 0);
}

/** 1 when c === byte, else 0, without a branch. */
function isByte(c: number, byte: number): number {
  return (((c - byte) | (byte - c)) >>> 31) ^ 1;
}

type FloatArray = Float32Array | Float64Array;
