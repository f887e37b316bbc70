/**
 * The fine histogram under every numeric profile: a value's bucket is read from the top bits of its float64 —
 * sign, exponent and the first SUB_BITS bits of the mantissa — so buckets are log-spaced (each 1/32 of an
 * octave wide, ≤ 2.2% relative width, like an HDR histogram or DDSketch's log buckets) and cost no Math.log.
 * Counts per bucket just add, so histograms merge exactly and in any order: a profile is the same for every
 * --workers and --batch-size. Bucket numbers are ordered like the values (negative values below zero below
 * positive ones), so quantile edges chosen on bucket boundaries give exact bin counts for any run binned by number.
 */
export const SUB_BITS = 5;
const SHIFT = 20 - SUB_BITS;
/** Buckets: 2^(1 + 11 + SUB_BITS); the lower half is for negative values. */
export const BUCKETS = 2 ** (12 + SUB_BITS);
const HALF = BUCKETS / 2;
const PAGE_BITS = SUB_BITS;
const PAGE = 2 ** PAGE_BITS;

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
// The high word of a float64 is u32[1] on a little-endian machine (every platform Node runs on here) and u32[0]
// on a big-endian one.
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;

/** The bucket number of a value that is not NaN (infinities have the outermost buckets). */
export function bucketOf(x: number): number {
  f64[0] = x;
  const key = u32[HI] >>> SHIFT;
  return key >= HALF ? BUCKETS - 1 - key : key + HALF;
}

/** The boundary between bucket b and bucket b + 1 (for showing edges: bins are always decided by bucket number). */
export function upperBoundary(b: number): number {
  u32[1 - HI] = 0;
  if (b >= HALF) {
    const key = b + 1 - HALF;
    if (key >= HALF) return Infinity;
    u32[HI] = (key << SHIFT) >>> 0;
    return f64[0];
  }
  // Bucket b holds negative values down to minus its key's smallest magnitude, which is also its largest value.
  const key = BUCKETS - 1 - b - HALF;
  u32[HI] = (key << SHIFT) >>> 0;
  return -f64[0];
}

/**
 * The bucket of a float32 read from its bits (the same bucket as bucketOf(value)): sign, the exponent rebased to
 * float64's, and the first SUB_BITS mantissa bits. Only for normal numbers and zero (`exponent` 1–254, or 0 with a
 * zero mantissa); callers send subnormals and non-finite values to bucketOf.
 */
export function bucketOfFloat32Bits(bits: number, exponent: number): number {
  const key = ((bits >>> 31) << (11 + SUB_BITS)) | ((exponent === 0 ? 0 : exponent + 896) << SUB_BITS) | ((bits & 0x7fffff) >>> (23 - SUB_BITS));
  return key >= HALF ? BUCKETS - 1 - key : key + HALF;
}

/** A value inside bucket b (its boundary toward zero), for charts. */
export function bucketValue(b: number): number {
  return b >= HALF ? upperBoundary(b - 1) : upperBoundary(b);
}

/** Non-empty buckets in increasing order and their counts. */
export interface BucketEntries {
  buckets: Uint32Array;
  counts: Float64Array;
}

// Shared by every empty list (a float32 column's unit has one): read only, as every BucketEntries is.
const NO_BUCKETS = new Uint32Array(0);
const NO_COUNTS = new Float64Array(0);

/** Counts per bucket, in pages of 2^SUB_BITS buckets (one binade) allocated as values arrive (a column spans few octaves). */
export class BucketCounts {
  /** Made on first use: a float32 column's unit never needs them. */
  private pages: Array<Float64Array | undefined> | null = null;

  add(b: number, n = 1): void {
    const pages = (this.pages ??= new Array(BUCKETS / PAGE));
    const page = (pages[b >>> PAGE_BITS] ??= new Float64Array(PAGE));
    page[b & (PAGE - 1)] += n;
  }

  /** The non-empty buckets in increasing order, as parallel arrays (compact to send between threads). */
  entries(): BucketEntries {
    if (this.pages === null) return { buckets: NO_BUCKETS, counts: NO_COUNTS };
    const buckets: number[] = [];
    const counts: number[] = [];
    this.pages?.forEach((page, p) => {
      if (!page) return;
      for (let i = 0; i < PAGE; i++) {
        if (page[i] !== 0) {
          buckets.push(p * PAGE + i);
          counts.push(page[i]);
        }
      }
    });
    return { buckets: Uint32Array.from(buckets), counts: Float64Array.from(counts) };
  }

  addEntries(e: BucketEntries): void {
    for (let i = 0; i < e.buckets.length; i++) this.add(e.buckets[i], e.counts[i]);
  }
}
