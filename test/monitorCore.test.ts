/**
 * The monitor's pure parts: exact sums, buckets, partial profiles and their merge, quantile bins, PSI, the HTML
 * report. Property tests where the input space is large (any split of any data merged in any order).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ExactSum } from '../src/monitor/exactSum.js';
import { bucketOf, upperBoundary } from '../src/monitor/buckets.js';
import { Profiler, type ProfileSetup } from '../src/monitor/profiler.js';
import { RunProfile, binCounts, finalizeProfile, type NumericProfile } from '../src/monitor/profile.js';
import { chartOf, compareProfiles, psi, verdictOf } from '../src/monitor/drift.js';
import { BinLayout, NOT_READY, baselineBins } from '../src/monitor/baselineBins.js';
import { NumericColumn } from '../src/monitor/columns.js';
import { grouped, renderHtml } from '../src/monitor/html.js';
import { extremeOf, orderedOf, orderedRange } from '../src/monitor/float32Counts.js';
import { rowsPerStage, words } from '../src/monitor/float32Kernel.js';
import { AgreementCounter, RunAgreement } from '../src/monitor/agreement.js';
import { seeded } from './seeded.js';

const finite = fc.double({ noNaN: true, noDefaultInfinity: true });

test('an exact sum is the correctly rounded sum, whatever the order and the split', () => {
  const s = new ExactSum();
  for (const x of [1e100, 1, -1e100]) s.add(x);
  assert.equal(s.value(), 1);
  const tenth = new ExactSum();
  for (let i = 0; i < 10; i++) tenth.add(0.1);
  assert.equal(tenth.value(), 1); // a plain float sum gives 0.9999999999999999
  fc.assert(
    fc.property(fc.array(fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e300, max: 1e300 }), { maxLength: 60 }), fc.nat(), (xs, cut) => {
      const whole = new ExactSum();
      xs.forEach((x) => whole.add(x));
      const k = xs.length ? cut % (xs.length + 1) : 0;
      const a = new ExactSum();
      const b = new ExactSum();
      xs.slice(0, k).reverse().forEach((x) => a.add(x));
      xs.slice(k).forEach((x) => b.add(x));
      b.addPartials(a.partials());
      assert.equal(b.value(), whole.value());
    }),
  );
});

test('buckets are ordered like the values, and their boundaries separate them', () => {
  fc.assert(
    fc.property(finite, finite, (x, y) => {
      // (−0 and +0 are equal values in buckets of their own signs: −0's below +0's.)
      if (x < y || (x === y && !Object.is(x, 0))) assert.ok(bucketOf(x) <= bucketOf(y), `${x} ≤ ${y}`);
      const b = bucketOf(x);
      assert.ok(bucketOf(upperBoundary(b)) - b <= 1 && bucketOf(upperBoundary(b)) >= b);
      if (b < bucketOf(Infinity)) assert.ok(x <= upperBoundary(b));
    }),
  );
  // Relative width ≤ 2^-5 for positive values.
  const b = bucketOf(1.5);
  assert.ok(upperBoundary(b) / upperBoundary(b - 1) - 1 <= 2 ** -5 + 1e-12);
});

const setup: ProfileSetup = {
  feeds: [{ type: 'float32', names: ['a', 'b'] }, { type: 'string', names: ['city'] }],
  outputs: [{ type: 'float32' }, { type: 'int64' }],
  inputRanges: null,
  outputRanges: null,
};

interface Rec { a: number; b: number; city: string; score: number; label: bigint }

/** Profiles `records` cut into units at `cuts`, merging the units' partials in `order`. */
function profileOf(records: Rec[], cuts: number[], reverse: boolean) {
  const bounds = [0, ...[...new Set(cuts.map((c) => c % (records.length + 1)))].sort((x, y) => x - y), records.length];
  const partials = [];
  for (let u = 0; u + 1 < bounds.length; u++) {
    const unit = records.slice(bounds[u], bounds[u + 1]);
    const p = new Profiler(setup);
    p.addFeeds([Float32Array.from(unit.flatMap((r) => [r.a, r.b])), unit.map((r) => r.city)], unit.length);
    p.addOutputs([{ data: Float32Array.from(unit.map((r) => r.score)), size: 1 }, { data: BigInt64Array.from(unit.map((r) => r.label)), size: 1 }], 0, unit.length);
    partials.push(p.partial());
  }
  const run = new RunProfile(setup);
  for (const p of reverse ? partials.reverse() : partials) run.merge(p);
  return finalizeProfile(run.columns([['score'], ['label']]), { sha256: 'x', records: { read: records.length, scored: records.length, failed: 0 } });
}

