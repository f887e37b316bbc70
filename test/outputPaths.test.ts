/**
 * Issue 10, never destroy or drop data — output paths: special files written in place, outputs compared by file
 * identity, an output committed together with its sidecar and summary, streamed sidecars. Black-box: the built CLI.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, createReadStream, linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BIN, UNSHARE_SKIP, exists, inPrivateDev, leftovers, model, read, readSidecar, runCli, until, workdir } from './helpers.js';

const LINEAR = model('linear.onnx');
const HEADER = 'id,a,b,c,d\n';
const MIXED = `${HEADER}1,1,2,3,4\n2,x,2,3,4\n3,1,2,3,4\n`;

// ---- 1. special files are written in place

test('--errors /dev/null and -o /dev/null are written in place: /dev/null stays a device, a clean run does not remove it', (t) => {
  const dir = workdir({ 'in.csv': MIXED, 'ok.csv': `${HEADER}1,1,2,3,4\n` });
  const node = `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)}`;
  const script = [
    `${node} in.csv -m ${LINEAR} --keep id -o o.csv --errors /dev/null; echo "rc=$?"`,
    'stat -c %F /dev/null',
    `${node} ok.csv -m ${LINEAR} --keep id -o o.csv --errors /dev/null; echo "rc=$?"`,
    'stat -c %F /dev/null',
    `${node} in.csv -m ${LINEAR} --keep id -o /dev/null; echo "rc=$?"`,
    'stat -c %F /dev/null',
  ].join('; ');
  const r = inPrivateDev(script, dir);
  if (r === null) return t.skip(UNSHARE_SKIP);
  assert.deepEqual(r.stdout.trim().split('\n'), ['rc=3', 'character special file', 'rc=0', 'character special file', 'rc=3', 'character special file'], r.stderr);
  // With a device as the output, the sidecar goes to the working directory, as for standard output.
  assert.match(r.stderr, /1 failed \(INVALID_VALUE 1\) → batch-score.errors.jsonl/);
  assert.equal(readSidecar(dir, 'batch-score.errors.jsonl').length, 1);
});

test('-o /dev/full is written in place: exit 2 "no space left on device", /dev/full stays a device; a failing --summary /dev/full commits nothing', (t) => {
  const dir = workdir({ 'in.csv': MIXED, 'o.csv': 'old\n' });
  const node = `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)}`;
  const script = [
    `${node} in.csv -m ${LINEAR} --keep id -o /dev/full; echo "rc=$?"`,
    'stat -c %F /dev/full',
    `${node} in.csv -m ${LINEAR} --keep id -o o.csv --summary /dev/full; echo "rc=$?"`,
    'stat -c %F /dev/full',
  ].join('; ');
  const r = inPrivateDev(script, dir);
  if (r === null) return t.skip(UNSHARE_SKIP);
  assert.deepEqual(r.stdout.trim().split('\n'), ['rc=2', 'character special file', 'rc=2', 'character special file'], r.stderr);
  assert.match(r.stderr, /error \[OUTPUT\] cannot write \/dev\/full: no space left on device/);
  assert.equal(read(dir, 'o.csv'), 'old\n');
  assert.equal(exists(dir, 'o.errors.jsonl'), false);
  assert.deepEqual(leftovers(dir), []);
});

test('-o fifo writes into the FIFO (its reader gets the predictions and an end); the FIFO stays', async () => {
  const dir = workdir({ 'in.csv': MIXED });
  assert.equal(spawnSync('mkfifo', [path.join(dir, 'f')]).status, 0);
  const got: Buffer[] = [];
  const reader = createReadStream(path.join(dir, 'f'));
  reader.on('data', (b) => got.push(Buffer.from(b)));
  const ended = new Promise<void>((resolve) => reader.on('end', () => resolve()));
  const r = await runCli(['in.csv', '-m', LINEAR, '--keep', 'id', '-o', 'f', '--output-format', 'csv'], { cwd: dir });
  await ended;
  assert.equal(r.code, 3, r.stderr);
  assert.deepEqual(Buffer.concat(got).toString().split('\n').map((l) => l.split(',')[0]), ['id', '1', '2', '3', '']);
  assert.ok(lstatSync(path.join(dir, 'f')).isFIFO());
  assert.equal(readSidecar(dir, 'batch-score.errors.jsonl').length, 1);
  assert.deepEqual(leftovers(dir), []);
});

test('-o /dev/stdout and a process substitution (/dev/fd/N) are written through the descriptor, never replaced', (t) => {
  const dir = workdir({ 'in.csv': MIXED, 'out.txt': 'kept\n' });
  const node = `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)}`;
  // In a private /dev too: a build that renames over /dev/stdout must not break the machine's own.
  const script = [
    // stdout appended to a file by the shell: written in place after what is there (not renamed over it).
    `${node} in.csv -m ${LINEAR} --keep id -q -o /dev/stdout --output-format csv >> out.txt; echo "rc=$?"`,
    `${node} in.csv -m ${LINEAR} --keep id -q -o >(cat > sub.csv) --output-format csv; echo "rc=$?"; wait`,
    'stat -c %F /dev/stdout',
  ].join('; ');
  assert.ok(!script.includes("'"));
  const r = inPrivateDev(`bash -c '${script}'`, dir);
  if (r === null) return t.skip(UNSHARE_SKIP);
  assert.deepEqual(r.stdout.trim().split('\n'), ['rc=3', 'rc=3', 'symbolic link'], r.stderr);
  const lines = read(dir, 'out.txt').split('\n');
  assert.deepEqual([lines[0], lines[1], lines[3], lines.length], ['kept', 'id,variable', '2,', 6]);
  for (let i = 0; i < 100 && read(dir, 'sub.csv').trim().split('\n').length < 4; i++) spawnSync('sleep', ['0.05']);
  assert.equal(read(dir, 'sub.csv').split('\n')[0], 'id,variable');
  assert.equal(read(dir, 'sub.csv').trim().split('\n').length, 4);
  assert.deepEqual(leftovers(dir), []);
});

test('a symlink to a regular file: the target is replaced atomically, the link stays', async () => {
  const dir = workdir({ 'in.csv': MIXED, 'real.csv': 'old\n' });
  symlinkSync('real.csv', path.join(dir, 'link.csv'));
  const r = await runCli(['in.csv', '-m', LINEAR, '--keep', 'id', '-o', 'link.csv'], { cwd: dir });
  assert.equal(r.code, 3, r.stderr);
  assert.ok(lstatSync(path.join(dir, 'link.csv')).isSymbolicLink());
  assert.equal(read(dir, 'real.csv').split('\n')[0], 'id,variable');
  assert.equal(readSidecar(dir, 'link.errors.jsonl').length, 1);
});

// ---- 2. no output may be an input, the model or another output

const COLLISIONS: Array<[string, string[], RegExp]> = [
  ['--errors is the input', ['in.csv', '--errors', 'in.csv'], /--errors in.csv is the same file as input in.csv/],
  ['--summary is the input', ['in.csv', '-o', 'o.csv', '--summary', 'in.csv'], /--summary in.csv is the same file as input in.csv/],
  ['-o is the model', ['in.csv', '-o', 'm.onnx'], /-o m.onnx is the same file as the model m.onnx/],
  ['-o and --summary are one file', ['in.csv', '-o', 'x.csv', '--summary', 'x.csv'], /--summary x.csv is the same file as -o x.csv/],
  ['-o and --errors are one file', ['in.csv', '-o', 'x.csv', '--errors', 'x.csv'], /--errors x.csv is the same file as -o x.csv/],
  ['-o and --errors are one existing file', ['in.csv', '-o', 'old.csv', '--errors', './old.csv'], /--errors .\/old.csv is the same file as -o old.csv/],
  ['a symlinked input, -o at its target', ['link.csv', '-o', 'in.csv'], /-o in.csv is the same file as input link.csv/],
  ['a hard-linked input', ['in.csv', '-o', 'hard.csv'], /-o hard.csv is the same file as input in.csv/],
  ['the default sidecar is the input', ['o.errors.jsonl', '-o', 'o.csv'], /the sidecar o.errors.jsonl \(its default path; give --errors\) is the same file as input o.errors.jsonl/],
  ['--errors - with output to standard output', ['in.csv', '--errors', '-'], /--errors - is the same file as the output \(standard output\)/],
  ['--summary - with output to standard output', ['in.csv', '--summary', '-'], /--summary - is the same file as the output \(standard output\)/],
];
for (const [name, args, message] of COLLISIONS) {
  test(`an output that is another file of the run is refused before anything is read: ${name}`, async () => {
    const dir = workdir({ 'in.csv': MIXED, 'old.csv': 'old\n', 'o.errors.jsonl': MIXED });
    copyFileSync(LINEAR, path.join(dir, 'm.onnx'));
    symlinkSync('in.csv', path.join(dir, 'link.csv'));
    linkSync(path.join(dir, 'in.csv'), path.join(dir, 'hard.csv'));
    const before = readdirSync(dir).sort();
    const r = await runCli([...args, '-m', args.includes('m.onnx') ? 'm.onnx' : LINEAR, '--keep', 'id'], { cwd: dir });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^batch-score: error \[USAGE\] /);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.equal(r.stdout, '');
    assert.deepEqual(readdirSync(dir).sort(), before);
    assert.equal(read(dir, 'in.csv'), MIXED);
    assert.equal(read(dir, 'old.csv'), 'old\n');
    assert.deepEqual(readFileSync(path.join(dir, 'm.onnx')), readFileSync(LINEAR));
  });
}

test('--errors - and --summary - write to standard output (never a file named -)', async () => {
  const dir = workdir({ 'in.csv': MIXED });
  const e = await runCli(['in.csv', '-m', LINEAR, '--keep', 'id', '-o', 'o.csv', '--errors', '-'], { cwd: dir });
  assert.equal(e.code, 3, e.stderr);
  assert.equal(JSON.parse(e.stdout.trim()).code, 'INVALID_VALUE');
  assert.match(e.stderr, /→ - in/);
  const s = await runCli(['in.csv', '-m', LINEAR, '--keep', 'id', '-o', 'o.csv', '--summary', '-'], { cwd: dir });
  assert.equal(s.code, 3, s.stderr);
  assert.deepEqual(JSON.parse(s.stdout).rows, { read: 3, scored: 2, failed: 1 });
  assert.equal(exists(dir, '-'), false);
});

// ---- 3. committed together or not at all

test('a directory at the output path, or a path ending in /, is exit 2 before scoring; nothing is written', async () => {
  const dir = workdir({ 'in.csv': MIXED, 'prev.csv': 'old\n', 'prev.errors.jsonl': 'old sidecar\n' });
  mkdirSync(path.join(dir, 'd'));
  for (const [args, message] of [
    [['-o', 'd'], /cannot write d: it is a directory/],
    [['-o', 'prev.csv/'], /cannot write prev.csv\/: a path ending in \/ names a directory/],
    [['-o', 'prev.csv', '--errors', 'd'], /cannot write d: it is a directory/],
    [['-o', 'prev.csv', '--summary', 'd'], /cannot write d: it is a directory/],
    [['-o', 'prev.csv', '--summary', 'nodir/s.json'], /cannot write nodir\/s.json: the directory does not exist/],
  ] as const) {
    const r = await runCli(['in.csv', '-m', LINEAR, '--keep', 'id', ...args], { cwd: dir });
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /^batch-score: error \[OUTPUT\] /);
    assert.match(r.stderr, message);
    assert.deepEqual(readdirSync(dir).sort(), ['d', 'in.csv', 'prev.csv', 'prev.errors.jsonl']);
    assert.deepEqual(readdirSync(path.join(dir, 'd')), []);
    assert.equal(read(dir, 'prev.csv'), 'old\n');
    assert.equal(read(dir, 'prev.errors.jsonl'), 'old sidecar\n');
  }
});

/** Starts the CLI on an endless stdin of records, some bad; resolves with the child and a way to end its input. */
function endless(dir: string, args: string[]): { child: ReturnType<typeof spawn>; stderr: () => string; stop: () => void; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [BIN, '-m', LINEAR, '--flush-ms', '20', '--workers', '0', ...args], { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => (stderr += b));
  child.stdout!.resume();
  child.stdin!.on('error', () => undefined);
  let n = 0;
  const feed = setInterval(() => child.stdin!.write(n++ % 3 === 0 ? '[1,"x",3,4]\n' : '[1,2,3,4]\n'), 10);
  const exit = new Promise<number | null>((resolve) => child.on('close', (code) => (clearInterval(feed), resolve(code))));
  return { child, stderr: () => stderr, stop: () => (clearInterval(feed), child.stdin!.end()), exit };
}

