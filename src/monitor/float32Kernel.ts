/**
 * The WebAssembly half of the monitor's float32 loop (float32Kernel.wat): the thread's instance, its memory, and
 * regions of that memory for the columns and layouts that count with it. Regions are handed out once and kept by
 * their owners for reuse (a thread monitors one run: a column's sums return to a pool, a layout's slots live as
 * long as the thread), so the memory only grows, and a view taken before it grew is stale: read it through
 * words() and figures() after any alloc().
 */
import { readFileSync } from 'node:fs';

interface Exports {
  memory: WebAssembly.Memory;
  count(i: number, stride: number, end: number, lowest: number, highest: number, slots: number, bins: number, sums: number, counts: number): number;
  collect(sums: number, out: number): number;
}

const wasm = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(new URL('./float32Kernel.wasm', import.meta.url)))).exports as unknown as Exports;

/** The running figures (float32Kernel.wat): min, max, the first zero's sign, below, above, as i32 at 0. */
export const [MIN, MAX, FIRST_ZERO, BELOW, ABOVE] = [0, 1, 2, 3, 4];
const FIGURES_BYTES = 64;
/** The values of one call are copied in at most this many bytes at a time (a batch of a wide model is cut). */
const STAGE_BYTES = 1 << 20;

let top = FIGURES_BYTES;
let views = makeViews();
const stageAt = alloc(STAGE_BYTES);
/** Where collect() writes: five float64s for each of at most 254 exponents. */
const collectedAt = alloc(254 * 5 * 8);
export const COLLECTED = collectedAt >> 3;

/** Views of the memory as it is now (growing it detaches its buffer). */
function makeViews() {
  const buffer = wasm.memory.buffer;
  return { words: new Uint32Array(buffer), doubles: new Float64Array(buffer), figures: new Int32Array(buffer, 0, 5) };
}

/** A new region of `bytes` (zeroed), as a byte offset aligned to 64. */
export function alloc(bytes: number): number {
  const at = top;
  top += Math.ceil(bytes / 64) * 64;
  const short = top - wasm.memory.buffer.byteLength;
  if (short > 0) {
    wasm.memory.grow(Math.ceil(short / 65536));
    views = makeViews();
  }
  return at;
}

/** The memory as 32-bit words (index = byte offset / 4). */
export function words(): Uint32Array {
  return views.words;
}

/** The memory as float64s (index = byte offset / 8). */
export function doubles(): Float64Array {
  return views.doubles;
}

/** The running figures of the loop (index MIN … ABOVE). */
export function figures(): Int32Array {
  return views.figures;
}

/** How many values of `width` per row one stage holds. */
export function rowsPerStage(width: number): number {
  return Math.max(1, Math.floor(STAGE_BYTES / (4 * width)));
}

/** Copies bits[from, to) (at most STAGE_BYTES) into the stage; returns the byte offset that bits[from] is at. */
export function stage(bits: Uint32Array, from: number, to: number): number {
  words().set(bits.subarray(from, to), stageAt >> 2);
  return stageAt;
}

/** Counts the staged values at byte offsets i, i + stride, … before end (see float32Kernel.wat); returns where it stopped. */
export const count = wasm.count;

/**
 * Moves the per-exponent sums at byte offset `sums` out and clears them (see float32Kernel.wat): returns how many
 * exponents had values; each one's five figures (e, Σ m positive, Σ m negative, Σ m² high word, low word) are then
 * in doubles() from index COLLECTED, in increasing order of e.
 */
export function collect(sums: number): number {
  return wasm.collect(sums, collectedAt);
}