test('a profile is the same however the records are split into units and merged', () => {
  const rec = fc.record({
    a: fc.oneof(fc.float({ noDefaultInfinity: true }), fc.constant(NaN)),
    b: fc.float({ min: -5, max: 5, noNaN: true }),
    city: fc.constantFrom('', 'Oslo', 'Lima', 'Pune', 'Kyiv'),
    score: fc.float({ noNaN: true, noDefaultInfinity: true }),
    label: fc.bigInt({ min: 0n, max: 3n }),
  });
  fc.assert(
    fc.property(fc.array(rec, { maxLength: 200 }), fc.array(fc.nat(), { maxLength: 6 }), (records, cuts) => {
      assert.deepEqual(profileOf(records, cuts, true), profileOf(records, [], false));
    }),
    { numRuns: 60 },
  );
});

test('the float32 path counts exactly what the general path counts', () => {
  const values = fc.oneof(fc.float(), fc.constantFrom(0, -0, 1e-45, -3e-39, Infinity, -Infinity, NaN));
  fc.assert(
    fc.property(fc.array(values, { maxLength: 300 }), fc.float({ noNaN: true }), fc.float({ noNaN: true }), (xs, a, b) => {
      const range: [number, number] = [Math.min(a, b), Math.max(a, b)];
      const one: ProfileSetup = { feeds: [{ type: 'float32', names: ['x'] }], outputs: [], inputRanges: [range], outputRanges: null };
      const fast = new Profiler(one);
      fast.addFeeds([Float32Array.from(xs)], xs.length);
      const general = new Profiler(one);
      general.addFeeds([Array.from(Float32Array.from(xs))], xs.length);
      const run = (p: Profiler) => {
        const r = new RunProfile(one);
        r.merge(p.partial());
        return finalizeProfile(r.columns([]), { sha256: '', records: { read: 0, scored: 0, failed: 0 } });
      };
      assert.deepEqual(run(fast), run(general));
      // The float32 arrays are reused by the next unit: it must start from zero.
      const again = new Profiler(one);
      again.addFeeds([Float32Array.from(xs)], xs.length);
      assert.deepEqual(run(again), run(general));
    }),
  );
});

