/**
 * Never lose a record: model failures isolated, retries, error thresholds, signals, hostile input, broken
 * model files, determinism. Each case runs the built CLI.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BIN, exists, model, read, readSidecar, runCli, waitsOnFifo, workdir } from './helpers.js';

const LINEAR = model('linear.onnx');
const GATHER = model('gather_fail.onnx');

function gatherInput(n: number, bad: Set<number>): string {
  const rows = Array.from({ length: n }, (_, i) => `${i + 1},${bad.has(i + 1) ? 7 : i % 4},0.5`);
  return `id,x0,x1\n${rows.join('\n')}\n`;
}

test('a model failure costs only the records that cause it, in about log2(chunk) extra calls each', async () => {
  const bad = new Set([17, 60]);
  const dir = workdir({ 'in.csv': gatherInput(64, bad) });
  const r = await runCli(['in.csv', '-m', GATHER, '--keep', 'id', '-o', 'o.csv', '--batch-size', '64', '--summary', 's.json'], { cwd: dir });
  assert.equal(r.code, 3, r.stderr);
  const side = readSidecar(dir, 'o.errors.jsonl');
  assert.deepEqual(side.map((e) => [e.row, e.code]), [[17, 'MODEL_ERROR'], [60, 'MODEL_ERROR']]);
  assert.match(side[0].message, /indices element out of data bounds/);
  const out = read(dir, 'o.csv').trim().split('\n').slice(1);
  assert.equal(out.length, 64);
  out.forEach((line, i) => {
    const [id, y] = line.split(',');
    assert.equal(id, String(i + 1));
    if (bad.has(i + 1)) assert.equal(y, '');
    else assert.equal(Number(y), [10, 20, 30, 40][i % 4] + 0.5);
  });
  const calls = JSON.parse(read(dir, 's.json')).model.calls;
  // One call for the chunk, then bisection: at most 2 calls per level per bad record.
  assert.ok(calls <= 1 + 2 * 2 * Math.log2(64), `${calls} calls`);
  assert.ok(calls > 1);
});

test('--retries retries a failing call before isolating; a model that fails for everything fails every record', async () => {
  const dir = workdir({ 'in.csv': gatherInput(4, new Set([1, 2, 3, 4])) });
  const r = await runCli(['in.csv', '-m', GATHER, '--keep', 'id', '--retries', '2', '--retry-delay', '10', '--summary', 's.json'], { cwd: dir });
  assert.equal(r.code, 3);
  assert.equal(readSidecar(dir, 'batch-score.errors.jsonl').length, 4);
  // 1 call + 2 retries, then bisection of 4 rows: 2 + 4 calls.
  assert.equal(JSON.parse(read(dir, 's.json')).model.calls, 3 + 6);
});

test('--max-errors: exceeding it aborts with exit 4; no output file, the older one and its sidecar untouched; the aborted sidecar says how far it got', async () => {
  const rows = Array.from({ length: 50 }, (_, i) => (i % 5 === 0 ? `${i},x,2,3,4` : `${i},1,2,3,4`));
  const dir = workdir({ 'in.csv': `id,a,b,c,d\n${rows.join('\n')}\n`, 'o.csv': 'old\n', 'o.errors.jsonl': 'old sidecar\n' });
  const r = await runCli(['in.csv', '-m', LINEAR, '--keep', 'id', '-o', 'o.csv', '--max-errors', '3', '--batch-size', '10', '--summary', 's.json'], { cwd: dir });
  assert.equal(r.code, 4, r.stderr);
  assert.match(r.stderr, /error \[THRESHOLD\] more than --max-errors 3 records failed; stopped after 20 records \(4 failed\); nothing was written to o.csv \(an older file there is untouched\); the failures so far are in o.errors.aborted.jsonl$/m);
  assert.equal(read(dir, 'o.csv'), 'old\n');
  // Never a new sidecar beside the old output: the aborted run's failures go under a name of their own.
  assert.equal(read(dir, 'o.errors.jsonl'), 'old sidecar\n');
  assert.equal(readSidecar(dir, 'o.errors.aborted.jsonl').length, 4);
  const s = JSON.parse(read(dir, 's.json'));
  assert.deepEqual([s.exitCode, s.rows.read, s.errorsFile], [4, 20, 'o.errors.aborted.jsonl']);
  assert.match(s.stopped, /max-errors/);
  assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp')), []);
});

test('--max-error-rate is checked once --batch-size records are read', async () => {
  const rows = ['1,x,2,3,4', ...Array.from({ length: 30 }, (_, i) => `${i + 2},1,2,3,4`)];
  const dir = workdir({ 'in.csv': `id,a,b,c,d\n${rows.join('\n')}\n` });
  // The first chunk (1 bad of 10 = 10%) is over 5%; the rate is checked from 10 records on.
  const over = await runCli(['in.csv', '-m', LINEAR, '--keep', 'id', '-o', 'o.csv', '--max-error-rate', '0.05', '--batch-size', '10'], { cwd: dir });
  assert.equal(over.code, 4);
  assert.equal(exists(dir, 'o.csv'), false);
  const under = await runCli(['in.csv', '-m', LINEAR, '--keep', 'id', '-o', 'o.csv', '--max-error-rate', '0.2', '--batch-size', '10'], { cwd: dir });
  assert.equal(under.code, 3);
});

/** Resolves once the run is surely under way: its temporary output file has been written to. */
async function untilTemporaryOutputHasBytes(dir: string, output: string): Promise<void> {
  const temp = (): string | undefined => readdirSync(dir).find((f) => f.startsWith(`.${output}.`) && f.endsWith('.tmp'));
  for (let waited = 0; ; waited += 20) {
    const name = temp();
    if (name && statSync(path.join(dir, name)).size > 0) return;
    assert.ok(waited < 20_000, 'the run never wrote its temporary output');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Starts the CLI on an endless slow stdin, then sends a signal once it has written to its temporary output. */
async function signalled(signal: NodeJS.Signals, workers = '0'): Promise<{ code: number | null; stderr: string; dir: string }> {
  const dir = workdir({ 'o.jsonl': 'older\n' });
  const args = [BIN, '-m', LINEAR, '-o', 'o.jsonl', '--flush-ms', '50', '--workers', workers];
  const child = spawn(process.execPath, args, { cwd: dir, stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => (stderr += b));
  child.stdin.on('error', () => undefined); // the feeder may write once more after the child has exited
  const feed = setInterval(() => child.stdin.write('[1,2,3,4]\n'), 20);
  await untilTemporaryOutputHasBytes(dir, 'o.jsonl');
  child.kill(signal);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearInterval(feed);
  return { code, stderr, dir };
}

test('SIGTERM mid-run: exit 143, one line, temporaries removed, older output untouched', async () => {
  const { code, stderr, dir } = await signalled('SIGTERM');
  assert.equal(code, 143);
  assert.match(stderr, /^batch-score: error \[TERMINATED\] stopped by SIGTERM/);
  assert.equal(stderr.trim().split('\n').length, 1);
  assert.deepEqual(readdirSync(dir), ['o.jsonl']);
  assert.equal(read(dir, 'o.jsonl'), 'older\n');
});

test('SIGTERM while worker threads are scoring: the same clean stop', async () => {
  const { code, stderr, dir } = await signalled('SIGTERM', '2');
  assert.equal(code, 143, stderr);
  assert.equal(stderr.trim().split('\n').length, 1);
  assert.deepEqual(readdirSync(dir), ['o.jsonl']);
  assert.equal(read(dir, 'o.jsonl'), 'older\n');
});

test('SIGINT mid-run: exit 130', async () => {
  const { code, stderr, dir } = await signalled('SIGINT');
  assert.equal(code, 130);
  assert.match(stderr, /\[INTERRUPTED\] stopped by SIGINT/);
  assert.deepEqual(readdirSync(dir), ['o.jsonl']);
});

test('SIGHUP mid-run (a closed terminal or ssh session): handled like SIGTERM, exit 129, temporaries removed', async () => {
  const { code, stderr, dir } = await signalled('SIGHUP');
  assert.equal(code, 129, stderr);
  assert.match(stderr, /^batch-score: error \[HANGUP\] stopped by SIGHUP/);
  assert.equal(stderr.trim().split('\n').length, 1);
  assert.deepEqual(readdirSync(dir), ['o.jsonl']);
  assert.equal(read(dir, 'o.jsonl'), 'older\n');
});

/** Starts the CLI on a FIFO input no one writes to; resolves once a thread of it waits in open() for a writer. */
async function waitingOnFifo(): Promise<{ child: ChildProcess; dir: string; stderr: () => string; closed: Promise<[number | null, NodeJS.Signals | null]> }> {
  const dir = workdir({ 'o.csv': 'older\n' });
  execFileSync('mkfifo', [path.join(dir, 'in.csv')]);
  const child = spawn(process.execPath, [BIN, 'in.csv', '-m', LINEAR, '-o', 'o.csv'], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => (stderr += b));
  const closed = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('close', (c, s) => resolve([c, s])));
  for (let waited = 0; !waitsOnFifo(child.pid!); waited += 20) {
    assert.ok(waited < 30_000, `the run never waited to open the FIFO: ${stderr}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return { child, dir, stderr: () => stderr, closed: endsOrKilled(child, closed) };
}

/** The child's end; a child still running long after it was told to stop is killed, and the test fails. */
async function endsOrKilled<T>(child: ChildProcess, closed: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('the run was still going 60 s after the test began stopping it'));
    }, 60_000);
  });
  try {
    return await Promise.race([closed, hung]);
  } finally {
    clearTimeout(timer);
  }
}

test('SIGTERM while opening a FIFO input with no writer stops the run: exit 143, temporaries removed', async () => {
  const { child, dir, stderr, closed } = await waitingOnFifo();
  child.kill('SIGTERM');
  const [code] = await closed;
  assert.equal(code, 143, stderr());
  assert.match(stderr(), /^batch-score: error \[TERMINATED\] stopped by SIGTERM/);
  assert.equal(stderr().trim().split('\n').length, 1);
  assert.deepEqual(readdirSync(dir).sort(), ['in.csv', 'o.csv']);
  assert.equal(read(dir, 'o.csv'), 'older\n');
});

test('a second signal exits at once with one line, even when the first could not end the run', async () => {
  const { child, dir, stderr, closed } = await waitingOnFifo();
  // The FIFO the run waits on is replaced: nothing can end that open() any more, so the first signal cannot
  // finish the run; the second must end it anyway.
  rmSync(path.join(dir, 'in.csv'));
  execFileSync('mkfifo', [path.join(dir, 'in.csv')]);
  // Signals sent at the same moment can merge into one: repeat until the run ends.
  child.kill('SIGINT');
  const again = setInterval(() => child.kill('SIGINT'), 200);
  const [code, signal] = await closed.finally(() => clearInterval(again));
  // It dies by the signal itself (a shell sees 130, as from exit(130)): exiting normally would wait for the thread.
  assert.deepEqual([code, signal], [null, 'SIGINT'], stderr());
  assert.equal(stderr(), 'batch-score: error [INTERRUPTED] stopped at once by a second SIGINT; nothing was written to o.csv (an older file there is untouched)\n');
  assert.deepEqual(readdirSync(dir).sort(), ['in.csv', 'o.csv']);
  assert.equal(read(dir, 'o.csv'), 'older\n');
});

test('kill -9 mid-run (output partly written) leaves no file at the output path; a rerun is complete', async () => {
  const rows = Array.from({ length: 300_000 }, (_, i) => `${i},1,2,3,4`).join('\n');
  const dir = workdir({ 'in.csv': `id,a,b,c,d\n${rows}\n` });
  // An endless stdin keeps the run going however fast it scores; the kill comes once the temporary output has bytes.
  const child = spawn(process.execPath, [BIN, '-m', LINEAR, '--keep', 'id', '-o', 'o.csv', '--flush-ms', '20'], { cwd: dir, stdio: ['pipe', 'ignore', 'ignore'] });
  child.stdin.on('error', () => undefined);
  child.stdin.write('id,a,b,c,d\n');
  let next = 0;
  const feed = setInterval(() => child.stdin.write(`${next++},1,2,3,4\n`), 5);
  await untilTemporaryOutputHasBytes(dir, 'o.csv');
  child.kill('SIGKILL');
  await new Promise((resolve) => child.on('close', resolve));
  clearInterval(feed);
  assert.equal(exists(dir, 'o.csv'), false);
  const r = await runCli(['in.csv', '-m', LINEAR, '--keep', 'id', '-o', 'o.csv'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(read(dir, 'o.csv').trim().split('\n').length, 300_001);
});

test('--max-record-bytes: a giant line or an unterminated quote costs one RECORD_TOO_LARGE record, then scoring resumes', async () => {
  const csv = `id,a,b,c,d\n1,1,2,3,4\n2,${'9'.repeat(5000)},2,3,4\n3,1,2,3,4\n4,"open${'x,'.repeat(3000)}\n5,1,2,3,4\n`;
  const jsonl = `[1,2,3,4]\n[${'1,'.repeat(3000)}1]\n[1,2,3,4]\n`;
  const dir = workdir({ 'in.csv': csv, 'in.jsonl': jsonl });
  const c = await runCli(['in.csv', '-m', LINEAR, '--keep', 'id', '--max-record-bytes', '1000', '-o', 'c.csv'], { cwd: dir });
  assert.equal(c.code, 3, c.stderr);
  const cs = readSidecar(dir, 'c.errors.jsonl');
  assert.deepEqual(cs.map((e) => [e.row, e.line, e.code]), [[2, 3, 'RECORD_TOO_LARGE'], [4, 5, 'RECORD_TOO_LARGE']]);
  assert.ok(cs[0].record.length <= 1024);
  // The kept id of a cut-off record is read from its start (issue 11, item 7).
  assert.deepEqual(read(dir, 'c.csv').trim().split('\n').map((l) => l.split(',')[0]), ['id', '1', '2', '3', '4', '5']);
  const j = await runCli(['in.jsonl', '-m', LINEAR, '--max-record-bytes', '1000'], { cwd: dir });
  assert.equal(j.code, 3);
  assert.deepEqual(readSidecar(dir, 'batch-score.errors.jsonl').map((e) => [e.row, e.code]), [[2, 'RECORD_TOO_LARGE']]);
});

// Hostile input: [name, file content, expected exit, expected error codes in the sidecar]
const HOSTILE: Array<[string, string | Buffer, number, string[]]> = [
  ['invalid UTF-8 in a feature', Buffer.concat([Buffer.from('id,a,b,c,d\n1,'), Buffer.from([0xff, 0xfe]), Buffer.from(',2,3,4\n2,1,2,3,4\n')]), 3, ['INVALID_VALUE']],
  ['invalid UTF-8 in a kept field', Buffer.concat([Buffer.from('id,a,b,c,d\n'), Buffer.from([0xc3, 0x28]), Buffer.from(',1,2,3,4\n')]), 0, []],
  ['a NUL byte', 'id,a,b,c,d\n1,1\u0000,2,3,4\n2,1,2,3,4\n', 3, ['INVALID_VALUE']],
  ['a BOM in the middle', 'id,a,b,c,d\n1,1,2,3,4\n\uFEFF2,1,2,3,4\n3,\uFEFF1,2,3,4\n', 3, ['INVALID_VALUE']],
  ['a 10k-column row', `id,a,b,c,d\n1,1,2,3,4\n${Array.from({ length: 10_000 }, (_, i) => i).join(',')}\n`, 3, ['FEATURE_COUNT']],
  ['an empty file', '', 0, []],
  ['a header-only file', 'id,a,b,c,d\n', 0, []],
];
for (const [name, content, code, codes] of HOSTILE) {
  test(`hostile input: ${name}`, async () => {
    const dir = workdir({ 'in.csv': content });
    const r = await runCli(['in.csv', '-m', LINEAR, '--keep', 'id', '-o', 'o.csv', '--summary', 's.json'], { cwd: dir });
    assert.equal(r.code, code, r.stderr);
    const s = JSON.parse(read(dir, 's.json'));
    assert.equal(s.rows.read, s.rows.scored + s.rows.failed);
    assert.deepEqual(codes.length ? readSidecar(dir, 'o.errors.jsonl').map((e) => e.code) : [], codes);
    assert.equal(read(dir, 'o.csv').trim().split('\n').length, 1 + s.rows.read - (s.rows.read === 0 ? 0 : 0));
  });
}

test('broken model files: not ONNX, truncated, missing, a directory → exit 2 with a clear line', async () => {
  const bytes = readFileSync(LINEAR);
  // big.csv is large enough that workers start with the run and fail to load the model too: still one line, no hang.
  const big = `id,a,b,c,d\n${Array.from({ length: 40_000 }, (_, i) => `${i},1,2,3,4`).join('\n')}\n`;
  const dir = workdir({ 'in.csv': 'id,a,b,c,d\n1,1,2,3,4\n', 'big.csv': big, 'text.onnx': 'hello', 'cut.onnx': bytes.subarray(0, Math.floor(bytes.length * 0.6)) });
  for (const input of ['in.csv', 'big.csv']) {
    for (const [m, message] of [
      ['text.onnx', /cannot load model text.onnx: not an ONNX model/],
      ['cut.onnx', /cannot load model cut.onnx: not an ONNX model/],
      ['missing.onnx', /cannot read model missing.onnx: no such file/],
      ['.', /cannot read model \.: /],
    ] as const) {
      const r = await runCli([input, '-m', m, '--keep', 'id', '-o', 'o.csv', '--workers', '1'], { cwd: dir });
      assert.equal(r.code, 2, `${input} ${m}`);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.equal(exists(dir, 'o.csv'), false);
    }
  }
});

test('re-running the same command gives byte-identical output and sidecar', async () => {
  const rows = Array.from({ length: 5000 }, (_, i) => (i % 97 === 0 ? `${i},bad,2,3,4` : `${i},${i / 7},2,3,4`));
  const dir = workdir({ 'in.csv': `id,a,b,c,d\n${rows.join('\n')}\n` });
  const args = ['in.csv', '-m', LINEAR, '--keep', 'id', '--batch-size', '333'];
  await runCli([...args, '-o', 'a.csv', '--errors', 'a.jsonl'], { cwd: dir });
  await runCli([...args, '-o', 'b.csv', '--errors', 'b.jsonl'], { cwd: dir });
  assert.equal(read(dir, 'a.csv'), read(dir, 'b.csv'));
  assert.equal(read(dir, 'a.jsonl'), read(dir, 'b.jsonl'));
  // The batch size does not change the results either.
  await runCli([...args.slice(0, -1), '7', '-o', 'c.csv', '--errors', 'c.jsonl'], { cwd: dir });
  assert.equal(read(dir, 'a.csv'), read(dir, 'c.csv'));
  assert.equal(read(dir, 'a.jsonl'), read(dir, 'c.jsonl'));
});

test('an output in a place that cannot be written is exit 2 naming the path and reason', async () => {
  const dir = workdir({ 'in.csv': 'id,a,b,c,d\n1,1,2,3,4\n' });
  writeFileSync(path.join(dir, 'file'), '');
  const r = await runCli(['in.csv', '-m', LINEAR, '--keep', 'id', '-o', '/proc/o.csv'], { cwd: dir });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /cannot write \/proc\/o.csv: /);
});

test('output and sidecar are byte-identical for every --workers value and batch size', async () => {
  const rows = Array.from({ length: 20_000 }, (_, i) => (i % 331 === 0 ? `${i},bad,2,3,4` : `${i},${i / 7},2,${i % 5},4`));
  const dir = workdir({ 'in.csv': `id,a,b,c,d\n${rows.join('\n')}\n` });
  const outputs: string[] = [];
  for (const [workers, batch] of [['0', '1024'], ['1', '1024'], ['2', '1024'], ['2', '100'], ['3', '4096']]) {
    const r = await runCli(['in.csv', '-m', LINEAR, '--keep', 'id', '--workers', workers, '--batch-size', batch, '-o', `o${workers}-${batch}.csv`], { cwd: dir });
    assert.equal(r.code, 3, r.stderr);
    outputs.push(read(dir, `o${workers}-${batch}.csv`) + read(dir, `o${workers}-${batch}.errors.jsonl`));
  }
  for (const o of outputs.slice(1)) assert.ok(o === outputs[0], 'identical to the single-threaded run');
});
