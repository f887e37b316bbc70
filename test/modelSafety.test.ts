/**
 * Never destroy or drop data (issue 10), the model's side: a model that is not one row per record is refused, the
 * model file is read once, --max-error-rate holds at the end of the input, hostile text in error lines is made
 * safe, and --workers has a bound. Each case runs the built CLI.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, readdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { BIN, exists, loadWeights, model, read, readSidecar, runCli, workdir } from './helpers.js';

const LINEAR = model('linear.onnx');

// ---------------------------------------------------------------- item 7: one row per record

const misshapen: Array<[string, string, string, RegExp]> = [
  ['a scalar output (ReduceSum of the whole batch)', 'scalar_output.onnx', 'x0,x1,x2\n1,2,3\n4,5,6\n7,8,9\n', /model output "total" is not one row per record: fed \d+ rows, it returned a scalar/],
  ['a [2N,…] output (Concat on the batch axis)', 'doubled_rows.onnx', 'x0,x1\n1,2\n3,4\n5,6\n', /model output "y" is not one row per record: fed \d+ rows, it returned shape \[\d+,2\]/],
  ['inputs with different symbolic batch dimensions', 'two_batches.onnx', 'a,b\n1,10\n2,20\n3,30\n', /model output "y" is not one row per record/],
  ['inputs that fix different batch sizes (before scoring)', 'fixed_batches.onnx', 'a,b\n1,10\n2,20\n', /model inputs a \(float32\[2,1\]\) and b \(float32\[3,1\]\) declare different batch dimensions/],
];

for (const [name, file, input, message] of misshapen) {
  test(`a model that is not one row per record is a MODEL run error at any --batch-size: ${name}`, async () => {
    for (const batch of ['1', '2', '1024']) {
      const dir = workdir({ 'in.csv': input, 'o.csv': 'older\n' });
      const r = await runCli(['in.csv', '-m', model(file), '-o', 'o.csv', '--batch-size', batch], { cwd: dir });
      assert.equal(r.code, 2, `--batch-size ${batch}: ${r.stderr}`);
      assert.match(r.stderr, /^batch-score: error \[MODEL\] /);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      // No predictions were written, nor records reported failed: the model, not the records, is at fault.
      assert.equal(read(dir, 'o.csv'), 'older\n');
      assert.deepEqual(readdirSync(dir).sort(), ['in.csv', 'o.csv']);
    }
  });
}

test('a misshapen output is not retried or bisected into MODEL_ERROR records', async () => {
  const dir = workdir({ 'in.csv': 'x0,x1\n1,2\n3,4\n5,6\n7,8\n' });
  const r = await runCli(['in.csv', '-m', model('doubled_rows.onnx'), '--retries', '3', '--retry-delay', '1', '--summary', 's.json'], { cwd: dir });
  assert.equal(r.code, 2, r.stderr);
  const s = JSON.parse(read(dir, 's.json'));
  assert.deepEqual([s.exitCode, s.rows.failed], [2, 0]);
  assert.match(s.stopped, /not one row per record/);
  assert.equal(exists(dir, 'batch-score.errors.jsonl'), false);
});

// ---------------------------------------------------------------- item 8: the model is read once

/** Resolves once `file` in `dir` exists with bytes in it. */
async function untilFileHasBytes(dir: string, match: (name: string) => boolean): Promise<void> {
  for (let waited = 0; ; waited += 20) {
    const name = readdirSync(dir).find(match);
    if (name && statSync(path.join(dir, name)).size > 0) return;
    assert.ok(waited < 30_000, 'the run never wrote its temporary output');
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('the model file is read once: replaced during the run, every prediction still comes from the first model', async () => {
  const dir = workdir();
  const modelPath = path.join(dir, 'model.onnx');
  copyFileSync(LINEAR, modelPath);
  copyFileSync(model('mlp.onnx'), path.join(dir, 'other.onnx')); // same input width, other weights and output name
  const firstSha = createHash('sha256').update(readFileSync(LINEAR)).digest('hex');
  const args = [BIN, '-m', 'model.onnx', '-o', 'o.jsonl', '--input-format', 'jsonl', '--workers', '1', '--batch-size', '10', '--flush-ms', '20', '--summary', 's.json'];
  const child = spawn(process.execPath, args, { cwd: dir, stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => (stderr += b));
  const row = (i: number): number[] => [i % 7, (i % 5) - 2, i % 3, 0.5];
  const line = (i: number): string => `${JSON.stringify(row(i))}\n`;
  let i = 0;
  for (; i < 15; i++) child.stdin.write(line(i));
  // The main thread has loaded the model and scored: now the file names another model. The workers start later
  // (standard input: once more than the inline chunks have come), so a worker reading the path would get it.
  await untilFileHasBytes(dir, (f) => f.startsWith('.o.jsonl.') && f.endsWith('.tmp'));
  renameSync(path.join(dir, 'other.onnx'), modelPath);
  const total = 200_000; // ≈ 16 blocks of input: most are scored by the worker
  const rest: string[] = [];
  for (; i < total; i++) rest.push(line(i));
  child.stdin.end(rest.join(''));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.equal(code, 0, stderr);
  const W = await loadWeights();
  const out = read(dir, 'o.jsonl').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(out.length, total);
  const wrong = out.flatMap((rec, k) => {
    const got = Number(Array.isArray(rec.variable) ? rec.variable[0] : rec.variable);
    const expected = (W.linear.predict(row(k)) as { variable: number[] }).variable[0];
    return Object.keys(rec).join() === 'variable' && W.approxEqual(got, expected) ? [] : [`record ${k}: ${JSON.stringify(rec)}, expected ${expected}`];
  });
  assert.deepEqual(wrong.slice(0, 3), []);
  assert.equal(JSON.parse(read(dir, 's.json')).model.sha256, firstSha);
});

// ---------------------------------------------------------------- item 9: --max-error-rate at the end

test('--max-error-rate is also checked at the end of the input: 1 failure in 3 records is over 0.1', async () => {
  const input = 'id,a,b,c,d\n1,1,2,3,4\n2,x,2,3,4\n3,1,2,3,4\n';
  const dir = workdir({ 'in.csv': input, 'o.csv': 'older\n' });
  const over = await runCli(['in.csv', '-m', LINEAR, '--keep', 'id', '-o', 'o.csv', '--max-error-rate', '0.1', '--summary', 's.json'], { cwd: dir });
  assert.equal(over.code, 4, over.stderr);
  assert.match(over.stderr, /^batch-score: error \[THRESHOLD\] more than --max-error-rate 0\.1 of the records failed; stopped at the end of the input, 3 records \(1 failed\)/);
  assert.equal(read(dir, 'o.csv'), 'older\n');
  assert.deepEqual(readSidecar(dir, 'o.errors.aborted.jsonl').map((e) => e.row), [2]);
  assert.deepEqual(JSON.parse(read(dir, 's.json')).exitCode, 4);
  const under = await runCli(['in.csv', '-m', LINEAR, '--keep', 'id', '-o', 'o.csv', '--max-error-rate', '0.5'], { cwd: dir });
  assert.equal(under.code, 3, under.stderr);
  const clean = workdir({ 'in.csv': 'a,b,c,d\n' });
  const empty = await runCli(['in.csv', '-m', LINEAR, '--max-error-rate', '0'], { cwd: clean });
  assert.equal(empty.code, 0, empty.stderr); // no records: no rate to exceed
});

// ---------------------------------------------------------------- item 13: hostile text, wide headers, --workers

const ESC = '\u001b';

test('control characters in a header are escaped in the error line (no raw ESC reaches the terminal)', async () => {
  const dir = workdir({ 'in.csv': `id,a${ESC}[2J${ESC}]0;owned\u0007,b\u009b31m,c\n1,2,3,4\n` });
  const r = await runCli(['in.csv', '-m', LINEAR, '--keep', 'id'], { cwd: dir });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /^batch-score: error \[MAPPING\] /);
  assert.doesNotMatch(r.stderr, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
  assert.ok(r.stderr.includes('a\\u001b[2J\\u001b]0;owned\\u0007,b\\u009b31m,c'), r.stderr);
  assert.equal(r.stderr.trim().split('\n').length, 1);
});

test('control characters in the summary line are escaped', async () => {
  const sidecar = `e${ESC}[31m.jsonl`;
  const dir = workdir({ 'in.csv': 'a,b,c,d\nx,2,3,4\n' });
  const r = await runCli(['in.csv', '-m', LINEAR, '-o', 'o.csv', '--errors', sidecar], { cwd: dir });
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /→ e\\u001b\[31m\.jsonl/);
  assert.doesNotMatch(r.stderr, /\u001b/);
  assert.equal(readSidecar(dir, sidecar).length, 1); // the file itself keeps its name
});

const wide = (names: string[]): string => `${names.join(',')}\n${names.map(() => '1').join(',')}\n`;

test('a 100,000-column header that does not fit the model: one bounded line naming the first columns', async () => {
  const dir = workdir({ 'in.csv': wide(Array.from({ length: 100_000 }, (_, i) => `c${i}`)) });
  const r = await runCli(['in.csv', '-m', LINEAR], { cwd: dir });
  assert.equal(r.code, 2, r.stderr.slice(0, 500));
  // The columns are listed once (issue 11, item 6), bounded.
  assert.match(r.stderr, /^batch-score: error \[MAPPING\] model input float_input \(float32\[N,4\]\) expects 4 features per record, but the input has 100,000 columns: c0,c1,c2,c3,c4,c5,c6,c7,c8,c9 … and 99,990 more$/m);
  assert.ok(r.stderr.length < 1000, `${r.stderr.length} characters`);
});

test('a 100,000-column header with 50,000 repeated names: one bounded line (the check is linear)', async () => {
  const dir = workdir({ 'in.csv': wide(Array.from({ length: 100_000 }, (_, i) => `c${i % 50_000}`)) });
  const r = await runCli(['in.csv', '-m', LINEAR], { cwd: dir });
  assert.equal(r.code, 2, r.stderr.slice(0, 500));
  assert.match(r.stderr, /^batch-score: error \[INPUT\] the header of in\.csv names 50,000 columns \("c0", "c1", .*"c9" … and 49,990 more\) more than once/);
  assert.ok(r.stderr.length < 1000, `${r.stderr.length} characters`);
});

test('a very long column name is cut in messages', async () => {
  const long = 'x'.repeat(100_000);
  const dir = workdir({ 'in.csv': `${long},${long},b,c\n1,2,3,4\n` });
  const r = await runCli(['in.csv', '-m', LINEAR], { cwd: dir });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /names "x{60}…" more than once/);
  assert.ok(r.stderr.length < 500, `${r.stderr.length} characters`);
});

test('--workers has an upper bound of 4 × cores: more is a usage error, the bound itself is accepted', async () => {
  const max = 4 * availableParallelism();
  const dir = workdir({ 'in.csv': 'a,b,c,d\n1,2,3,4\n' });
  const over = await runCli(['in.csv', '-m', LINEAR, '--workers', String(max + 1)], { cwd: dir });
  assert.equal(over.code, 2);
  assert.equal(over.stderr, `batch-score: error [USAGE] --workers must be at most ${max} (4 × the ${availableParallelism()} core${availableParallelism() === 1 ? '' : 's'} this process may use), got ${max + 1}\n`);
  const huge = await runCli(['in.csv', '-m', LINEAR, '--workers', '1000000'], { cwd: dir });
  assert.equal(huge.code, 2);
  assert.match(huge.stderr, /\[USAGE\] --workers must be at most/);
  const ok = await runCli(['in.csv', '-m', LINEAR, '--workers', String(max), '-q'], { cwd: dir });
  assert.equal(ok.code, 0, ok.stderr);
});