const sizeOf = (dir: string, name: string): number => (exists(dir, name) ? statSync(path.join(dir, name)).size : 0);

test('a commit that fails half-way puts the older files back: never a new sidecar beside an old output', async () => {
  const dir = workdir({ 'o.jsonl': 'old output\n', 'o.errors.jsonl': 'old sidecar\n', 's.json': 'old summary\n' });
  const run = endless(dir, ['-o', 'o.jsonl', '--summary', 's.json']);
  await until('the temporary output', () => readdirSync(dir).some((f) => f.startsWith('.o.jsonl.') && f.endsWith('.tmp') && sizeOf(dir, f) > 0));
  // The output path becomes a directory after the checks: its rename fails at the commit, after the sidecar's.
  rmSync(path.join(dir, 'o.jsonl'));
  mkdirSync(path.join(dir, 'o.jsonl'));
  run.stop();
  assert.equal(await run.exit, 2, run.stderr());
  assert.match(run.stderr(), /error \[OUTPUT\] cannot write o.jsonl: it is a directory/);
  assert.equal(read(dir, 'o.errors.jsonl'), 'old sidecar\n');
  assert.equal(JSON.parse(read(dir, 's.json')).exitCode, 2, 'the summary says the run failed');
  assert.deepEqual(leftovers(dir), []);
});

