/** Black-box tests of the foundation: the built CLI on CSV files, its outputs, sidecar, summary and exit codes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { ROOT, csvRows, exists, expectedLinear, model, read, readSidecar, runCli, workdir } from './helpers.js';

const LINEAR = model('linear.onnx');

/** A printed float32 prediction: close to the float64 reference, and in its shortest form (`0.1`, not `0.10000000149011612`). */
function assertFloat32(text: string, expected: number): void {
  const got = Number(text);
  assert.ok(Math.abs(got - expected) <= 1e-5 * Math.max(1, Math.abs(expected)), `${text} vs ${expected}`);
  const shortest = [1, 2, 3, 4, 5, 6, 7, 8, 9].map((p) => Number(Math.fround(got).toPrecision(p))).find((v) => Math.fround(v) === Math.fround(got));
  assert.equal(got, shortest, `${text} is the shortest text for its float32`);
}
const HEADER = 'id,a,b,c,d\n';

test('the README first example scores the shipped fixture', async () => {
  const dir = workdir();
  copyFileSync(path.join(ROOT, 'fixtures', 'houses.csv'), path.join(dir, 'houses.csv'));
  const r = await runCli(['houses.csv', '-m', LINEAR, '-o', 'preds.csv', '--keep', 'id'], { cwd: dir });
  assert.equal(r.code, 3, r.stderr);
  const rows = csvRows(read(dir, 'preds.csv'));
  assert.deepEqual(rows[0], ['id', 'variable']);
  assert.deepEqual(rows.map((row) => row[0]), ['id', 'h1', 'h2', 'h3', 'h4', 'h5']);
  assertFloat32(rows[1][1], await expectedLinear([3, 120.5, 12, 4.2]));
  assert.deepEqual([rows[3][1], rows[5][1]], ['', '']);
  const side = readSidecar(dir, 'preds.errors.jsonl');
  assert.deepEqual(side.map((e) => [e.row, e.line, e.code]), [[3, 4, 'MISSING_VALUE'], [5, 6, 'INVALID_VALUE']]);
  assert.match(r.stderr, /5 read, 3 scored, 2 failed/);
});

