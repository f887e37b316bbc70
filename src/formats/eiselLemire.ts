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

// Results go through typed arrays, not module variables or return values: V8 keeps a double in a module variable,
// or returned from a function it does not inline, as a boxed number, and allocated one per field (measured: a
// third of the time went to GC).
/** mul64's product, most significant limb first. */
const P = new Uint32Array(4);
/** The value, when a function below returns true. */
export const DECIDED = new Float64Array(1);

const TWO_M32 = 1 / TWO_32;

/**
 * (a1·2^32 + a0) · (b1·2^32 + b0) as the 128-bit P[0..3]. Each 32×32-bit partial product: its low half exactly by
 * Math.imul, its high half from the double product (within 2^10 of exact) less the low half, scaled by 2^-32:
 * within 2^-21 of an integer, so rounding it is exact.
 */
function mul64(a1: number, a0: number, b1: number, b0: number): void {
  const l00 = Math.imul(a0, b0) >>> 0;
  const h00 = roundNear((a0 * b0 - l00) * TWO_M32);
  const l01 = Math.imul(a0, b1) >>> 0;
  const h01 = roundNear((a0 * b1 - l01) * TWO_M32);
  const l10 = Math.imul(a1, b0) >>> 0;
  const h10 = roundNear((a1 * b0 - l10) * TWO_M32);
  const l11 = Math.imul(a1, b1) >>> 0;
  const h11 = roundNear((a1 * b1 - l11) * TWO_M32);
  const s1 = h00 + l01 + l10; // < 3 · 2^32
  const s2 = h01 + h10 + l11 + Math.floor(s1 * TWO_M32);
  P[3] = l00;
  P[2] = s1; // a Uint32Array store keeps the low 32 bits
  P[1] = s2;
  P[0] = h11 + Math.floor(s2 * TWO_M32);
}

/** 1.5 · 2^52: adding it and taking it away rounds a double below 2^51 in magnitude to the nearest integer. */
const ROUNDER = 6755399441055744;
function roundNear(x: number): number {
  return x + ROUNDER - ROUNDER;
}

/** Whether (a1·2^32 + a0) + (b1·2^32 + b0) carries out of 64 bits. */
function carries64(a1: number, a0: number, b1: number, b0: number): boolean {
  return a1 + b1 + (a0 + b0 >= TWO_32 ? 1 : 0) >= TWO_32;
}

/**
 * The double nearest to w · 10^e10 (ties to even), for w = wHi · 2^32 + wLo with 0 < w < 2^64, into DECIDED[0];
 * false when the algorithm cannot decide, or the result is subnormal or overflows: read the text with Number().
 * wHi and wLo are taken as 32-bit patterns, signed or not: callers pass `x | 0`, which V8 passes unboxed.
 */
export function eiselLemire(wHi: number, wLo: number, e10: number): boolean {
  wHi >>>= 0;
  wLo >>>= 0;
  if (e10 < MIN_E10 || e10 > MAX_E10) {
    DECIDED[0] = e10 < 0 ? 0 : Infinity; // below 2^64 · 10^-343 < 2^-1075: zero; from 10^309: infinite
    return true;
  }
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
  let x3 = P[0];
  let x2 = P[1];
  let x1 = P[2];
  let x0 = P[3];
  // Wider approximation: the lower 64 bits of the mantissa could carry into the bits that decide the rounding.
  if ((x2 & 0x1ff) === 0x1ff && carries64(x1, x0, m1, m0)) {
    mul64(m1, m0, table[at + 2], table[at + 3]);
    const s0 = x0 + P[1];
    x0 = s0 >>> 0;
    const s1 = x1 + P[0] + (s0 - x0) * TWO_M32;
    x1 = s1 >>> 0;
    if (s1 >= TWO_32) {
      const s2 = x2 + 1;
      x2 = s2 >>> 0;
      x3 += (s2 - x2) * TWO_M32;
    }
    if ((x2 & 0x1ff) === 0x1ff && x1 === 0xffffffff && x0 === 0xffffffff && carries64(P[2], P[3], m1, m0)) return false;
  }
  // The top 64 bits hold a 54-bit mantissa above 9 or 10 lower bits: one more than a double keeps, for rounding.
  const msb = x3 >>> 31;
  const shift = msb + 9;
  exp2 -= 1 ^ msb;
  // Half-way ambiguity: exactly between two doubles as far as the truncated product can tell.
  if (x1 === 0 && x0 === 0 && (x2 & 0x1ff) === 0 && ((x2 >>> shift) & 3) === 1) return false;
  // From 54 to 53 bits, rounding half up (the exact half-way case with an even result was excluded above).
  let mantissa = x3 * (msb ? 2097152 : 4194304) + (x2 >>> (shift + 1)) + ((x2 >>> shift) & 1); // x3 · 2^(31-shift)
  if (mantissa >= TWO_53) {
    mantissa /= 2;
    exp2++;
  }
  if (exp2 <= 0 || exp2 >= 0x7ff) return false; // subnormal or infinite: Number() decides
  DECIDED[0] = mantissa * (powersOfTwo as Float64Array)[exp2 - 1075 + 1074];
  return true;
}

const POW10_32: readonly number[] = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];

/**
 * eiselLemire for w = head · 10^tailDigits + tail, the way the parsers hold a significand in doubles: head < 2^53,
 * tail < 10^tailDigits (or equal: w is then the next number up), tailDigits ≤ 9. False also when w ≥ 1.8 · 10^19
 * (too close to 2^64).
 */
export function eiselLemireDigits(head: number, tail: number, tailDigits: number, e10: number): boolean {
  const scale = POW10_32[tailDigits];
  if (head * scale >= 1.8e19) return false;
  const headLo = head >>> 0;
  const pLo = Math.imul(headLo, scale) >>> 0;
  const pHi = Math.round((headLo * scale - pLo) * TWO_M32);
  const lo = pLo + tail;
  return eiselLemire((pHi + Math.floor(head * TWO_M32) * scale + Math.floor(lo * TWO_M32)) | 0, lo | 0, e10);
}

/**
 * The value of a significand's digits as the parsers collect them: its first n ≤ 19 significant digits (head: the
 * first ten, tail: the rest), times 10^e10; `truncated` says non-zero digits followed the 19th (counted in e10).
 * The true value then lies strictly between those digits and the next 19-digit number up: where both round to
 * the same double, that is the answer. False where that or eiselLemire cannot decide.
 */
export function significandValue(head: number, tail: number, n: number, e10: number, truncated: boolean): boolean {
  const tailDigits = n > 10 ? n - 10 : 0;
  if (!eiselLemireDigits(head, tail, tailDigits, e10)) return false;
  if (!truncated) return true;
  const low = DECIDED[0];
  return eiselLemireDigits(head, tail + 1, tailDigits, e10) && DECIDED[0] === low;
}
