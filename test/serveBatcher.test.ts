/**
 * The micro-batcher's routing, property-tested: whatever the request sizes, plans, batch size and arrival order,
 * every record's row and error go back to its own request and position, a batch never exceeds --max-batch-size
 * nor mixes plans, and a full queue refuses new records.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Batcher, Overloaded } from '../src/serve/batcher.js';
import type { BatchResult, RawRecord, ServePlan } from '../src/serve/engine.js';

const plans = ['a', 'b', 'c'].map((key) => ({ key }) as unknown as ServePlan);

/** A stand-in for the unit function: echoes each record's value as its row, fails the negative ones. */
function fakeScore(batches: Array<{ plan: string; size: number }>) {
  return async (plan: ServePlan, records: RawRecord[]): Promise<BatchResult> => {
    batches.push({ plan: plan.key, size: records.length });
    await new Promise((r) => setImmediate(r));
    const failed: Array<[number, string]> = [];
    const errors: BatchResult['errors'] = [];
    records.forEach((r, i) => {
      if ((r.value as number) < 0) {
        failed.push([i, `bad ${String(r.value)}`]);
        errors.push({ source: 'request', row: r.row, line: r.line, offset: null, code: 'INVALID_VALUE', message: `bad ${String(r.value)}`, record: '' });
      }
    });
    const rows = records.map((r) => ({ keep: [r.value], scored: (r.value as number) < 0 ? null : [], at: 0 }));
    return { rows, errors, failed, scored: records.length - failed.length, records: records.length, recordShapes: null, calls: 1 };
  };
}

test('every record comes back to its own request and position, batches bounded and never mixing plans', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.record({ plan: fc.integer({ min: 0, max: 2 }), values: fc.array(fc.integer({ min: -5, max: 100 }), { maxLength: 20 }), delay: fc.integer({ min: 0, max: 3 }) }), { maxLength: 12 }),
      fc.integer({ min: 1, max: 16 }),
      fc.integer({ min: 0, max: 2 }),
      async (requests, maxBatchSize, maxWaitMs) => {
        const batches: Array<{ plan: string; size: number }> = [];
        const batcher = new Batcher({ maxBatchSize, maxWaitMs, maxQueue: 10000, concurrency: 1 }, fakeScore(batches));
        const answers = await Promise.all(
          requests.map(async ({ plan, values, delay }) => {
            await new Promise((r) => setTimeout(r, delay));
            return batcher.submit(plans[plan], values.map((value, i) => ({ row: i + 1, line: 1, text: '', value })));
          }),
        );
        answers.forEach((scored, k) => {
          const { values } = requests[k];
          assert.equal(scored.rows.length, values.length);
          values.forEach((v, i) => {
            assert.equal(scored.rows[i].keep[0], v);
            assert.equal(scored.errors.get(i)?.message, v < 0 ? `bad ${v}` : undefined);
          });
          assert.equal(scored.errors.size, values.filter((v) => v < 0).length);
        });
        const total = requests.reduce((a, r) => a + r.values.length, 0);
        assert.equal(batches.reduce((a, b) => a + b.size, 0), total);
        for (const b of batches) assert.ok(b.size >= 1 && b.size <= maxBatchSize);
        assert.equal(batcher.depth, 0);
      },
    ),
    { numRuns: 60 },
  );
});

test('past --max-queue waiting records, a request is refused whole (Overloaded), and the queue stays usable', async () => {
  const batches: Array<{ plan: string; size: number }> = [];
  const batcher = new Batcher({ maxBatchSize: 100, maxWaitMs: 50, maxQueue: 5, concurrency: 1 }, fakeScore(batches));
  const rec = (value: number): RawRecord => ({ row: 1, line: 1, text: '', value });
  const first = batcher.submit(plans[0], [rec(1), rec(2), rec(3)]);
  await assert.rejects(batcher.submit(plans[1], [rec(4), rec(5), rec(6)]), Overloaded);
  const second = batcher.submit(plans[1], [rec(7), rec(8)]);
  assert.equal(batcher.depth, 5);
  assert.deepEqual((await first).rows.map((r) => r.keep[0]), [1, 2, 3]);
  assert.deepEqual((await second).rows.map((r) => r.keep[0]), [7, 8]);
  assert.deepEqual(batches.map((b) => [b.plan, b.size]).sort(), [['a', 3], ['b', 2]]);
});
