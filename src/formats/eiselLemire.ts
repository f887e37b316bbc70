/**
 * Correctly rounded decimal → double for a significand of up to 19 digits and any exponent, without BigInt on the
 * way: the Eisel–Lemire algorithm (Lemire, "Number Parsing at a Gigabyte per Second", 2021; the form here follows
 * Go's strconv.eiselLemire64). w · 10^e10 is computed as w times a 128-bit truncated mantissa of 10^e10, on 32-bit
 * limbs held in doubles (every partial product below 2^53, so exact); the top 54 bits of the product give the
 * rounded double unless the truncation could change them, which the algorithm detects. It then answers NaN
 * ("undecided": about one input in 10^9 at random, plus subnormal and overflowing results), and the caller reads
 * that field with Number() instead.
 */

/** The smallest and largest e10 with a table entry. Beyond them the value is 0 or Infinity for every w < 2^64. */
const MIN_E10 = -342;
const MAX_E10 = 308;

const TWO_32 = 4294967296;
const TWO_53 = 9007199254740992;

/** 4 limbs per power of ten, most significant first: the 128-bit mantissa of 10^e10, top bit set, rounded down. */
let powersOfTen: Uint32Array | null = null;
/** 2^k for -1074 ≤ k ≤ 971 at index k + 1074: every scale a normal double's 53-bit integer mantissa needs. */
let powersOfTwo: Float64Array | null = null;

/**
 * Built on first use, with BigInt (exact): a run whose numbers all take the Clinger path never pays for it (the
 * 651 divisions take about a millisecond).
 */
function buildTables(): Uint32Array {
  const table = new Uint32Array((MAX_E10 - MIN_E10 + 1) * 4);
  for (let e10 = MIN_E10; e10 <= MAX_E10; e10++) {
    const mantissa = truncatedMantissa(e10);
    const at = (e10 - MIN_E10) * 4;
    for (let limb = 0; limb < 4; limb++) table[at + limb] = Number((mantissa >> BigInt(96 - 32 * limb)) & 0xffffffffn);
  }
  powersOfTwo = new Float64Array(971 + 1074 + 1);
  let p = 1;
  for (let k = 0; k <= 971; k++, p *= 2) powersOfTwo[k + 1074] = p;
  p = 0.5;
  for (let k = -1; k >= -1074; k--, p /= 2) powersOfTwo[k + 1074] = p; // halving is exact down to 2^-1074
  powersOfTen = table;
  return table;
}

/** floor(10^e10 · 2^s) for the s that puts its top bit at bit 127. */
function truncatedMantissa(e10: number): bigint {
  if (e10 >= 0) {
    const v = 10n ** BigInt(e10);
    const bits = v.toString(2).length;
    return bits >= 128 ? v >> BigInt(bits - 128) : v << BigInt(128 - bits);
  }
  const d = 10n ** BigInt(-e10);
  // 2^(bits-1) < d < 2^bits (d is no power of two), so 2^(127+bits) / d lies strictly between 2^127 and 2^128.
  return (1n << BigInt(127 + d.toString(2).length)) / d;
}

// mul32's result, and mul64's: module variables instead of an array per call (this runs for every long field).
let mulHi = 0;
let mulLo = 0;
let p3 = 0;
let p2 = 0;
let p1 = 0;
let p0 = 0;

/** a · b for 32-bit a and b, as mulHi · 2^32 + mulLo, from 16-bit halves (each partial product exact). */
function mul32(a: number, b: number): void {
  const aL = a & 0xffff;
  const aH = a >>> 16;
  const bL = b & 0xffff;
  const bH = b >>> 16;
  const mid = aL * bH + aH * bL + ((aL * bL) >>> 16);
  mulHi = aH * bH + Math.floor(mid / 65536);
  mulLo = Math.imul(a, b) >>> 0;
}

/** (a1·2^32 + a0) · (b1·2^32 + b0) as the 128-bit p3 p2 p1 p0. */
function mul64(a1: number, a0: number, b1: number, b0: number): void {
  mul32(a0, b0);
  const h00 = mulHi;
  p0 = mulLo;
  mul32(a0, b1);
  const h01 = mulHi;
  const l01 = mulLo;
  mul32(a1, b0);
  const h10 = mulHi;
  const l10 = mulLo;
  mul32(a1, b1);
  const s1 = h00 + l01 + l10;
  p1 = s1 >>> 0;
  const s2 = h01 + h10 + mulLo + (s1 - p1) / TWO_32;
  p2 = s2 >>> 0;
  p3 = mulHi + (s2 - p2) / TWO_32;
}

/** Whether (a1·2^32 + a0) + (b1·2^32 + b0) carries out of 64 bits. */
function carries64(a1: number, a0: number, b1: number, b0: number): boolean {
  return a1 + b1 + (a0 + b0 >= TWO_32 ? 1 : 0) >= TWO_32;
}

