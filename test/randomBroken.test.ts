/**
 * A few thousand records, some broken at random in every way the foundation knows: every record is accounted
 * for (read = scored + failed), the sidecar names exactly the failed rows, and the output stays aligned.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { model, read, readSidecar, runCli, workdir } from './helpers.js';

const BREAKERS: Array<[string, (fields: string[]) => string[]]> = [
  ['FEATURE_COUNT', (f) => f.slice(0, 3)],
  ['MISSING_VALUE', (f) => [f[0], '', ...f.slice(2)]],
  ['INVALID_VALUE', (f) => [f[0], f[1], 'oops', ...f.slice(3)]],
  ['INVALID_VALUE', (f) => [f[0], '0x1F', ...f.slice(2)]],
  ['PARSE_ERROR', (f) => [f[0], `${f[1]}"x`, ...f.slice(2)]],
];

test('randomly broken records are all accounted for, in order', async () => {
  const rng = fc.sample(fc.tuple(fc.double({ min: -1e3, max: 1e3, noNaN: true }), fc.nat(99)), { numRuns: 3000, seed: 42 });
  const lines: string[] = ['id,a,b,c,d'];
  const broken = new Map<number, string>();
  rng.forEach(([x, dice], i) => {
    let fields = [String(i + 1), String(x), '2', '-3.5', '1e1'];
    if (dice < 12) {
      const [code, breakIt] = BREAKERS[dice % BREAKERS.length];
      fields = breakIt(fields);
      broken.set(i + 1, code);
    }
    lines.push(fields.join(','));
    if (dice === 99) lines.push(''); // blank lines are not records
  });
  const dir = workdir({ 'in.csv': `${lines.join('\n')}\n` });
  const r = await runCli(['in.csv', '-m', model('linear.onnx'), '--keep', 'id', '-o', 'o.csv', '--batch-size', '97', '--summary', 's.json'], { cwd: dir });
  assert.equal(r.code, 3, r.stderr);

  const summary = JSON.parse(read(dir, 's.json'));
  assert.equal(summary.rows.read, 3000);
  assert.equal(summary.rows.read, summary.rows.scored + summary.rows.failed);
  assert.equal(summary.rows.failed, broken.size);

  const side = readSidecar(dir, 'o.errors.jsonl');
  assert.equal(side.length, broken.size);
  assert.deepEqual(side.map((e) => e.row), [...broken.keys()], 'sidecar rows are the broken records, in order');
  assert.deepEqual(side.map((e) => e.code), [...broken.values()]);

  const out = read(dir, 'o.csv').trimEnd().split('\n').slice(1);
  assert.equal(out.length, 3000, 'one output row per record');
  out.forEach((row, i) => {
    const id = i + 1;
    const [gotId, pred] = row.split(',');
    // Every row keeps its id, a PARSE_ERROR one too (read from the start of its line).
    assert.equal(gotId, String(id), 'aligned');
    assert.equal(pred === '', broken.has(id), `record ${id}: prediction present iff scored`);
  });
});