test('ordered values: a float32 compares as its ordered value does, and is below or above a range exactly when its ordered value is', () => {
  const bitsOf = (x: number) => new Uint32Array(Float32Array.of(x).buffer)[0];
  // Values the hot loop compares itself: normal numbers and zeros (NaN, infinities and subnormals go the general way).
  const value = fc
    .oneof(fc.float({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(0, -0, 2 ** -126, -(2 ** -126), Math.fround(3.4028235e38)))
    .filter((x) => x === 0 || Math.abs(x) >= 2 ** -126);
  // Bounds as a baseline may hold them: float32s, other doubles (a float64 column's, a hand-made profile's), both zeros, NaN, infinities.
  const bound = fc.oneof(fc.float(), fc.double(), fc.constantFrom(0, -0, NaN, Infinity, -Infinity, 1e-45, -1e300));
  fc.assert(
    fc.property(value, value, bound, bound, (x, y, low, high) => {
      const [ox, oy] = [orderedOf(bitsOf(x)), orderedOf(bitsOf(y))];
      assert.equal(ox < oy, x < y);
      assert.equal(ox === oy, x === y);
      const range = orderedRange(low, high);
      assert.equal(ox < range.below, x < low, `${x} < ${low}`);
      assert.equal(ox > range.above, x > high, `${x} > ${high}`);
      assert.ok(Object.is(extremeOf(ox, Object.is(x, -0) ? -1 : 1), Math.fround(x)));
    }),
    { numRuns: 2000 },
  );
});

/** A unit's numeric columns as a run merges them: every figure the float32 path and the general path must agree on. */
function numericColumns(setup: ProfileSetup, p: Profiler) {
  const r = new RunProfile(setup);
  r.merge(p.partial());
  return r.columns([]).map(({ column: c }) => {
    assert.ok(c instanceof NumericColumn);
    const { count, missing, infinite, min, max, below, above, binned } = c;
    // (No bin counts and all bins at 0 are the same to a comparison: the float32 path makes its bins before it reads a value.)
    const counts = binned && binned.some((n) => n !== 0) ? Array.from(binned) : null;
    return { count, missing, infinite, min, max, below, above, counts, sum: c.sum.value(), squares: c.sumSquares.value(), entries: c.entries() };
  });
}

test('the float32 path counts exactly what the general path counts, with the rows the model failed on left out, into full histograms or baseline bins', () => {
  const values = fc.oneof(fc.float(), fc.constantFrom(0, -0, 1e-45, -3e-39, Infinity, -Infinity, NaN));
  const rows = fc.array(fc.tuple(values, values), { maxLength: 300 });
  // A finite range, as a baseline's chart has (infinite bounds are in the test of ordered values above).
  const bound = fc.float({ noNaN: true, noDefaultInfinity: true });
  fc.assert(
    fc.property(rows, fc.array(fc.nat(), { maxLength: 20 }), bound, bound, fc.boolean(), (xs, failed, a, b, binned) => {
      const range: [number, number] = [Math.min(a, b), Math.max(a, b)];
      const bins = binned ? { keys: [bucketOf(-1), bucketOf(0), bucketOf(Math.fround(range[1]))].sort((p, q) => p - q), chart: { min: range[0], max: range[1], bins: 7 } } : null;
      const two: ProfileSetup = {
        feeds: [{ type: 'float32', names: ['x', 'y'] }], outputs: [], inputRanges: [range, null], outputRanges: null, inputBins: bins && [bins, bins],
      };
      const skipped = new Set(failed.map((f) => f % (xs.length + 1)));
      const skip = (r: number) => skipped.has(r);
      const flat = xs.flat();
      const fast = new Profiler(two);
      fast.addFeeds([Float32Array.from(flat)], xs.length, skip);
      const general = new Profiler(two);
      general.addFeeds([Array.from(Float32Array.from(flat))], xs.length, skip);
      assert.deepEqual(numericColumns(two, fast), numericColumns(two, general));
    }),
    { numRuns: 200 },
  );
});

test('a float32 feed wider than the loop can take at once is counted a stage at a time, as the general path counts it', () => {
  // 700 values a record: the loop copies in at most STAGE_BYTES, 374 records here, so 900 records take three stages.
  const [width, records] = [700, 900];
  assert.ok(rowsPerStage(width) < records / 2);
  const rng = seeded(6);
  const specials = [0, -0, NaN, Infinity, 1e-40];
  const flat = Float32Array.from({ length: width * records }, (_, i) => (i % 997 === 0 ? specials[i % 5] : rng.normal() * (1 + (i % width))));
  const names = Array.from({ length: width }, (_, j) => `f${j}`);
  const bins = { keys: [bucketOf(-1), bucketOf(0), bucketOf(1)], chart: { min: -2, max: 2, bins: 7 } };
  const wide: ProfileSetup = {
    feeds: [{ type: 'float32', names }], outputs: [], inputRanges: names.map(() => [-1.5, 1.5]), outputRanges: null,
    inputBins: names.map((_, j) => (j % 2 === 0 ? bins : null)),
  };
  const skip = (r: number) => r % 373 === 5; // records the model failed on, in every stage
  const fast = new Profiler(wide);
  fast.addFeeds([flat], records, skip);
  const general = new Profiler(wide);
  general.addFeeds([Array.from(flat)], records, skip);
  assert.deepEqual(numericColumns(wide, fast), numericColumns(wide, general));
});

test("a run's profile so far (whole(), what a --resume checkpoint keeps) is a copy: later merges do not change it", () => {
  // Counting into a baseline's bins, the case where the run's column holds an array that merges add into.
  const bins = { keys: [bucketOf(-1), bucketOf(0), bucketOf(1)], chart: { min: -2, max: 2, bins: 7 } };
  const one: ProfileSetup = { feeds: [{ type: 'float32', names: ['x'] }], outputs: [], inputRanges: [[-2, 2]], outputRanges: null, inputBins: [bins] };
  const unit = (xs: number[]) => {
    const p = new Profiler(one);
    p.addFeeds([Float32Array.from(xs)], xs.length);
    return p.partial();
  };
  const run = new RunProfile(one);
  run.merge(unit([-1.5, 0.25, 0.5, 3]));
  const taken = run.whole();
  const before = structuredClone(taken);
  run.merge(unit([-0.5, 1.5, 1.75, -3]));
  assert.deepEqual(taken, before);
  // And it makes the run again: merged into a new run with the later unit, the same as the run.
  const again = new RunProfile(one);
  again.merge(taken);
  again.merge(unit([-0.5, 1.5, 1.75, -3]));
  assert.deepEqual(again.whole(), run.whole());
});

test('counts in the HTML report read as toLocaleString writes them in en-US', () => {
  fc.assert(fc.property(fc.oneof(fc.integer(), fc.maxSafeInteger(), fc.maxSafeNat().map((n) => -n), fc.constantFrom(0, -0, 1e21, 0.5)), (n) => {
    assert.equal(grouped(n), n.toLocaleString('en-US'));
  }));
});

test('the float32 path stays exact past the values its per-bucket sums hold (one unit of 300,000 values)', () => {
  const rng = seeded(4);
  const xs = Float32Array.from({ length: 300000 }, (_, i) => (i % 3 !== 0 ? 1.9999999 : rng.normal() * 1e3));
  const one: ProfileSetup = { feeds: [{ type: 'float32', names: ['x'] }], outputs: [], inputRanges: null, outputRanges: null };
  const run = (data: ArrayLike<number>) => {
    const p = new Profiler(one);
    p.addFeeds([data], data.length);
    const r = new RunProfile(one);
    r.merge(p.partial());
    return finalizeProfile(r.columns([]), { sha256: '', records: { read: 0, scored: 0, failed: 0 } });
  };
  assert.deepEqual(run(xs), run(Array.from(xs)));
});

test("the float32 path stays exact past a flush of its per-exponent sums: in many batches of a unit, or one long call", () => {
  const rng = seeded(5);
  // 2^18 values just under 2 (mantissa 2^24 − 1) add more than 2^53 to their exponent's square sums without a flush.
  const xs = Float32Array.from({ length: 300 * 1024 }, (_, i) => (i % 8 !== 0 ? 1.9999999 : rng.normal() * 3));
  const one: ProfileSetup = { feeds: [{ type: 'float32', names: ['x'] }], outputs: [], inputRanges: null, outputRanges: null };
  const run = (batches: ArrayLike<number>[]) => {
    const p = new Profiler(one);
    for (const b of batches) p.addFeeds([b], b.length);
    const r = new RunProfile(one);
    r.merge(p.partial());
    return finalizeProfile(r.columns([]), { sha256: '', records: { read: 0, scored: 0, failed: 0 } });
  };
  const batches = Array.from({ length: 300 }, (_, i) => xs.subarray(i * 1024, (i + 1) * 1024));
  const general = run([Array.from(xs)]);
  assert.deepEqual(run(batches), general);
  assert.deepEqual(run([xs]), general); // one call longer than a flush
});

test("a bucket's bin in a baseline layout is the one binCounts gives, and its chart slot the one its value falls in", () => {
  const key = fc.integer({ min: bucketOf(-Infinity), max: bucketOf(Infinity) }); // (the others are NaN's)
  // A chart's range as a baseline has it (max − min finite).
  const bound = fc.double({ min: -1e300, max: 1e300, noNaN: true });
  fc.assert(
    fc.property(fc.uniqueArray(key, { maxLength: 12 }), fc.array(key, { maxLength: 50 }), bound, bound, fc.integer({ min: 1, max: 40 }), (keys, buckets, a, b, bins) => {
      keys.sort((x, y) => x - y);
      const [min, max] = [Math.min(a, b), Math.max(a, b)];
      const layout = new BinLayout({ keys, chart: { min, max, bins } });
      const sorted = [...buckets].sort((x, y) => x - y);
      const expected = binCounts(keys, sorted, sorted.map(() => 1));
      const got = new Array<number>(keys.length + 1).fill(0);
      for (const bucket of buckets) got[layout.quantileSlot(bucket)]++;
      assert.deepEqual(got, expected);
      const chart = new Array<number>(bins + 2).fill(0);
      for (const bucket of buckets) chart[layout.chartSlot(bucket) - layout.quantileBins]++;
      const reference = chartOf({ min, max, counts: new Array<number>(bins).fill(0) }, sorted, sorted.map(() => 1));
      assert.deepEqual(chart, [...reference.current, reference.below, reference.above]);
    }),
  );
  // The float32 lookup table agrees with the slots of each float32's bucket.
  const layout = new BinLayout({ keys: [bucketOf(-1), bucketOf(0.5), bucketOf(3)], chart: { min: -2, max: 2, bins: 8 } });
  const table = layout.float32Slots();
  const slot = (k: number) => words()[(table.at >> 2) + k];
  for (const x of [-1e30, -2.5, -1, -0.3, -0, 0, 1e-30, 0.5, 0.51, 2, 2.01, 3, 1e30]) {
    const k = new Uint32Array(Float32Array.of(x).buffer)[0] >>> 18;
    if (slot(k) === NOT_READY) table.fill(k >>> 5);
    assert.equal(slot(k) & 0xffff, layout.quantileSlot(bucketOf(Math.fround(x))), `${x}`);
    assert.equal(slot(k) >>> 16, layout.chartSlot(bucketOf(Math.fround(x))), `${x}`);
  }
  // Every key of every normal exponent, in tables filled a page at a time (a page whose ends agree is filled at once).
  for (const [keys, chart] of [[[-1, 0.5, 3], { min: -2, max: 2, bins: 8 }], [[-1e-30, 1e-30, 7e5], { min: -1e-3, max: 1e6, bins: 40 }], [[0.1, 0.2, 0.3, 0.4, 0.5], { min: 0.1, max: 0.11, bins: 3 }]] as const) {
    const l = new BinLayout({ keys: keys.map(bucketOf), chart });
    const t = l.float32Slots();
    for (let page = 0; page < 512; page++) {
      const exponent = page & 0xff;
      if (exponent === 0 || exponent === 255) continue;
      t.fill(page);
      for (let k = page << 5; k < (page + 1) << 5; k++) {
        const x = new Float32Array(new Uint32Array([k << 18]).buffer)[0];
        const got = words()[(t.at >> 2) + k];
        assert.equal(got & 0xffff, l.quantileSlot(bucketOf(x)), `${x}`);
        assert.equal(got >>> 16, l.chartSlot(bucketOf(x)), `${x}`);
      }
    }
  }
});

test("a run that only compares counts in the baseline's bins what its full histograms give: the same drift report", () => {
  const value = fc.oneof(fc.float(), fc.constantFrom(0, -0, 1e-45, -3e-39, Infinity, -Infinity, NaN));
  const rec = fc.record({
    a: value,
    b: fc.float({ min: -5, max: 5, noNaN: true }),
    city: fc.constantFrom('', 'Oslo', 'Lima'),
    score: fc.float({ noNaN: true, noDefaultInfinity: true }),
    label: fc.bigInt({ min: 0n, max: 3n }),
  });
  const meta = { sha256: 'x', records: { read: 0, scored: 0, failed: 0 } };
  fc.assert(
    fc.property(fc.array(rec, { minLength: 1, maxLength: 120 }), fc.array(rec, { maxLength: 150 }), fc.array(fc.nat(), { maxLength: 5 }), (base, day, cuts) => {
      const baseline = profileOf(base, [], false);
      const bins = baselineBins(baseline);
      const binned: ProfileSetup = {
        ...setup,
        inputBins: ['a', 'b', 'city'].map((n) => bins.get(`input\u0000${n}`) ?? null),
        outputBins: [[bins.get('prediction\u0000score') ?? null], [null]],
      };
      const columnsOf = (s: ProfileSetup) => {
        const bounds = [0, ...[...new Set(cuts.map((c) => c % (day.length + 1)))].sort((x, y) => x - y), day.length];
        const run = new RunProfile(s);
        for (let u = 0; u + 1 < bounds.length; u++) {
          const unit = day.slice(bounds[u], bounds[u + 1]);
          const p = new Profiler(s);
          const feed = Float32Array.from(unit.flatMap((r) => [r.a, r.b]));
          // Every other unit through the general path (plain numbers), as a float64 or JSON feed goes.
          p.addFeeds([u % 2 ? Array.from(feed) : feed, unit.map((r) => r.city)], unit.length);
          p.addOutputs([{ data: Float32Array.from(unit.map((r) => r.score)), size: 1 }, { data: BigInt64Array.from(unit.map((r) => r.label)), size: 1 }], 0, unit.length);
          run.merge(p.partial());
        }
        return run.columns([['score'], ['label']]);
      };
      const counted = columnsOf(binned);
      if (day.length > 0) assert.ok(counted.some((c) => c.column instanceof NumericColumn && c.column.binned !== null));
      assert.deepEqual(compareProfiles(baseline, 'b.json', counted, meta), compareProfiles(baseline, 'b.json', columnsOf(setup), meta));
    }),
    { numRuns: 80 },
  );
});

test('quantile bins hold a tenth of the values each, and bin counts are exact', () => {
  const rng = seeded(1);
  const records: Rec[] = Array.from({ length: 20000 }, () => ({ a: rng.normal(), b: rng.uniform(), city: 'x', score: 0, label: 0n }));
  const profile = profileOf(records, [], false);
  const a = profile.columns[0] as NumericProfile;
  assert.equal(a.bins.counts.length, 10);
  assert.equal(a.bins.counts.reduce((x, y) => x + y, 0), 20000);
  // Edges fall on bucket boundaries (2^-5 of an octave apart): each bin holds 10% ± 1% of the values.
  for (const n of a.bins.counts) assert.ok(Math.abs(n - 2000) < 200, `bin of ${n}`);
  // Counted by value against the edges, each bin's count is the same (edges are bucket boundaries).
  const values = records.map((r) => Math.fround(r.a));
  a.bins.counts.forEach((n, i) => {
    const key = (v: number) => bucketOf(v);
    const inBin = values.filter((v) => (i === 0 || key(v) > a.bins.keys[i - 1]) && (i === a.bins.keys.length || key(v) <= a.bins.keys[i])).length;
    assert.equal(inBin, n);
  });
  assert.ok(Math.abs(a.mean!) < 0.03 && Math.abs(a.std! - 1) < 0.03);
  assert.deepEqual(profile.columns[2].kind, 'categorical');
});

test('PSI: the same distribution is ok, a feature shifted by 1.5 sd drifts', () => {
  const make = (seed: number, shift: number): Rec[] => {
    const rng = seeded(seed);
    return Array.from({ length: 5000 }, () => ({ a: rng.normal() + shift, b: rng.normal(), city: rng.uniform() < 0.5 ? 'Oslo' : 'Lima', score: rng.normal(), label: 0n }));
  };
  const baseline = profileOf(make(1, 0), [], false);
  const columns = (recs: Rec[]) => {
    const run = new RunProfile(setup);
    const p = new Profiler(setup);
    p.addFeeds([Float32Array.from(recs.flatMap((r) => [r.a, r.b])), recs.map((r) => r.city)], recs.length);
    p.addOutputs([{ data: Float32Array.from(recs.map((r) => r.score)), size: 1 }, { data: BigInt64Array.from(recs.map((r) => r.label)), size: 1 }], 0, recs.length);
    run.merge(p.partial());
    return run.columns([['score'], ['label']]);
  };
  const meta = { sha256: 'x', records: { read: 5000, scored: 5000, failed: 0 } };
  const same = compareProfiles(baseline, 'b.json', columns(make(2, 0)), meta);
  for (const c of same.columns) assert.ok(c.psi < 0.1, `${c.name} ${c.psi}`);
  assert.equal(same.verdict, 'ok');
  const shifted = compareProfiles(baseline, 'b.json', columns(make(3, 1.5)), meta);
  assert.equal(shifted.columns[0].name, 'a');
  assert.ok(shifted.columns[0].psi >= 0.25);
  for (const c of shifted.columns.slice(1)) assert.ok(c.psi < 0.1, `${c.name} ${c.psi}`);
  assert.equal(shifted.verdict, 'drift');
  assert.equal(psi([1, 2, 3], [2, 4, 6]), 0);
  assert.deepEqual([0.05, 0.1, 0.2, 0.25].map(verdictOf), ['ok', 'watch', 'watch', 'drift']);

  const html = renderHtml(shifted);
  assert.doesNotMatch(html, /https?:/);
  assert.doesNotMatch(html, /<script/i);
  assert.equal(html.match(/<svg/g)?.length, shifted.columns.length);
});

test('agreement: mean and max absolute difference, label agreement and confusion, merged exactly', () => {
  const specs = [{ type: 'int64' }, { type: 'float32' }];
  const row = (label: bigint, p: number[]) => ({ scored: [{ data: BigInt64Array.from([label]), size: 1 }, { data: Float32Array.from(p), size: 2 }], at: 0 });
  const one = new AgreementCounter(specs, specs);
  one.add(row(1n, [0.25, 0.75]), row(1n, [0.5, 0.5]));
  const two = new AgreementCounter(specs, specs);
  two.add(row(0n, [1, 0]), row(1n, [1, 0]));
  two.add(row(0n, [1, 0]), null);
  const run = new RunAgreement();
  run.merge(two.partial());
  run.merge(one.partial());
  const report = run.report([['p_0', 'challenger_p_0'], ['p_1', 'challenger_p_1']]);
  assert.equal(report.compared, 2);
  assert.equal(report.challengerFailed, 1);
  assert.deepEqual(report.numeric.map((n) => [n.meanAbsDiff, n.maxAbsDiff]), [[0.125, 0.25], [0.125, 0.25]]);
  assert.deepEqual(report.labels, { agreement: 0.5, compared: 2, classes: ['0', '1'], confusion: [[0, 1], [0, 1]] });
});