test('a commit waits for another run committing the same files (a lock); a dead run\'s lock is taken over', async () => {
  const dir = workdir({ 'in.csv': MIXED });
  writeFileSync(path.join(dir, '.o.csv.lock'), `${process.pid}\n`); // held by a live process: this test
  const running = runCli(['in.csv', '-m', LINEAR, '--keep', 'id', '-o', 'o.csv'], { cwd: dir });
  await until('the run to score', () => readdirSync(dir).some((f) => f.startsWith('.o.csv.') && f.endsWith('.tmp') && sizeOf(dir, f) > 0));
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(exists(dir, 'o.csv'), false, 'not committed while the lock is held');
  rmSync(path.join(dir, '.o.csv.lock'));
  assert.equal((await running).code, 3);
  assert.equal(read(dir, 'o.csv').split('\n')[0], 'id,variable');
  writeFileSync(path.join(dir, '.o.csv.lock'), '999999999\n'); // no such process
  const r = await runCli(['in.csv', '-m', LINEAR, '--keep', 'id', '-o', 'o.csv'], { cwd: dir });
  assert.equal(r.code, 3, r.stderr);
  assert.deepEqual(leftovers(dir), []);
});

test('two runs writing one output at once leave one run\'s output with that run\'s sidecar', async () => {
  const rows = (tag: string, bad: number) => HEADER + Array.from({ length: 3000 }, (_, i) => `${tag}${i},${i % bad === 0 ? 'x' : 1},2,3,4`).join('\n') + '\n';
  const dir = workdir({ 'a.csv': rows('a', 7), 'b.csv': rows('b', 11) });
  for (let round = 0; round < 3; round++) {
    const [a, b] = await Promise.all(['a.csv', 'b.csv'].map((i) => runCli([i, '-m', LINEAR, '--keep', 'id', '-o', 'o.csv', '--workers', '0'], { cwd: dir })));
    assert.deepEqual([a.code, b.code], [3, 3], a.stderr + b.stderr);
    const tag = read(dir, 'o.csv').split('\n')[1][0];
    assert.ok(readSidecar(dir, 'o.errors.jsonl').every((e) => e.record.startsWith(tag)), `round ${round}: sidecar of the other run`);
    assert.equal(readSidecar(dir, 'o.errors.jsonl').length, tag === 'a' ? Math.ceil(3000 / 7) : Math.ceil(3000 / 11));
  }
  assert.deepEqual(leftovers(dir), []);
});

