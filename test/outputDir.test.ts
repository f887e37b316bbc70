/** --output-dir (issue 16): one output and one sidecar per input, named after it; with --shard, whole inputs. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { exists, model, read, runCli, workdir } from './helpers.js';

const LINEAR = model('linear.onnx');
const A = 'id,rooms,area,age,distance\na,1,2,3,4\nb,1,,3,4\n';
const B = 'id,rooms,area,age,distance\nc,5,6,7,8\n';

test('each input gets DIR/<base>.<ext> and DIR/<base>.errors.jsonl, as its own run writes them; shards share inputs out whole', async () => {
  // day-a is the larger: day-b's first byte falls in the second half, so shard 1/2 owns it.
  const dir = workdir({ 'day-a.csv': A + 'z,1,2,3,4\n'.repeat(20), 'day-b.csv.gz': gzipSync(B) });
  const r = await runCli(['day-a.csv', 'day-b.csv.gz', '-m', LINEAR, '--keep', 'id', '--output-dir', 'out', '-q'], { cwd: dir });
  assert.equal(r.code, 3, r.stderr);
  const alone = await runCli(['day-a.csv', '-m', LINEAR, '--keep', 'id', '-o', 'a.csv', '-q'], { cwd: dir });
  assert.equal(alone.code, 3);
  assert.equal(read(dir, 'out/day-a.csv'), read(dir, 'a.csv'));
  assert.equal(read(dir, 'out/day-a.errors.jsonl'), read(dir, 'a.errors.jsonl'));
  assert.match(read(dir, 'out/day-b.csv'), /^id,variable\nc,/);
  assert.ok(!exists(dir, 'out/day-b.errors.jsonl'));
  const shards = await Promise.all([0, 1].map((k) => runCli(['day-a.csv', 'day-b.csv.gz', '-m', LINEAR, '--keep', 'id', '--output-dir', `s${k}`, '--shard', `${k}/2`, '-q'], { cwd: dir })));
  assert.ok(shards.every((s) => s.code === 0 || s.code === 3));
  assert.equal(read(dir, 's0/day-a.csv'), read(dir, 'out/day-a.csv'));
  assert.equal(read(dir, 's1/day-b.csv'), read(dir, 'out/day-b.csv'));
  assert.ok(!exists(dir, 's0/day-b.csv') && !exists(dir, 's1/day-a.csv'));
});

test('--output-dir over an input, two inputs with one base name, with -o: refused before anything is written', async () => {
  const dir = workdir({ 'in.csv': A, 'x.csv': A, 'x.tsv': A.replace(/,/g, '\t') });
  const cases: Array<[string[], RegExp]> = [
    [['in.csv', '--output-dir', '.'], /\[USAGE\] the output in\.csv is the same file as input in\.csv/],
    [['x.csv', 'x.tsv', '--output-dir', 'o'], /\[USAGE\] two inputs are named x/],
    [['in.csv', '--output-dir', 'o', '-o', 'p.csv'], /\[USAGE\] --output-dir .* cannot be given with -o/],
    // One drift report or challenger agreement per run, not per input.
    [['in.csv', '--output-dir', 'o', '--baseline', 'in.csv', '--drift', 'r.json'], /\[USAGE\] --baseline cannot be combined with --output-dir/],
    [['in.csv', '--output-dir', 'o', '--challenger', LINEAR], /\[USAGE\] --challenger cannot be combined with --output-dir/],
  ];
  const runs = await Promise.all(cases.map(([args]) => runCli([...args, '-m', LINEAR, '--keep', 'id'], { cwd: dir })));
  runs.forEach((r, i) => {
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, cases[i][1]);
  });
  assert.equal(read(dir, 'in.csv'), A);
  assert.ok(!exists(dir, 'o'));
  const profile = await runCli(['profile', 'in.csv', '-m', LINEAR, '--keep', 'id', '--output-dir', 'o'], { cwd: dir });
  assert.equal(profile.code, 2, profile.stderr);
  assert.match(profile.stderr, /\[USAGE\] unknown option '--output-dir'/);
});