/**
 * The double nearest to w · 10^e10 (ties to even), for w = wHi · 2^32 + wLo with 0 < w < 2^64; NaN when the
 * algorithm cannot decide, or the result is subnormal or overflows: read the text with Number() then.
 */
export function eiselLemire(wHi: number, wLo: number, e10: number): number {
  if (e10 < MIN_E10) return 0; // w · 10^e10 < 2^64 · 10^-343 < 2^-1075: rounds to zero
  if (e10 > MAX_E10) return Infinity; // ≥ 10^309
  const table = powersOfTen ?? buildTables();
  // Normalization: shift w left until its top bit is set.
  const clz = wHi !== 0 ? Math.clz32(wHi) : 32 + Math.clz32(wLo);
  let m1 = wHi;
  let m0 = wLo;
  if (clz >= 32) {
    m1 = (wLo << (clz - 32)) >>> 0;
    m0 = 0;
  } else if (clz > 0) {
    m1 = ((wHi << clz) | (wLo >>> (32 - clz))) >>> 0;
    m0 = (wLo << clz) >>> 0;
  }
  let exp2 = ((217706 * e10) >> 16) + 64 + 1023 - clz;
  const at = (e10 - MIN_E10) * 4;
  // Multiplication by the top 64 bits of the power's mantissa.
  mul64(m1, m0, table[at], table[at + 1]);
  let x3 = p3;
  let x2 = p2;
  let x1 = p1;
  let x0 = p0;
  // Wider approximation: the lower 64 bits of the mantissa could carry into the bits that decide the rounding.
  if ((x2 & 0x1ff) === 0x1ff && carries64(x1, x0, m1, m0)) {
    mul64(m1, m0, table[at + 2], table[at + 3]);
    const s0 = x0 + p2;
    x0 = s0 >>> 0;
    const s1 = x1 + p3 + (s0 - x0) / TWO_32;
    x1 = s1 >>> 0;
    if (s1 >= TWO_32) {
      const s2 = x2 + 1;
      x2 = s2 >>> 0;
      x3 += (s2 - x2) / TWO_32;
    }
    if ((x2 & 0x1ff) === 0x1ff && x1 === 0xffffffff && x0 === 0xffffffff && carries64(p1, p0, m1, m0)) return NaN;
  }
  // The top 64 bits hold a 54-bit mantissa above 9 or 10 lower bits: one more than a double keeps, for rounding.
  const msb = x3 >>> 31;
  const shift = msb + 9;
  exp2 -= 1 ^ msb;
  // Half-way ambiguity: exactly between two doubles as far as the truncated product can tell.
  if (x1 === 0 && x0 === 0 && (x2 & 0x1ff) === 0 && ((x2 >>> shift) & 3) === 1) return NaN;
  // From 54 to 53 bits, rounding half up (the exact half-way case with an even result was excluded above).
  let mantissa = x3 * (msb ? 2097152 : 4194304) + (x2 >>> (shift + 1)) + ((x2 >>> shift) & 1); // x3 · 2^(31-shift)
  if (mantissa >= TWO_53) {
    mantissa /= 2;
    exp2++;
  }
  if (exp2 <= 0 || exp2 >= 0x7ff) return NaN; // subnormal or infinite: Number() decides
  return mantissa * (powersOfTwo as Float64Array)[exp2 - 1075 + 1074];
}

const POW10_32: readonly number[] = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];

/**
 * eiselLemire for w = head · 10^tailDigits + tail, the way the parsers collect up to 19 digits in doubles: head
 * holds the first (at most 10) digits, tail the rest (tailDigits ≤ 9), so w < 10^19 < 2^64 and 0 < w.
 */
export function eiselLemireDigits(head: number, tail: number, tailDigits: number, e10: number): number {
  const scale = POW10_32[tailDigits];
  mul32(head >>> 0, scale); // head < 10^10 < 2^34: its bits above 32 (0 to 2) are added below
  const lo = mulLo + tail;
  const wLo = lo >>> 0;
  const wHi = mulHi + Math.floor(head / TWO_32) * scale + (lo - wLo) / TWO_32;
  return eiselLemire(wHi, wLo, e10);
}

/**
 * The value of a significand's digits as the parsers collect them: its first n ≤ 19 significant digits (head: the
 * first ten, tail: the rest), times 10^e10; `truncated` says non-zero digits followed the 19th (counted in e10).
 * The true value then lies strictly between those digits and the next 19-digit number up: where both round to
 * the same double, that is the answer. NaN where that or eiselLemire cannot decide.
 */
export function significandValue(head: number, tail: number, n: number, e10: number, truncated: boolean): number {
  const tailDigits = n > 10 ? n - 10 : 0;
  const v = eiselLemireDigits(head, tail, tailDigits, e10);
  if (!truncated) return v;
  return v === eiselLemireDigits(head, tail + 1, tailDigits, e10) ? v : NaN;
}