// ---- 3 and 11. runs to a stream: the sidecar is streamed, locked, and named

test('a run to standard output streams its sidecar as records fail; a signal keeps every reason found; a second run is refused the same sidecar', async () => {
  const dir = workdir();
  const run = endless(dir, []);
  await until('failures in the sidecar while the run goes on', () => sizeOf(dir, 'batch-score.errors.jsonl') > 0 && read(dir, 'batch-score.errors.jsonl').split('\n').length > 5);
  const other = await runCli(['-m', LINEAR], { cwd: dir, stdin: '[1,2,3,4]\n' });
  assert.equal(other.code, 2);
  assert.match(other.stderr, /cannot write batch-score.errors.jsonl: another batch-score run \(pid \d+\) is writing it/);
  await new Promise((r) => setTimeout(r, 100));
  const before = readSidecar(dir, 'batch-score.errors.jsonl').length;
  run.child.kill('SIGINT');
  assert.equal(await run.exit, 130);
  const after = readSidecar(dir, 'batch-score.errors.jsonl');
  assert.ok(after.length >= before, 'nothing found before the signal is lost');
  assert.ok(after.every((e, i) => e.row === 3 * i + 1), 'every bad record, in order, none missing');
  assert.match(run.stderr(), /\[INTERRUPTED\] stopped by SIGINT; the predictions so far went to standard output; the failures so far are in batch-score.errors.jsonl/);
  assert.doesNotMatch(run.stderr(), /no output was written/);
  assert.deepEqual(leftovers(dir), []);
  // With its own --errors, a second run is welcome.
  const own = await runCli(['-m', LINEAR, '--errors', 'mine.jsonl'], { cwd: dir, stdin: '[1,"x",3,4]\n' });
  assert.equal(own.code, 3, own.stderr);
  assert.equal(readSidecar(dir, 'mine.jsonl').length, 1);
});

