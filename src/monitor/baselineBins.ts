/**
 * A run compared with a baseline (and writing no profile of its own) needs per numeric column only the counts in
 * the baseline's quantile bins and in its chart bins, not the fine histogram: its units count straight into those
 * bins, so a partial is a few dozen numbers and the main thread adds them instead of bucket counts. The bins are
 * found from the bucket, as drift.ts does from a full histogram (binCounts, chartOf), so the report is the same.
 */
import { bucketOfFloat32Bits, bucketValue } from './buckets.js';
import type { Profile } from './profile.js';
import { alloc, words } from './float32Kernel.js';

/** A baseline column's bins, as sent to the units: its quantile bin keys and its chart's range and bin count. */
export interface BaselineBins {
  keys: number[];
  chart: { min: number; max: number; bins: number } | null;
}

/** A baseline's bins per numeric column, by role and name (`${role}\u0000${name}`). */
export function baselineBins(baseline: Profile): Map<string, BaselineBins> {
  const out = new Map<string, BaselineBins>();
  for (const c of baseline.columns) {
    if (c.kind !== 'numeric') continue;
    const chart = c.histogram && { min: c.histogram.min, max: c.histogram.max, bins: c.histogram.counts.length };
    out.set(`${c.role}\u0000${c.name}`, { keys: c.bins.keys, chart });
  }
  return out;
}

/** A numeric column of the baseline with more bins than a layout holds (hand-made: a profile never has), or null. */
export function oversizedColumn(baseline: Profile): string | null {
  for (const [key, bins] of baselineBins(baseline)) {
    if (layoutSize(bins) > MAX_LAYOUT_SLOTS) return key.split('\u0000')[1];
  }
  return null;
}

/** Slots of a column's layout: its quantile bins, its chart's bins with below and above, one unread slot. */
function layoutSize(bins: BaselineBins): number {
  return bins.keys.length + 1 + (bins.chart ? bins.chart.bins + 2 : 0) + 1;
}

/** Float32 bucket keys: sign, exponent and SUB_BITS mantissa bits (the top 14 bits of a float32). */
const FLOAT32_KEYS = 1 << 14;

/**
 * Where a bucket's values are counted: `counts[quantileSlot]` and `counts[chartSlot]` of one array laid out as the
 * quantile bins (keys.length + 1), then the chart bins, then the values below and above the chart's range, then a
 * slot no one reads (the chart slot of every bucket when the baseline has no chart).
 */
export class BinLayout {
  readonly quantileBins: number;
  readonly chartBins: number;
  readonly size: number;
  private readonly keys: Float64Array;
  private float32: Float32Slots | null = null;
  /** Regions of the float32 loop's memory for a unit's bin counts (`size` words each), given back by units done with them. */
  readonly spareBins: number[] = [];

  constructor(readonly bins: BaselineBins) {
    this.keys = Float64Array.from(bins.keys);
    this.quantileBins = bins.keys.length + 1;
    this.chartBins = bins.chart ? bins.chart.bins + 2 : 0;
    this.size = layoutSize(bins);
  }

  /** The quantile bin of bucket b: bin i holds buckets (keys[i-1], keys[i]], the last bin those above. */
  quantileSlot(b: number): number {
    const keys = this.keys;
    let i = 0;
    while (i < keys.length && b > keys[i]) i++;
    return i;
  }

  /** The chart slot of bucket b (placed by a value inside it, as drift.ts's chartOf places it). */
  chartSlot(b: number): number {
    const chart = this.bins.chart;
    if (!chart) return this.size - 1;
    const { min, max, bins } = chart;
    const base = this.quantileBins;
    const v = bucketValue(b);
    if (v < min) return base + bins;
    if (v > max) return base + bins + 1;
    const width = (max - min) / bins;
    return base + (width > 0 ? Math.min(bins - 1, Math.floor((v - min) / width)) : 0);
  }

  /**
   * The float32 keys' slots, per thread: a page of 32 keys (one sign and exponent) is filled when the hot loop first
   * meets it (`fill`), as a column spans few exponents and a table of every key costs more than a run's units.
   */
  float32Slots(): Float32Slots {
    if (!this.float32) {
      const at = alloc(FLOAT32_KEYS * 4);
      words().fill(NOT_READY, at >> 2, (at >> 2) + FLOAT32_KEYS);
      this.float32 = { at, fill: (page) => this.fillPage(at >> 2, page) };
    }
    return this.float32;
  }

  private fillPage(slots: number, page: number): void {
    const memory = words();
    const first = page << 5;
    const slotsOf = (k: number) => {
      const b = bucketOfFloat32Bits(k << 18, page & 0xff);
      return this.quantileSlot(b) | (this.chartSlot(b) << 16);
    };
    // Both slots are monotonic in the bucket, and so in the key within a page: a page whose first and last keys share
    // their slots (most pages: tiny values, tails beyond the chart) has them throughout.
    const [low, high] = [slotsOf(first), slotsOf(first + 31)];
    if (low === high) memory.fill(low, slots + first, slots + first + 32);
    else for (let k = first; k < first + 32; k++) memory[slots + k] = slotsOf(k);
  }
}

/** A key whose page is not filled yet (no layout has 65,535 slots: loadBaseline() refuses more bins). */
export const NOT_READY = 0xffffffff;

/** The most bins a baseline column may have, so that two slots fit in 32 bits (a profile has at most 101 + 42). */
export const MAX_LAYOUT_SLOTS = 0xffff;

/**
 * A float32 key's (top 14 bits') two slots in a layout, packed as quantile slot | chart slot << 16 (one load in the
 * hot loop instead of three), or NOT_READY until its page (key >>> 5) is filled: a table of 32-bit words at byte
 * offset `at` of the float32 loop's memory (float32Kernel.ts).
 */
export interface Float32Slots {
  at: number;
  fill(page: number): void;
}
