/**
 * How input is read (issues 10 and 11): inputs that used to hang, crash or be silently dropped, sniffing standard
 * input, several inputs checked before anything is written. Each case runs the built CLI.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { BIN, exists, model, read, readSidecar, runCli, workdir } from './helpers.js';

const LINEAR = model('linear.onnx'); // 4 float features

test('a CSV whose first 600 KiB after the header are blank lines is scored (no wait for a layout no block makes)', { timeout: 60_000 }, async () => {
  const dir = workdir({ 'in.csv': `id,a,b,c,d\n${'\n'.repeat(600 * 1024)}1,1,2,3,4\n${'\r\n'.repeat(300 * 1024)}2,1,2,3,4\n` });
  for (const workers of ['0', '1', '2']) {
    const r = await runCli(['in.csv', '-m', LINEAR, '--keep', 'id', '--workers', workers], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'id,variable\n1,7.4\n2,7.4\n');
  }
});

test('an input of blank lines only (JSONL, or CSV without a header) is 0 records and an empty output, at any --workers', async () => {
  const dir = workdir({ 'blank.jsonl': '\n', 'blank.csv': '\n \n\r\n', 'second.jsonl': '{"id":1,"a":1,"b":2,"c":3,"d":4}\n' });
  for (const workers of ['0', '1']) {
    for (const [inputs, extra] of [[['blank.jsonl'], []], [['blank.csv'], ['--no-header']], [['blank.jsonl', 'second.jsonl'], []]] as const) {
      const r = await runCli([...inputs, '-m', LINEAR, '--keep', 'id', '-o', 'o.jsonl', '--workers', workers, '--summary', 's.json', ...extra], { cwd: dir });
      assert.equal(r.code, 0, `${inputs.join(' ')}: ${r.stderr}`);
      const summary = JSON.parse(read(dir, 's.json')) as { rows: { read: number } };
      assert.equal(summary.rows.read, inputs.length - 1, inputs.join(' '));
      assert.equal(read(dir, 'o.jsonl'), inputs.length === 1 ? '' : '{"id":1,"variable":7.4}\n');
    }
  }
});

test('a JSON document of 150,000 records is read (no stack overflow); its records keep their lines', async () => {
  const n = 150_000;
  const records = Array.from({ length: n }, (_, i) => (i === 99_999 ? '[1,"x",3,4]' : `[${i % 7},0.5,-2,${i % 3}]`));
  const dir = workdir({ 'in.json': `{"inputs": [\n${records.join(',\n')}\n]}\n` });
  const r = await runCli(['in.json', '-m', LINEAR, '-o', 'o.json'], { cwd: dir });
  assert.equal(r.code, 3, r.stderr);
  const out = JSON.parse(read(dir, 'o.json')) as { predictions: unknown[]; errors: Record<string, string> };
  assert.equal(out.predictions.length, n);
  assert.deepEqual(Object.keys(out.errors), ['99999']);
  const [e] = readSidecar(dir, 'o.errors.jsonl');
  assert.deepEqual([e.row, e.line], [100_000, 100_001]);
});

test('a JSON document too large for memory fails with the remedy (JSONL), and no output', async () => {
  // With a 64 MB heap the limit is a few MiB: the same check as for a document beyond memory with the defaults.
  const records = Array.from({ length: 400_000 }, (_, i) => `[${i},0.5,-2,1]`);
  const dir = workdir({ 'in.json': `{"inputs":[${records.join(',')}]}` });
  const r = await runCli(['in.json', '-m', LINEAR, '-o', 'o.json'], { cwd: dir, env: { NODE_OPTIONS: '--max-old-space-size=64' } });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /^batch-score: error \[INPUT\] in\.json is too large to read as one JSON document \(over \d+ MiB\); write it as JSONL/m);
  assert.equal(exists(dir, 'o.json'), false);
});

test('UTF-16 input (BOM FF FE or FE FF) is one run error, not a sidecar full of INVALID_VALUE', async () => {
  const text = 'id,a,b,c,d\n1,1,2,3,4\n';
  const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
  const be = Buffer.from(le.subarray(2)).swap16();
  const dir = workdir({ 'le.csv': le, 'be.csv': Buffer.concat([Buffer.from([0xfe, 0xff]), be]) });
  for (const [args, stdin, bom] of [[['le.csv'], undefined, 'FF FE'], [['be.csv'], undefined, 'FE FF'], [[], le, 'FF FE']] as const) {
    const r = await runCli([...args, '-m', LINEAR, '-o', 'o.csv'], { cwd: dir, stdin });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`error \\[INPUT\\] .* is UTF-16 \\(it starts with the byte order mark ${bom}\\).*iconv`));
    assert.equal(exists(dir, 'o.csv'), false);
  }
});

test('standard input that cannot be read (< a directory) is an input error, not "0 read"', async () => {
  const dir = workdir();
  const fd = openSync(dir, 'r');
  try {
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, '-m', LINEAR], { stdio: [fd, 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
      let stderr = '';
      child.stderr!.on('data', (b: Buffer) => (stderr += b));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stderr }));
    });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /error \[INPUT\] cannot read standard input: it is a directory/);
  } finally {
    closeSync(fd);
  }
});

test('several inputs: a later input of another format or header stops the run before any row is written', async () => {
  const dir = workdir({
    'a.csv': 'id,a,b,c,d\n1,1,2,3,4\n',
    'b.csv': 'id,a,b,c,d\n2,1,2,3,4\n',
    'h.csv': 'id,a,b,c,e\n3,1,2,3,4\n',
    'j.jsonl': '{"id":4,"a":1,"b":2,"c":3,"d":4}\n',
  });
  const cases: Array<[string[], RegExp]> = [
    [['a.csv', 'b.csv', 'h.csv'], /the header of h\.csv differs from the header of a\.csv/],
    [['a.csv', 'b.csv', 'j.jsonl'], /j\.jsonl is jsonl but a\.csv is csv/],
    [['a.csv', '-'], /the header of - differs from the header of a\.csv/],
  ];
  for (const [inputs, message] of cases) {
    const stdin = read(dir, 'h.csv');
    for (const output of [[], ['-o', 'o.csv']]) {
      const r = await runCli([...inputs, '-m', LINEAR, '--keep', 'id', ...output], { cwd: dir, stdin });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
      assert.equal(r.stdout, ''); // not even the header
      assert.equal(exists(dir, 'o.csv'), false);
    }
  }
  // Standard input among files that agree: read once, its head kept for its turn.
  const ok = await runCli(['a.csv', '-', 'b.csv', '-m', LINEAR, '--keep', 'id'], { cwd: dir, stdin: 'id,a,b,c,d\n9,1,2,3,4\n' });
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stdout, 'id,variable\n1,7.4\n9,7.4\n2,7.4\n');
});

test('standard input: TSV is sniffed (tabs, no commas), and TSV in gives TSV out', async () => {
  const r = await runCli(['-m', LINEAR, '--keep', 'id'], { stdin: 'id\ta\tb\tc\td\n1\t1\t2\t3\t4\n' });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'id\tvariable\n1\t7.4\n');
});

test('--delimiter tab reads tab-separated input as TSV and writes TSV', async () => {
  const dir = workdir({ 'in.txt': 'id\ta\tb\tc\td\n1\t1\t2\t3\t4\n' });
  for (const args of [['in.txt'], []]) {
    const r = await runCli([...args, '-m', LINEAR, '--keep', 'id', '--delimiter', 'tab'], { cwd: dir, stdin: read(dir, 'in.txt') });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'id\tvariable\n1\t7.4\n');
  }
});

test('standard input: a JSON array of records (pandas orient="records", jq -s, [[…],[…]]) is read as a document', async () => {
  const cases: Array<[string, string[]]> = [
    ['[{"id":"a","a":1,"b":2,"c":3,"d":4},{"id":"b","a":1,"b":"x","c":3,"d":4}]', ['id']], // pandas, one line
    ['[\n  {\n    "id": "a",\n    "a": 1, "b": 2, "c": 3, "d": 4\n  },\n  {\n    "id": "b",\n    "a": 1, "b": "x", "c": 3, "d": 4\n  }\n]\n', ['id']], // jq -s
    ['[[1,2,3,4],\n [1,"x",3,4]]', []],
  ];
  for (const [stdin, keep] of cases) {
    const dir = workdir();
    const r = await runCli(['-m', LINEAR, ...(keep.length ? ['--keep', keep.join(',')] : [])], { cwd: dir, stdin });
    assert.equal(r.code, 3, r.stderr);
    const out = JSON.parse(r.stdout) as { predictions: unknown[]; errors: Record<string, string> };
    assert.equal(out.predictions.length, 2);
    assert.deepEqual(Object.keys(out.errors), ['1']);
    const [e] = readSidecar(dir, 'batch-score.errors.jsonl');
    assert.equal(e.row, 2);
    assert.equal(e.line, stdin.startsWith('[\n') ? 6 : 1 + (stdin.includes(',\n') ? 1 : 0));
  }
  // A JSONL line of positional features is still JSONL.
  const jsonl = await runCli(['-m', LINEAR], { stdin: '[1,2,3,4]\n[1,2,3,4]\n' });
  assert.equal(jsonl.code, 0, jsonl.stderr);
  assert.equal(jsonl.stdout, '{"variable":7.4}\n{"variable":7.4}\n');
});

test('--on-error skip with JSON output: an errors key is the index of its record in predictions (null there)', async () => {
  const dir = workdir({ 'in.json': '{"inputs": [[1,2,3,4], [1,"x",3,4], [1,2,3,4], [null,2,3,4]]}' });
  for (const onError of ['null', 'skip']) {
    const r = await runCli(['in.json', '-m', LINEAR, '--on-error', onError], { cwd: dir });
    assert.equal(r.code, 3, r.stderr);
    const out = JSON.parse(r.stdout) as { predictions: unknown[]; errors: Record<string, string> };
    assert.deepEqual(out.predictions, [7.4, null, 7.4, null]);
    assert.deepEqual(Object.keys(out.errors), ['1', '3']);
  }
});

test('standard input: the format is told from the whole first line, even when a slow pipe delivers it in parts', async () => {
  const linear = model('linear.onnx');
  const cases: Array<[string, string, string]> = [
    [`{ printf 'id'; sleep 1.5; printf '\\ta\\tb\\tc\\td\\nr1\\t1\\t2\\t3\\t4\\n'; }`, '--keep id', 'id\tvariable\nr1\t7.4\n'],
    [`{ printf '['; sleep 1.5; printf '{"a":1,"b":2,"c":3,"d":4}]\\n'; }`, '', '{"predictions":[\n7.4\n],"errors":{}}\n'],
  ];
  // The writer pauses longer than the CLI takes to start, so its first read holds only the start of the line.
  await Promise.all(cases.map(async ([writer, args, expected]) => {
    const r = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const child = spawn('sh', ['-c', `${writer} | ${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} -m ${JSON.stringify(linear)} ${args} -q`], { cwd: workdir(), stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      child.stdout.on('data', (b: Buffer) => (stdout += b));
      child.on('close', (code) => resolve({ code, stdout }));
    });
    assert.equal(r.code, 0, writer);
    assert.equal(r.stdout, expected, writer);
  }));
});

test('several gzip inputs, each larger than one read: opened for their headers, closed, read again, all scored (no crash)', async () => {
  // Random digits compress poorly: each file is well over the 1 MiB a read asks for, so closing it after its
  // header leaves a read under way (its premature close was an 'error' event nobody heard, and exit 1).
  let seed = 7;
  const digit = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % 1_000_000) / 1000;
  const lines = ['a,b,c,d'];
  for (let i = 0; i < 150_000; i++) lines.push(`${digit()},${digit()},${digit()},${digit()}`);
  const gz = gzipSync(`${lines.join('\n')}\n`);
  assert.ok(gz.length > 1.2 * 2 ** 20, `${gz.length} bytes`);
  const dir = workdir({ 'a.csv.gz': gz, 'b.csv.gz': gz, 'c.csv.gz': gz });
  for (const extra of [[], ['--output-dir', 'out']]) {
    const r = await runCli(['a.csv.gz', 'b.csv.gz', 'c.csv.gz', '-m', LINEAR, ...(extra.length ? extra : ['-o', 'o.csv'])], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /450000 read, 450000 scored, 0 failed/);
  }
  assert.equal(read(dir, 'o.csv').split('\n').length, 450_002);
});
