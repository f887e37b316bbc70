/**
 * The ordered writer on its own: blocks finishing out of order, a failure mid-queue, backpressure, thresholds,
 * renumbering, the JSON document's separators; and through the CLI, the head written once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OrderedWriter, newCounts, type FormattedBatch, type FormattedBlock, type WriterSettings } from '../src/output/orderedWriter.js';
import { rowFormatter, type OutputLayout, type OutputRow } from '../src/output/formatters.js';
import type { SidecarEntry } from '../src/output/sidecar.js';
import { RunError } from '../src/errors.js';
import { model, runCli, workdir } from './helpers.js';

const LAYOUT: OutputLayout = { keepNames: ['id'], outputNames: ['y'], outputTypes: ['float32'], sizes: [1], columnNames: [['y']], isArray: [false] };

/** A writer over an in-memory sink and sidecar, with what they received. */
function writer(settings: Partial<WriterSettings> = {}, format: 'csv' | 'json' = 'csv') {
  const written: string[] = [];
  const sidecar: SidecarEntry[] = [];
  const decoder = new TextDecoder();
  const counts = newCounts();
  const w = new OrderedWriter({
    sink: { write: async (t) => void written.push(typeof t === 'string' ? t : decoder.decode(t)) },
    sidecar: { add: async (entries) => void sidecar.push(...entries) },
    limits: { maxErrors: null, maxErrorRate: null, batchSize: 1024 },
    maxQueued: 8,
    counts,
    ...settings,
  });
  w.open(rowFormatter(format), () => LAYOUT);
  return { w, written, sidecar, counts, text: () => written.join('') };
}

/** A batch of `records` records, those in `bad` failed (--on-error null: one row each). */
function batch(text: string, records: number, bad: number[] = []): FormattedBatch {
  const errors = bad.map((i) => ({ source: 'in', row: i + 1, line: i + 2, offset: null, code: 'INVALID_VALUE' as const, message: `bad ${i}`, record: `r${i}` }));
  return { text, errors, rows: records, records, calls: 1, failed: bad.map((i) => [i, `bad ${i}`]) };
}

const block = (...batches: FormattedBatch[]): FormattedBlock => ({ batches, lines: batches.reduce((a, b) => a + b.records, 0) });

/** A promise and its resolvers, to finish blocks in any order. */
function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

test('blocks finishing out of order are written in the order they were submitted; read = scored + failed', async () => {
  const { w, text, counts } = writer();
  const blocks = [deferred<FormattedBlock>(), deferred<FormattedBlock>(), deferred<FormattedBlock>()];
  for (const u of blocks) w.submit(() => u.promise);
  blocks[2].resolve(block(batch('c\n', 1)));
  blocks[0].resolve(block(batch('a1\n', 1), batch('a2\n', 2, [1])));
  await new Promise((r) => setImmediate(r));
  blocks[1].resolve(block(batch('b\n', 1, [0])));
  await w.finish();
  assert.equal(text(), 'id,y\na1\na2\nb\nc\n');
  assert.deepEqual({ ...counts }, { read: 5, scored: 3, failed: 2, written: 5, modelCalls: 4 });
});

test('a block that fails mid-queue stops the writer: those before it are written, none after, and the failure is thrown', async () => {
  const { w, text, counts } = writer();
  const failure = new RunError('INTERNAL', 'a scoring worker failed');
  w.submit(async () => block(batch('a\n', 1)));
  w.submit(async () => {
    throw failure;
  });
  w.submit(async () => block(batch('c\n', 1)));
  await assert.rejects(w.drain(), failure);
  await assert.rejects(w.room(), failure);
  assert.equal(text(), 'id,y\na\n');
  assert.equal(counts.read, 1);
});