test('predictions equal the reference computed from the known weights', async () => {
  const data = [[1, 2, 3, 4], [0, 0, 0, 0], [-1.5, 0.25, 10, 100], [1e6, -1e6, 0.5, 3.3]];
  const dir = workdir({ 'in.csv': HEADER + data.map((r, i) => [i, ...r].join(',')).join('\n') + '\n' });
  const r = await runCli(['in.csv', '-m', LINEAR, '-o', 'out.csv', '--keep', 'id'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const rows = csvRows(read(dir, 'out.csv')).slice(1);
  for (const [i, row] of data.entries()) {
    assertFloat32(rows[i][1], await expectedLinear(row));
  }
  assert.equal(exists(dir, 'out.errors.jsonl'), false, 'no sidecar when nothing failed');
});

test('--features picks and orders columns; --keep copies values verbatim, quoted when needed', async () => {
  const dir = workdir({ 'in.csv': 'name,d,c,b,a,extra\n"Smith, J",4,3,2,1,zzz\n' });
  const r = await runCli(['in.csv', '-m', LINEAR, '--features', 'a,b,c,d', '--keep', 'name'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const want = Math.fround(await expectedLinear([1, 2, 3, 4]));
  assert.equal(r.stdout, `name,variable\n"Smith, J",${Number(r.stdout.split(',').pop())}\n`);
  assert.ok(Math.abs(Number(r.stdout.trim().split(',').pop()) - want) < 1e-4);
});

test('the default feature rule is every column but --keep, in file order; a count mismatch is a run error', async () => {
  const dir = workdir({ 'in.csv': 'id,a,b,c\n1,1,2,3\n', 'old.csv': 'precious\n' });
  const r = await runCli(['in.csv', '-m', LINEAR, '--keep', 'id', '-o', 'old.csv'], { cwd: dir });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /float_input \(float32\[N,4\]\) expects 4 features per record, but the positional rule picks 3 columns: a,b,c$/m);
  assert.equal(r.stderr.trim().split('\n').length, 1, 'one line, no stack trace');
  assert.equal(read(dir, 'old.csv'), 'precious\n', 'an existing output survives a failed run');
  assert.deepEqual(readdirSync(dir).sort(), ['in.csv', 'old.csv'], 'no temporary file left behind');
});

test('a --features name not in the header is a run error naming it', async () => {
  const dir = workdir({ 'in.csv': HEADER + '1,1,2,3,4\n' });
  const r = await runCli(['in.csv', '-m', LINEAR, '--features', 'a,b,c,zz'], { cwd: dir });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--features column "zz" is not in the input.*Columns found: id,a,b,c,d/);
});

test('--on-error skip leaves failed records out of the output but not out of the sidecar', async () => {
  const dir = workdir({ 'in.csv': HEADER + '1,1,2,3,4\n2,x,2,3,4\n3,1,2,3,4\n' });
  const r = await runCli(['in.csv', '-m', LINEAR, '--keep', 'id', '--on-error', 'skip', '-o', 'o.csv'], { cwd: dir });
  assert.equal(r.code, 3);
  assert.deepEqual(csvRows(read(dir, 'o.csv')).map((x) => x[0]), ['id', '1', '3']);
  assert.deepEqual(readSidecar(dir, 'o.errors.jsonl').map((e) => e.row), [2]);
});

test('--missing nan feeds NaN instead of failing the record', async () => {
  const dir = workdir({ 'in.csv': HEADER + '1,,2,3,4\n2,NA,2,3,4\n' });
  const r = await runCli(['in.csv', '-m', LINEAR, '--keep', 'id', '--missing', 'nan'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'id,variable\n1,NaN\n2,NaN\n');
});

test('--outputs selects outputs; [N,K] outputs become <name>_0..<name>_K-1', async () => {
  const dir = workdir({ 'in.csv': 'x0,x1,x2\n1,2,3\n' });
  const all = await runCli(['in.csv', '-m', model('multi_output.onnx')], { cwd: dir });
  assert.equal(all.code, 0, all.stderr);
  assert.equal(all.stdout.split('\n')[0], 'y_0,y_1,total');
  const one = await runCli(['in.csv', '-m', model('multi_output.onnx'), '--outputs', 'total'], { cwd: dir });
  assert.equal(one.stdout.split('\n')[0], 'total');
  const bad = await runCli(['in.csv', '-m', model('multi_output.onnx'), '--outputs', 'nope'], { cwd: dir });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /no output "nope"; its outputs are y, total/);
});

test('the sidecar goes beside the output, to the cwd for stdout, or to --errors; a stale one is removed', async () => {
  const dir = workdir({ 'in.csv': HEADER + '1,x,2,3,4\n', 'ok.csv': HEADER + '1,1,2,3,4\n' });
  await runCli(['in.csv', '-m', LINEAR, '--keep', 'id'], { cwd: dir });
  assert.equal(readSidecar(dir, 'batch-score.errors.jsonl').length, 1);
  await runCli(['in.csv', '-m', LINEAR, '--keep', 'id', '--errors', 'bad.jsonl', '-o', 'p.csv'], { cwd: dir });
  assert.equal(readSidecar(dir, 'bad.jsonl')[0].code, 'INVALID_VALUE');
  assert.equal(exists(dir, 'p.errors.jsonl'), false);
  await runCli(['ok.csv', '-m', LINEAR, '--keep', 'id', '--errors', 'bad.jsonl'], { cwd: dir });
  assert.equal(exists(dir, 'bad.jsonl'), false, 'a clean run leaves no stale sidecar beside its output');
});

test('--summary writes the run as JSON', async () => {
  const dir = workdir({ 'in.csv': HEADER + '1,1,2,3,4\n2,,2,3,4\n3,1,2\n' });
  const r = await runCli(['in.csv', '-m', LINEAR, '--keep', 'id', '-o', 'o.csv', '--summary', 's.json', '-q'], { cwd: dir });
  assert.equal(r.code, 3);
  assert.equal(r.stderr, '', '--quiet prints no summary line');
  const s = JSON.parse(read(dir, 's.json'));
  assert.deepEqual(s.rows, { read: 3, scored: 1, failed: 2 });
  assert.deepEqual(s.errors, { MISSING_VALUE: 1, FEATURE_COUNT: 1 });
  assert.equal(s.model.sha256.length, 64);
  assert.deepEqual(s.model.inputs, [{ name: 'float_input', type: 'float32', shape: ['N', 4] }]);
  assert.deepEqual(s.inputs, ['in.csv']);
  assert.equal(s.output, 'o.csv');
  assert.equal(s.errorsFile, 'o.errors.jsonl');
  assert.equal(s.exitCode, 3);
  assert.ok(Date.parse(s.finishedAt) >= Date.parse(s.startedAt));
  assert.equal(typeof s.seconds, 'number');
});

const RUN_ERRORS: Array<[string, string[], RegExp]> = [
  ['missing model flag', ['in.csv'], /missing required option -m, --model/],
  ['missing model file', ['in.csv', '-m', 'nope.onnx'], /cannot read model nope.onnx: no such file/],
  ['a directory as the model', ['in.csv', '-m', '.'], /cannot read model \.: it is a directory$/m],
  ['model that is not ONNX', ['in.csv', '-m', 'in.csv'], /cannot load model in.csv: not an ONNX model/],
  ['missing input', ['nope.csv', '-m', LINEAR], /cannot read input nope.csv: no such file/],
  ['bad batch size', ['in.csv', '-m', LINEAR, '--batch-size', '0'], /--batch-size must be a whole number ≥ 1/],
  ['unknown flag', ['in.csv', '-m', LINEAR, '--frobnicate'], /unknown option '--frobnicate'/],
  ['bad --on-error', ['in.csv', '-m', LINEAR, '--on-error', 'drop'], /--on-error must be one of null, skip, got "drop"/],
  ['output into a missing directory', ['in.csv', '-m', LINEAR, '-o', 'no/such/dir/o.csv'], /cannot write no\/such\/dir\/o.csv/],
  ['duplicate header names', ['dup.csv', '-m', LINEAR], /names "a" more than once/],
  ['--keep not in header', ['in.csv', '-m', LINEAR, '--keep', 'zz'], /--keep column "zz" is not in the input/],
];
for (const [name, args, message] of RUN_ERRORS) {
  test(`run error: ${name} → exit 2, one line`, async () => {
    const dir = workdir({ 'in.csv': HEADER + '1,1,2,3,4\n', 'dup.csv': 'a,a,b,c\n1,2,3,4\n' });
    const r = await runCli(args, { cwd: dir });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    assert.equal(r.stdout, '');
  });
}

test('--verbose adds the stack trace', async () => {
  const dir = workdir({ 'in.csv': HEADER });
  const r = await runCli(['in.csv', '-m', 'nope.onnx', '--verbose'], { cwd: dir });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /\n\s+at /);
});

test('--help shows examples and --version the package version', async () => {
  const help = await runCli(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Examples:/);
  assert.match(help.stdout, /--batch-size <n>/);
  const version = await runCli(['--version']);
  assert.equal(version.stdout.trim(), JSON.parse(read(ROOT, 'package.json')).version);
});

test('an empty input gives a header-only output and exit 0; a header-only input too', async () => {
  const dir = workdir({ 'empty.csv': '', 'header.csv': HEADER });
  const e = await runCli(['empty.csv', '-m', LINEAR, '--keep', 'id', '-o', 'e.csv'], { cwd: dir });
  assert.equal(e.code, 0, e.stderr);
  assert.equal(read(dir, 'e.csv'), 'id,variable\n');
  const h = await runCli(['header.csv', '-m', LINEAR, '--keep', 'id'], { cwd: dir });
  assert.equal(h.code, 0, h.stderr);
  assert.equal(h.stdout, 'id,variable\n');
});

test('an output path under a file (not a directory) is exit 2 with the path and reason; nothing is left behind', async () => {
  const dir = workdir({ 'in.csv': HEADER + '1,1,2,3,4\n' });
  const r = await runCli(['in.csv', '-m', LINEAR, '--keep', 'id', '-o', 'in.csv/o.csv'], { cwd: dir });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /cannot write in.csv\/o.csv: /);
  assert.deepEqual(readdirSync(dir), ['in.csv']);
});
