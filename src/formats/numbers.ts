/**
 * Strict numeric field parsing and shortest number formatting.
 *
 * This is the scorer's hot path (every numeric field of every record goes through
 * parseDecimalRange), so the common case — a short plain decimal such as "12.5",
 * "-0.0031" or "1e-3" — is parsed with a charCode loop, no regex and no substring.
 */

/** Exact powers of ten: every 10^k for 0 ≤ k ≤ 22 is exactly representable as a float64. */
const POW10: readonly number[] = [
  1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
  1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

const TWO_53 = 9007199254740992;
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
 * when that product is still exact. Everything else (long mantissas, large exponents) is validated here and then
 * handed to Number(text.slice(...)).
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
  let c = text.charCodeAt(i);
  if (c === CH_MINUS || c === CH_PLUS) {
    neg = c === CH_MINUS;
    if (++i === j) return undefined;
    c = text.charCodeAt(i);
  }

  // Mantissa: value = m * 10^z * 10^(exponent - fracDigits). Once m has reached M_LIMIT, further zeros are only
  // counted (z); a further non-zero digit means the mantissa cannot be exact, so the result comes from Number().
  let m = 0;
  let z = 0;
  let slow = false;
  const intStart = i;
  for (; i < j; i++) {
    c = text.charCodeAt(i);
    const d = c - CH_0;
    if (d >>> 0 > 9) break;
    if (m < M_LIMIT) m = m * 10 + d;
    else if (d === 0) z++;
    else slow = true;
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
      else slow = true;
    }
    fracDigits = i - fracStart;
    digits += fracDigits;
  }
  if (digits === 0) {
    // Nothing numeric after the sign: either nan / inf / infinity, or not a number ("e5", ".", "-.e1", "∞").
    return i === intStart ? parseSpecial(text, i, j, neg) : undefined;
  }

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
  if (m === 0) return neg ? -0 : 0;

  const e = exp - fracDigits + z;
  let v: number;
  if (e === 0) {
    v = m;
  } else if (e < 0) {
    if (e < -22) return Number(text.slice(first, j));
    v = m / POW10[-e];
  } else if (e <= 22) {
    v = m * POW10[e];
  } else {
    if (e > 22 + 15) return Number(text.slice(first, j));
    const t = m * POW10[e - 22];
    if (t >= TWO_53) return Number(text.slice(first, j));
    v = t * 1e22;
  }
  return neg ? -v : v;
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
