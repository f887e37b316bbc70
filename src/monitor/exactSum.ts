/**
 * An exact running sum (Shewchuk's non-overlapping partials, as Python's math.fsum): the value is the correctly
 * rounded sum of every number added, so it does not depend on the order of the additions or on how they were split
 * into partial sums and merged. A profile's mean and standard deviation must be the same for every --workers and
 * --batch-size, and a plain float sum is not (each split rounds differently).
 */
/** Shared by every sum before its first add (never written: it has no room). */
const NO_PARTIALS = new Float64Array(0);

export class ExactSum {
  /** Non-overlapping partials, increasing in magnitude: `p[0, n)` (room made on the first add: most sums of a unit get none). */
  private p = NO_PARTIALS;
  private n = 0;

  /** Adds a finite number (an infinity or NaN would poison the partials: callers keep those apart). */
  add(value: number): void {
    if (value === 0) return; // so that a sum of zeros is +0 however they were signed and split
    const p = this.p;
    let x = value;
    let i = 0;
    for (let j = 0; j < this.n; j++) {
      let y = p[j];
      if (Math.abs(x) < Math.abs(y)) {
        const t = x;
        x = y;
        y = t;
      }
      const hi = x + y;
      const lo = y - (hi - x);
      if (lo !== 0) p[i++] = lo;
      x = hi;
    }
    if (i === p.length) this.grow();
    this.p[i] = x;
    this.n = i + 1;
  }

  private grow(): void {
    const bigger = new Float64Array(Math.max(8, this.p.length * 2));
    bigger.set(this.p);
    this.p = bigger;
  }

  /** The partials, to send to another thread or merge elsewhere. */
  partials(): number[] {
    const out = new Array<number>(this.n);
    for (let i = 0; i < this.n; i++) out[i] = this.p[i];
    return out;
  }

  addPartials(partials: readonly number[]): void {
    for (const x of partials) this.add(x);
  }

  /** The correctly rounded sum (the half-way correction of math.fsum). */
  value(): number {
    const p = this.p;
    let n = this.n;
    if (n === 0) return 0;
    let hi = p[--n];
    let lo = 0;
    while (n > 0) {
      const x = hi;
      const y = p[--n];
      hi = x + y;
      const yr = hi - x;
      lo = y - yr;
      if (lo !== 0) break;
    }
    if (n > 0 && ((lo < 0 && p[n - 1] < 0) || (lo > 0 && p[n - 1] > 0))) {
      const y = lo * 2;
      const x = hi + y;
      if (y === x - hi) hi = x;
    }
    return hi;
  }
}