test('a FIFO output streams its sidecar as standard output does: a signal keeps every reason found', async () => {
  const dir = workdir();
  assert.equal(spawnSync('mkfifo', [path.join(dir, 'f')]).status, 0);
  const reader = createReadStream(path.join(dir, 'f'));
  let rows = 0;
  reader.on('data', (b) => (rows += String(b).split('\n').length - 1));
  const run = endless(dir, ['-o', 'f', '--output-format', 'jsonl']);
  await until('failures in the sidecar while the run goes on', () => rows > 10 && sizeOf(dir, 'batch-score.errors.jsonl') > 0 && read(dir, 'batch-score.errors.jsonl').split('\n').length > 5);
  run.child.kill('SIGTERM');
  assert.equal(await run.exit, 143, run.stderr());
  const after = readSidecar(dir, 'batch-score.errors.jsonl');
  assert.ok(after.length > 5 && after.every((e, i) => e.row === 3 * i + 1), 'every bad record, in order, none missing');
  assert.match(run.stderr(), /\[TERMINATED\] stopped by SIGTERM; the predictions so far went to f; the failures so far are in batch-score.errors.jsonl/);
  assert.ok(lstatSync(path.join(dir, 'f')).isFIFO());
  assert.deepEqual(leftovers(dir), []);
});

test('the summary\'s errorsFile and the closing line say where the failures went', async () => {
  const dir = workdir({ 'in.csv': MIXED, 'ok.csv': `${HEADER}1,1,2,3,4\n` });
  const toStdout = await runCli(['in.csv', '-m', LINEAR, '--keep', 'id', '--summary', 's.json'], { cwd: dir });
  assert.match(toStdout.stderr, /→ batch-score.errors.jsonl in/);
  assert.equal(JSON.parse(read(dir, 's.json')).errorsFile, 'batch-score.errors.jsonl');
  const clean = await runCli(['ok.csv', '-m', LINEAR, '--keep', 'id', '-o', 'o.csv', '--summary', 's.json'], { cwd: dir });
  assert.equal(clean.code, 0);
  assert.equal(JSON.parse(read(dir, 's.json')).errorsFile, null);
  const failed = await runCli(['in.csv', '-m', LINEAR, '--keep', 'id', '-o', 'o.csv', '--summary', 's.json', '--max-errors', '0'], { cwd: dir });
  assert.equal(failed.code, 4);
  assert.equal(JSON.parse(read(dir, 's.json')).errorsFile, 'o.errors.aborted.jsonl');
});

test('a signal while waiting for the reader of a FIFO output stops the run: exit 143, the FIFO stays', async () => {
  const dir = workdir({ 'in.csv': MIXED });
  assert.equal(spawnSync('mkfifo', [path.join(dir, 'f')]).status, 0);
  const child = spawn(process.execPath, [BIN, 'in.csv', '-m', LINEAR, '--keep', 'id', '-o', 'f'], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => (stderr += b));
  const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
  // The run is surely waiting in open() once its sidecar lock is taken (just before the output is opened).
  await until('the run to open its outputs', () => exists(dir, '.batch-score.errors.jsonl.lock'));
  await new Promise((r) => setTimeout(r, 300));
  child.kill('SIGTERM');
  assert.equal(await closed, 143, stderr);
  assert.match(stderr, /\[TERMINATED\] stopped by SIGTERM; the predictions so far went to f/);
  assert.ok(lstatSync(path.join(dir, 'f')).isFIFO());
  assert.deepEqual(leftovers(dir), []);
});
