/**
 * Issue 10's promises on the outputs added after it was filed: the drift report (--drift) and its --baseline,
 * `profile -o`, Parquet output, --output-dir, and the checkpoint files a run keeps (--resume) or removes (without
 * it). Each is compared by file identity with every other file of the run, a special file is written in place, a
 * symlink's target replaced, and a signal stops a run waiting on a FIFO. Black-box: the built CLI.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, createReadStream, linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BIN, UNSHARE_SKIP, exists, inPrivateDev, leftovers, model, read, runCli, until, waitsOnFifo, workdir } from './helpers.js';

const LINEAR = model('linear.onnx');
const HEADER = 'id,a,b,c,d\n';
const MIXED = `${HEADER}1,1,2,3,4\n2,x,2,3,4\n3,1,2,3,4\n`;

/** A working directory with an input, a copy of the model, a baseline (made once) and the files cases point at. */
let baseline: string | null = null;
async function scene(): Promise<string> {
  if (baseline === null) {
    const dir = workdir({ 'in.csv': MIXED });
    const r = await runCli(['profile', 'in.csv', '-m', LINEAR, '--keep', 'id', '-o', 'base.json', '-q'], { cwd: dir });
    assert.equal(r.code, 3, r.stderr);
    baseline = read(dir, 'base.json');
  }
  const dir = workdir({ 'in.csv': MIXED, 'base.json': baseline, 'old.csv': 'old\n' });
  copyFileSync(LINEAR, path.join(dir, 'm.onnx'));
  return dir;
}

// ---- no output may be an input, the model or another output