test('backpressure: room() waits while maxQueued blocks are queued and resolves when one is written', async () => {
  const { w } = writer({ maxQueued: 2 });
  const first = deferred<FormattedBlock>();
  const second = deferred<FormattedBlock>();
  w.submit(() => first.promise);
  w.submit(() => second.promise);
  let roomy = false;
  const room = w.room().then(() => (roomy = true));
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(roomy, false, 'room() resolved with the queue full');
  second.resolve(block(batch('b\n', 1))); // finished, but waits for the first to be written
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(roomy, false, 'a block done out of turn is still queued');
  first.resolve(block(batch('a\n', 1)));
  await room;
  assert.equal(roomy, true);
});

test('--max-errors: the batch that passes it stops the run with THRESHOLD; nothing after it is written', async () => {
  const { w, text } = writer({ limits: { maxErrors: 1, maxErrorRate: null, batchSize: 1024 } });
  w.submit(async () => block(batch('a\n', 2, [0])));
  w.submit(async () => block(batch('b\n', 2, [1])));
  w.submit(async () => block(batch('c\n', 1)));
  await assert.rejects(w.drain(), (err: unknown) => err instanceof RunError && err.code === 'THRESHOLD' && /after 4 records \(2 failed\)/.test(err.message));
  assert.equal(text(), 'id,y\na\nb\n');
});

test('--max-error-rate is judged at the end whatever the count', async () => {
  const { w } = writer({ limits: { maxErrors: null, maxErrorRate: 0.4, batchSize: 1024 } });
  w.submit(async () => block(batch('a\n', 2, [0])));
  await w.drain(); // under --batch-size records: no rate yet
  await assert.rejects(w.finish(), (err: unknown) => err instanceof RunError && err.code === 'THRESHOLD' && /at the end of the input, 2 records/.test(err.message));
});

test('a block numbered from its start: its sidecar rows and lines follow those of the blocks before it', async () => {
  const { w, sidecar } = writer();
  const numbering = { rows: 10, lines: 11 };
  w.submit(async () => block(batch('a\n', 2, [1])), numbering);
  w.submit(async () => block(batch('b\n', 1, [0])), numbering);
  await w.finish();
  assert.deepEqual(sidecar.map((e) => [e.row, e.line]), [[12, 14], [13, 15]]);
  assert.deepEqual(numbering, { rows: 13, lines: 14 });
});

test('JSON document: the head once, a comma between batches with rows (not around empty ones), every failure by its index', async () => {
  const { w, text } = writer({}, 'json');
  const json = rowFormatter('json');
  const rows = (ids: string[]): OutputRow[] => ids.map((id) => ({ keep: [id], scored: [{ data: [0.5], size: 1 }], at: 0 }));
  const jsonBatch = (ids: string[], bad: number[] = []) => ({ ...batch(json.rows(rows(ids), LAYOUT) as string, ids.length, bad), rows: ids.length });
  w.submit(async () => block({ ...batch('', 1, [0]), rows: 0 })); // a batch whose only record failed under --on-error skip
  w.submit(async () => block(jsonBatch(['a', 'b'], [1])));
  w.submit(async () => block(jsonBatch(['c'])));
  await w.finish();
  const doc = JSON.parse(text()) as { predictions: unknown[]; errors: Record<string, string> };
  assert.deepEqual(doc.predictions, [{ id: 'a', y: 0.5 }, { id: 'b', y: 0.5 }, { id: 'c', y: 0.5 }]);
  assert.deepEqual(doc.errors, { '0': 'bad 0', '2': 'bad 1' });
});

test('--on-error skip when every record of the first batch fails: the CSV header is written once', async () => {
  const dir = workdir({ 'in.csv': 'id,a,b,c,d\nx,y\nr1,1,2,3,4\nr2,5,6,7,8\n' });
  const r = await runCli(['in.csv', '-m', model('linear.onnx'), '--keep', 'id', '--on-error', 'skip', '--batch-size', '1', '--workers', '0', '--errors', '/dev/null'], { cwd: dir });
  assert.equal(r.code, 3, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.deepEqual(lines.map((l) => l.split(',')[0]), ['id', 'r1', 'r2']);
});