const RUN = ['in.csv', '-m', 'm.onnx', '--keep', 'id'];
const DRIFT = [...RUN, '-o', 'o.csv', '--baseline', 'base.json'];
const COLLISIONS: Array<[string, string[], RegExp, (dir: string) => void]> = [
  ['--drift is the output', [...DRIFT, '--drift', 'o.json', '--output-format', 'csv', '-o', 'o.json'], /--drift o.json is the same file as -o o.json/, () => undefined],
  ['--drift is the default sidecar', [...DRIFT, '--drift', 'o.errors.json', '--errors', 'o.errors.json'], /--drift o.errors.json is the same file as --errors o.errors.json/, () => undefined],
  ['--drift is the summary', [...DRIFT, '--drift', 's.json', '--summary', 's.json'], /--drift s.json is the same file as --summary s.json/, () => undefined],
  ['--drift is the baseline', [...DRIFT, '--drift', 'base.json'], /--drift base.json is the same file as --baseline base.json/, () => undefined],
  ['--drift is a symlink to the input', [...DRIFT, '--drift', 'in.json'], /--drift in.json is the same file as input in.csv/, (dir) => symlinkSync('in.csv', path.join(dir, 'in.json'))],
  ['--drift is a hard link to the model', [...DRIFT, '--drift', 'm.json'], /--drift m.json is the same file as the model m.onnx/, (dir) => linkSync(path.join(dir, 'm.onnx'), path.join(dir, 'm.json'))],
  ['--baseline is the output', [...RUN, '-o', 'base.json', '--output-format', 'jsonl', '--baseline', 'base.json'], /--baseline base.json is the same file as -o base.json/, () => undefined],
  ['profile -o is the input', ['profile', 'in.csv', '-m', 'm.onnx', '--keep', 'id', '-o', 'in.csv'], /-o in.csv is the same file as input in.csv/, () => undefined],
  ['profile -o is the model', ['profile', 'in.csv', '-m', 'm.onnx', '--keep', 'id', '-o', 'm.onnx'], /-o m.onnx is the same file as the model m.onnx/, () => undefined],
  ['profile -o is its --summary', ['profile', 'in.csv', '-m', 'm.onnx', '--keep', 'id', '-o', 'p.json', '--summary', 'p.json'], /--summary p.json is the same file as -o p.json/, () => undefined],
  ['a Parquet -o is the input', [...RUN, '-o', 'in.csv', '--output-format', 'parquet'], /-o in.csv is the same file as input in.csv/, () => undefined],
  ['a Parquet -o is its --errors', [...RUN, '-o', 'x.parquet', '--errors', 'x.parquet'], /--errors x.parquet is the same file as -o x.parquet/, () => undefined],
  // A run without --resume removes an old checkpoint beside its output: before, an input or a model there was deleted.
  ['an input at the checkpoint\'s partial output', ['o.csv.resume.partial', '-m', 'm.onnx', '--keep', 'id', '--input-format', 'csv', '-o', 'o.csv'],
    /the checkpoint file o.csv.resume.partial \(batch-score's, for --resume\) is the same file as input o.csv.resume.partial/, (dir) => copyFileSync(path.join(dir, 'in.csv'), path.join(dir, 'o.csv.resume.partial'))],
  ['the model at the checkpoint\'s journal', ['in.csv', '-m', 'o.csv.resume.json', '--keep', 'id', '-o', 'o.csv'],
    /the checkpoint file o.csv.resume.json \(batch-score's, for --resume\) is the same file as the model o.csv.resume.json/, (dir) => copyFileSync(LINEAR, path.join(dir, 'o.csv.resume.json'))],
  ['an input at the checkpoint\'s progress log', ['o.csv.resume.log', '-m', 'm.onnx', '--keep', 'id', '--input-format', 'csv', '-o', 'o.csv', '--resume'],
    /the checkpoint file o.csv.resume.log \(batch-score's, for --resume\) is the same file as input o.csv.resume.log/, (dir) => copyFileSync(path.join(dir, 'in.csv'), path.join(dir, 'o.csv.resume.log'))],
  // With --resume it was opened as the sidecar's partial file, cut to nothing, and removed when the run completed.
  ['--resume: an input at the sidecar\'s partial file', ['o.errors.jsonl.resume.partial', '-m', 'm.onnx', '--keep', 'id', '--input-format', 'csv', '-o', 'o.csv', '--resume'],
    /the checkpoint file o.errors.jsonl.resume.partial \(batch-score's, for --resume\) is the same file as input o.errors.jsonl.resume.partial/, (dir) => copyFileSync(path.join(dir, 'in.csv'), path.join(dir, 'o.errors.jsonl.resume.partial'))],
];
for (const [name, args, message, prepare] of COLLISIONS) {
  test(`a later output that is another file of the run is refused before anything is read: ${name}`, async () => {
    const dir = await scene();
    prepare(dir);
    const before = new Map(readdirSync(dir).map((f) => [f, readFileSync(path.join(dir, f))]));
    const r = await runCli(args, { cwd: dir });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^batch-score: error \[USAGE\] /);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.equal(r.stdout, '');
    assert.deepEqual(new Map(readdirSync(dir).map((f) => [f, readFileSync(path.join(dir, f))])), before, 'no file made, changed or removed');
  });
}

test('--output-dir: a --summary that is one of its outputs is refused and not written there; a refused run makes no directory', async () => {
  const dir = await scene();
  mkdirSync(path.join(dir, 'out'));
  for (const [summary, message] of [
    ['out/in.csv', /--summary out\/in.csv is the same file as the output out\/in.csv/],
    ['out/in.errors.jsonl', /--summary out\/in.errors.jsonl is the same file as the sidecar out\/in.errors.jsonl/],
  ] as const) {
    const r = await runCli([...RUN, '--output-dir', 'out', '--summary', summary], { cwd: dir });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, message);
    assert.deepEqual(readdirSync(path.join(dir, 'out')), [], 'before, the failed run\'s summary was written at the colliding path');
  }
  const refused = await runCli([...RUN, '--output-dir', 'new/sub', '--summary', 'in.csv'], { cwd: dir });
  assert.equal(refused.code, 2, refused.stderr);
  assert.equal(exists(dir, 'new'), false);
  writeFileSync(path.join(dir, 'afile'), 'x\n');
  const file = await runCli([...RUN, '--output-dir', 'afile'], { cwd: dir });
  assert.equal(file.code, 2);
  assert.match(file.stderr, /^batch-score: error \[OUTPUT\] cannot write into --output-dir afile: it is a file, not a directory\n$/);
});

test('a checkpoint path holding a directory or a symlink is refused, with or without --resume, and left as it is', async () => {
  const dir = await scene();
  mkdirSync(path.join(dir, 'o.csv.resume.partial'));
  symlinkSync('old.csv', path.join(dir, 'p.csv.resume.json'));
  for (const [out, resume, message] of [
    ['o.csv', [], /cannot keep a checkpoint at o.csv.resume.partial: it is a directory, not a regular file/],
    ['o.csv', ['--resume'], /cannot keep a checkpoint at o.csv.resume.partial: it is a directory/],
    // With --resume the journal would be written through the link, over old.csv; without, the link removed.
    ['p.csv', ['--resume'], /cannot keep a checkpoint at p.csv.resume.json: it is a symbolic link/],
    ['p.csv', [], /cannot keep a checkpoint at p.csv.resume.json: it is a symbolic link/],
  ] as const) {
    const r = await runCli([...RUN, '-o', out, ...resume], { cwd: dir });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^batch-score: error \[OUTPUT\] /);
    assert.match(r.stderr, message);
    assert.ok(lstatSync(path.join(dir, 'o.csv.resume.partial')).isDirectory());
    assert.ok(lstatSync(path.join(dir, 'p.csv.resume.json')).isSymbolicLink());
    assert.equal(read(dir, 'old.csv'), 'old\n');
    assert.equal(exists(dir, out), false);
    assert.deepEqual(leftovers(dir), []);
  }
});

// ---- special files are written in place, a symlink's target replaced

test('--drift and profile -o: a symlink to a regular file has its target replaced, the link stays', async () => {
  const dir = await scene();
  writeFileSync(path.join(dir, 'real.html'), 'old\n');
  symlinkSync('real.html', path.join(dir, 'report.html'));
  writeFileSync(path.join(dir, 'real.json'), 'old\n');
  symlinkSync('real.json', path.join(dir, 'p.json'));
  const drift = await runCli([...DRIFT, '--drift', 'report.html'], { cwd: dir });
  assert.equal(drift.code, 3, drift.stderr);
  const profile = await runCli(['profile', ...RUN, '-o', 'p.json'], { cwd: dir });
  assert.equal(profile.code, 3, profile.stderr);
  assert.ok(lstatSync(path.join(dir, 'report.html')).isSymbolicLink());
  assert.ok(lstatSync(path.join(dir, 'p.json')).isSymbolicLink());
  assert.match(read(dir, 'real.html'), /^<!doctype html>/i);
  assert.equal(JSON.parse(read(dir, 'real.json')).schema, 'batch-score/profile');
  assert.deepEqual(leftovers(dir), []);
});

test('--drift, profile -o and a Parquet -o into a FIFO: its reader gets the whole file; the FIFO stays', async () => {
  const dir = await scene();
  const cases: Array<[string[], string, (got: Buffer) => void]> = [
    [[...DRIFT, '--drift', 'f.json'], 'f.json', (got) => assert.equal(JSON.parse(got.toString()).schema, 'batch-score/drift')],
    [['profile', ...RUN, '-o', 'f.json'], 'f.json', (got) => assert.equal(JSON.parse(got.toString()).schema, 'batch-score/profile')],
    [[...RUN, '-o', 'f.parquet'], 'f.parquet', (got) => assert.deepEqual([got.subarray(0, 4).toString(), got.subarray(-4).toString()], ['PAR1', 'PAR1'])],
  ];
  for (const [args, fifo, check] of cases) {
    if (!exists(dir, fifo)) assert.equal(spawnSync('mkfifo', [path.join(dir, fifo)]).status, 0);
    const got: Buffer[] = [];
    const reader = createReadStream(path.join(dir, fifo));
    reader.on('data', (b) => got.push(Buffer.from(b)));
    const ended = new Promise<void>((resolve) => reader.on('end', () => resolve()));
    const r = await runCli(args, { cwd: dir });
    await ended;
    assert.equal(r.code, 3, r.stderr);
    check(Buffer.concat(got));
    assert.ok(lstatSync(path.join(dir, fifo)).isFIFO());
  }
  assert.deepEqual(leftovers(dir), []);
});

test('devices: --drift through a symlink, profile -o, a Parquet -o and an --output-dir entry go to /dev/null in place; /dev/full is one line', async (t) => {
  const dir = await scene();
  mkdirSync(path.join(dir, 'out'));
  const node = `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)}`;
  const run = `${node} in.csv -m m.onnx --keep id -q`;
  const kinds = 'echo "rc=$? $(stat -c %F /dev/null) $(stat -c %F /dev/full)"';
  const script = [
    'ln -s /dev/null report.json', `${run} -o o.csv --baseline base.json --drift report.json; ${kinds}`,
    `${node} profile in.csv -m m.onnx --keep id -q -o /dev/null; ${kinds}`,
    `${run} -o /dev/null --output-format parquet; ${kinds}`,
    'ln -s /dev/null out/in.csv', `${run} --output-dir out; ${kinds}`,
    `${run} -o /dev/full --output-format parquet; ${kinds}`,
    'ln -s /dev/full full.json', `${run} -o o2.csv --baseline base.json --drift full.json; ${kinds}`,
  ].join('; ');
  const r = inPrivateDev(script, dir);
  if (r === null) return t.skip(UNSHARE_SKIP);
  const devices = 'character special file character special file';
  assert.deepEqual(r.stdout.trim().split('\n'), [`rc=3 ${devices}`, `rc=3 ${devices}`, `rc=3 ${devices}`, `rc=3 ${devices}`, `rc=2 ${devices}`, `rc=2 ${devices}`], r.stderr);
  assert.ok(lstatSync(path.join(dir, 'report.json')).isSymbolicLink());
  assert.ok(lstatSync(path.join(dir, 'out', 'in.csv')).isSymbolicLink());
  assert.match(r.stderr, /error \[OUTPUT\] cannot write \/dev\/full: no space left on device/);
  assert.match(r.stderr, /error \[OUTPUT\] cannot write full.json: no space left on device/);
  // The run whose report could not be written committed nothing: not its output, not its sidecar.
  assert.equal(exists(dir, 'o2.csv'), false);
  assert.equal(exists(dir, 'o2.errors.jsonl'), false);
  assert.deepEqual(leftovers(dir), []);
});

// ---- a signal stops a run that waits on a FIFO, whichever file it is

/** Starts a run, waits until it waits on a FIFO, sends SIGTERM; resolves with its exit code and stderr. */
async function terminatedWhileWaiting(dir: string, args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => (stderr += b));
  const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
  await until(`the run to wait on a FIFO (${args.join(' ')})`, () => waitsOnFifo(child.pid!));
  child.kill('SIGTERM');
  // Before, the first signal was not enough: a second one ended the run.
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const code = await closed.finally(() => clearTimeout(timer));
  return { code, stderr };
}

test('SIGTERM while a run waits for the reader of a FIFO report or summary, or for the writer of a FIFO model, baseline or challenger: exit 143, nothing committed', async () => {
  const dir = await scene();
  for (const fifo of ['f.json', 'f.onnx']) assert.equal(spawnSync('mkfifo', [path.join(dir, fifo)]).status, 0);
  for (const args of [
    [...DRIFT, '--drift', 'f.json'],
    [...RUN, '-o', 'o.csv', '--summary', 'f.json'],
    ['in.csv', '-m', 'f.onnx', '--keep', 'id', '-o', 'o.csv'],
    [...RUN, '-o', 'o.csv', '--baseline', 'f.json'],
    [...RUN, '-o', 'o.csv', '--challenger', 'f.onnx'],
  ]) {
    const r = await terminatedWhileWaiting(dir, args);
    assert.equal(r.code, 143, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr, 'batch-score: error [TERMINATED] stopped by SIGTERM; nothing was written to o.csv (an older file there is untouched)\n', args.join(' '));
    assert.equal(exists(dir, 'o.csv'), false);
    assert.equal(exists(dir, 'o.errors.jsonl'), false);
    assert.deepEqual(leftovers(dir), []);
  }
});
