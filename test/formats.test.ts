/** Black-box tests of the formats people pipe: JSONL, JSON documents, TSV, gzip, stdin/stdout, several files. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync, gunzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { expectedLinear, model, read, readSidecar, runCli, workdir } from './helpers.js';

const LINEAR = model('linear.onnx');
const ROWS = [[1, 2, 3, 4], [5, 6, 7, 8]];
const CSV = `id,a,b,c,d\n${ROWS.map((r, i) => [i + 1, ...r].join(',')).join('\n')}\n`;
const TSV = CSV.replaceAll(',', '\t');
const JSONL = ROWS.map((r, i) => JSON.stringify({ id: i + 1, a: r[0], b: r[1], c: r[2], d: r[3] })).join('\n') + '\n';
const ARRAYS = ROWS.map((r) => JSON.stringify(r)).join('\n') + '\n';

async function expected(): Promise<number[]> {
  return Promise.all(ROWS.map(async (r) => Number(Math.fround(await expectedLinear(r)).toPrecision(7))));
}

function close(got: number, want: number): boolean {
  return Math.abs(got - want) <= 1e-5 * Math.max(1, Math.abs(want));
}

/** Predictions out of CSV, TSV, JSONL or JSON output text. */
function predictions(text: string): number[] {
  const t = text.trim();
  if (t.startsWith('{"predictions"')) return (JSON.parse(t).predictions as Array<number | { variable: number }>).map((p) => (typeof p === 'number' ? p : p.variable));
  if (t.startsWith('{')) return t.split('\n').map((l) => JSON.parse(l).variable as number);
  return t.split('\n').slice(1).map((l) => Number(l.split(/[,\t]/).pop()));
}

async function assertPredictions(text: string): Promise<void> {
  const want = await expected();
  const got = predictions(text);
  assert.equal(got.length, want.length, text);
  got.forEach((g, i) => assert.ok(close(g, want[i]), `${g} vs ${want[i]}`));
}

// [name, input file name (or '-' with stdin), content, extra args, expected first output line]
const SOURCES: Array<[string, string, string | Buffer, string[], RegExp]> = [
  ['CSV file', 'in.csv', CSV, ['--keep', 'id'], /^id,variable$/],
  ['TSV file by extension (TSV out)', 'in.tsv', TSV, ['--keep', 'id'], /^id\tvariable$/],
  ['JSONL file (JSONL out)', 'in.jsonl', JSONL, ['--keep', 'id'], /^\{"id":1,"variable":7.4\}$/],
  ['NDJSON file', 'in.ndjson', JSONL, ['--keep', 'id'], /^\{"id":1,/],
  ['JSONL arrays', 'in.jsonl', ARRAYS, [], /^\{"variable":7.4\}$/],
  ['gzip CSV file', 'in.csv.gz', gzipSync(CSV), ['--keep', 'id'], /^id,variable$/],
  ['gzip JSONL file', 'in.jsonl.gz', gzipSync(JSONL), ['--keep', 'id'], /^\{"id":1,/],
  ['gzip content without .gz', 'in.csv', gzipSync(CSV), ['--keep', 'id'], /^id,variable$/],
  ['stdin CSV, sniffed', '-', CSV, ['--keep', 'id'], /^id,variable$/],
  ['stdin JSONL, sniffed', '-', JSONL, ['--keep', 'id'], /^\{"id":1,/],
  ['stdin JSONL arrays, sniffed', '-', ARRAYS, [], /^\{"variable":/],
  ['stdin gzip JSONL, sniffed', '-', gzipSync(JSONL), ['--keep', 'id'], /^\{"id":1,/],
  ['stdin TSV with --input-format', '-', TSV, ['--keep', 'id', '--input-format', 'tsv'], /^id\tvariable$/],
  ['stdin semicolons with --delimiter', '-', CSV.replaceAll(',', ';'), ['--keep', 'id', '--delimiter', ';'], /^id,variable$/],
  ['no input path means stdin', '', CSV, ['--keep', 'id'], /^id,variable$/],
  ['--no-header, columns by position', 'in.csv', CSV.split('\n').slice(1).join('\n'), ['--no-header', '--keep', '1'], /^1,variable$/],
  ['JSON document by extension', 'in.json', JSON.stringify({ inputs: ROWS }), [], /^\{"predictions":\[$/],
  ['JSON document, pretty, sniffed on stdin', '-', JSON.stringify({ inputs: ROWS }, null, 2), [], /^\{"predictions":\[$/],
];

for (const [name, file, content, args, firstLine] of SOURCES) {
  test(`source: ${name}`, async () => {
    const dir = workdir(file && file !== '-' ? { [file]: content } : {});
    const inputs = file ? [file] : [];
    const r = await runCli([...inputs, '-m', LINEAR, ...args], { cwd: dir, stdin: file === '-' || file === '' ? content : undefined });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout.split('\n')[0], firstLine);
    await assertPredictions(r.stdout);
  });
}

// [output name, check of the written file]
const OUTPUTS: Array<[string, (bytes: Buffer) => string]> = [
  ['o.csv', (b) => b.toString()],
  ['o.tsv', (b) => b.toString()],
  ['o.jsonl', (b) => b.toString()],
  ['o.json', (b) => b.toString()],
  ['o.csv.gz', (b) => gunzipSync(b).toString()],
  ['o.jsonl.gz', (b) => gunzipSync(b).toString()],
];

for (const [out, decode] of OUTPUTS) {
  test(`output format from the extension: ${out}`, async () => {
    const dir = workdir({ 'in.csv': CSV });
    const r = await runCli(['in.csv', '-m', LINEAR, '--keep', 'id', '-o', out], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    const text = decode(readFileSync(path.join(dir, out)));
    await assertPredictions(text);
  });
}

test('--output-format overrides the extension and the input family', async () => {
  const dir = workdir({ 'in.jsonl': JSONL });
  const r = await runCli(['in.jsonl', '-m', LINEAR, '--keep', 'id', '--output-format', 'csv'], { cwd: dir });
  assert.equal(r.stdout.split('\n')[0], 'id,variable');
});

test('JSONL keeps the JSON types of --keep fields; a failed record has a null prediction', async () => {
  const text = [
    '{"id":"a-1","n":{"x":1},"a":1,"b":2,"c":3,"d":4}',
    '{"id":7,"n":null,"a":"1","b":"2.5","c":3,"d":4}',
    '{"id":true,"n":[1],"a":null,"b":2,"c":3,"d":4}',
  ].join('\n');
  const dir = workdir({ 'in.jsonl': text });
  const r = await runCli(['in.jsonl', '-m', LINEAR, '--features', 'a,b,c,d', '--keep', 'id,n'], { cwd: dir });
  assert.equal(r.code, 3, r.stderr);
  const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(rows.map((x) => [x.id, x.n]), [['a-1', { x: 1 }], [7, null], [true, [1]]]);
  assert.ok(close(rows[1].variable, await expectedLinear([1, 2.5, 3, 4])), 'numeric strings are numbers');
  assert.equal(rows[2].variable, null);
  assert.equal(readSidecar(dir, 'batch-score.errors.jsonl')[0].message, 'missing value: column "a" is null');
});

// Every record error code in JSONL form: [record line, code, message]
const JSONL_ERRORS: Array<[string, string, RegExp]> = [
  ['{"a":1,"b":2,"c":3', 'PARSE_ERROR', /not valid JSON/],
  ['"just a string"', 'PARSE_ERROR', /expected a JSON object or array, found string/],
  ['{"b":2,"c":3,"d":4}', 'MISSING_VALUE', /column "a" is absent/],
  ['{"a":null,"b":2,"c":3,"d":4}', 'MISSING_VALUE', /column "a" is null/],
  ['{"a":true,"b":2,"c":3,"d":4}', 'INVALID_VALUE', /column "a": "true" is not a number/],
  ['{"a":[1],"b":2,"c":3,"d":4}', 'INVALID_VALUE', /is not a number/],
  ['{"a":"0x10","b":2,"c":3,"d":4}', 'INVALID_VALUE', /"0x10" is not a number/],
];
for (const [line, code, message] of JSONL_ERRORS) {
  test(`JSONL record error ${code}: ${line}`, async () => {
    const dir = workdir({ 'in.jsonl': `{"a":1,"b":2,"c":3,"d":4}\n\n${line}\n{"a":1,"b":2,"c":3,"d":4}\n` });
    const r = await runCli(['in.jsonl', '-m', LINEAR, '--features', 'a,b,c,d'], { cwd: dir });
    assert.equal(r.code, 3, r.stderr);
    const [e] = readSidecar(dir, 'batch-score.errors.jsonl');
    assert.deepEqual([e.row, e.line, e.code, e.record], [2, 3, code, line]);
    assert.match(e.message, message);
    assert.equal(r.stdout.trim().split('\n').length, 3);
  });
}

test('JSONL arrays: the length is the feature count', async () => {
  const dir = workdir({ 'in.jsonl': '[1,2,3,4]\n[1,2,3]\n' });
  const r = await runCli(['in.jsonl', '-m', LINEAR], { cwd: dir });
  assert.equal(r.code, 3);
  assert.equal(readSidecar(dir, 'batch-score.errors.jsonl')[0].message, 'expected 4 values, found 3');
});

test('the batch JSON document: one prediction per element, errors keyed by 0-based index', async () => {
  const doc = { inputs: [[1, 2, 3, 4], [1, 'x', 3, 4], [5, 6, 7, 8]] };
  const dir = workdir({ 'req.json': JSON.stringify(doc, null, 1) });
  const r = await runCli(['req.json', '-m', LINEAR, '-o', 'resp.json'], { cwd: dir });
  assert.equal(r.code, 3, r.stderr);
  const resp = JSON.parse(read(dir, 'resp.json'));
  assert.equal(resp.predictions.length, 3);
  assert.equal(resp.predictions[1], null);
  assert.deepEqual(resp.errors, { 1: 'column "2": "x" is not a number' });
  const [e] = readSidecar(dir, 'resp.errors.jsonl');
  assert.deepEqual([e.row, e.line], [2, 9], 'row and the line where the element starts in the pretty-printed document');
});

test("a JSON document's failures carry the byte offset where their element starts (a BOM and non-ASCII text counted)", async () => {
  const shapes = {
    'inputs.json': '\uFEFF{"inputs": [\n  [1, 2, 3, 4],\n  ["é", 2, 3, 4],\n    [1,2,3,"x"], {"a":1}\n]}\n',
    'records.json': '[{"a":"ü","b":2,"c":3,"d":4},\n {"a":1,"b":2,"c":3,"d":"y"}]',
    'forestflow.json': JSON.stringify({ schema: [{ type: 'Float64', fields: ['a', 'b', 'c', 'd'] }], datum: [{ tensors: [{ Float64: { data: ['ß', 2, 3, 4] } }] }, { tensors: [] }] }, null, 2),
  };
  const dir = workdir(shapes);
  for (const [name, text] of Object.entries(shapes)) {
    const r = await runCli([name, '-m', LINEAR, '-o', `${name}.csv`, '--errors', `${name}.errors.jsonl`], { cwd: dir });
    assert.equal(r.code, 3, r.stderr);
    const bytes = Buffer.from(text);
    const failures = readSidecar(dir, `${name}.errors.jsonl`);
    assert.ok(failures.length >= 2, name);
    for (const f of failures) {
      const from = bytes.subarray(f.offset!).toString();
      assert.ok(from[0] === '[' || from[0] === '{', `${name}: offset ${f.offset} points at ${JSON.stringify(from.slice(0, 10))}`);
      // The elements here hold no nested brackets: each ends at the first closing one.
      const element = from.slice(0, from.indexOf(from[0] === '[' ? ']' : '}') + 1);
      if (name !== 'forestflow.json') assert.equal(JSON.stringify(JSON.parse(element)), f.record, name);
    }
  }
});

test('the JSON response with several outputs gives an object per prediction', async () => {
  const dir = workdir({ 'req.json': JSON.stringify({ inputs: [[1, 2, 3]] }) });
  const r = await runCli(['req.json', '-m', model('multi_output.onnx')], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const resp = JSON.parse(r.stdout);
  assert.deepEqual(Object.keys(resp.predictions[0]), ['y', 'total']);
  assert.equal(resp.predictions[0].y.length, 2);
});

test('the ForestFlow inference request: fields named by the schema, configs copied into the summary', async () => {
  const request = {
    schema: [
      { type: 'Float64', fields: ['a', 'b'] },
      { type: 'Float32', fields: ['c', 'd'] },
      { type: 'String', fields: ['name'] },
    ],
    datum: [
      { tensors: [{ Float64: { data: [1, 2] } }, { Float32: { data: [3, 4] } }, { String: { data: ['human1'] } }] },
      { tensors: [{ Float64: { data: [5] } }, { Float32: { data: [7, 8] } }, { String: { data: ['human2'] } }] },
    ],
    configs: { modelId: 'pokemon', version: 2 },
  };
  const dir = workdir({ 'ff.json': JSON.stringify(request) });
  const r = await runCli(['ff.json', '-m', LINEAR, '--features', 'a,b,c,d', '--keep', 'name', '-o', 'o.jsonl', '--summary', 's.json'], { cwd: dir });
  assert.equal(r.code, 3, r.stderr);
  const rows = read(dir, 'o.jsonl').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(rows[0].name, 'human1');
  assert.ok(close(rows[0].variable, await expectedLinear([1, 2, 3, 4])));
  assert.equal(rows[1].variable, null);
  assert.match(readSidecar(dir, 'o.errors.jsonl')[0].message, /tensor 0 needs \{"Float64": \{"data": \[2 values\]\}\}/);
  assert.deepEqual(JSON.parse(read(dir, 's.json')).configs, request.configs);
});

test('several inputs are scored in order into one output; source, row and line are per input', async () => {
  const dir = workdir({ 'a.csv': CSV, 'b.csv.gz': gzipSync(CSV.replace('1,1,2,3,4', '1,x,2,3,4')) });
  const r = await runCli(['a.csv', 'b.csv.gz', '-m', LINEAR, '--keep', 'id'], { cwd: dir });
  assert.equal(r.code, 3, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n').map((l) => l.split(',')[0]), ['id', '1', '2', '1', '2']);
  const [e] = readSidecar(dir, 'batch-score.errors.jsonl');
  assert.deepEqual([e.source, e.row, e.line], ['b.csv.gz', 1, 2]);
});

test('inputs with different headers are a run error naming the first that differs', async () => {
  const dir = workdir({ 'a.csv': CSV, 'b.csv': CSV, 'c.csv': CSV.replace('id,a', 'key,a') });
  const r = await runCli(['a.csv', 'b.csv', 'c.csv', '-m', LINEAR, '--keep', 'id', '-o', 'o.csv'], { cwd: dir });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /the header of c.csv differs from the header of a.csv/);
});

test('a flush timer scores a stalled partial chunk before the end of input', async () => {
  const { spawn } = await import('node:child_process');
  const { BIN } = await import('./helpers.js');
  const child = spawn(process.execPath, [BIN, '-m', LINEAR, '--flush-ms', '100', '--batch-size', '1000'], { cwd: workdir(), stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin.write('[1,2,3,4]\n');
  const first = await new Promise<string>((resolve, reject) => {
    child.stdout.once('data', (b: Buffer) => resolve(b.toString()));
    child.once('exit', () => reject(new Error('exited before printing a prediction')));
  });
  assert.match(first, /^\{"variable":7.4\}\n$/, 'the prediction arrives while stdin is still open');
  child.stdin.end('[5,6,7,8]\n');
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  assert.equal(code, 0);
});

for (const workers of ['0', '2']) {
  test(`a closed stdout ends the run quietly (--workers ${workers})`, async () => {
    const { spawn } = await import('node:child_process');
    const { BIN } = await import('./helpers.js');
    const dir = workdir();
    const big = Array.from({ length: 200_000 }, (_, i) => `[${i},2,3,4]`).join('\n');
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn('bash', ['-c', `node ${JSON.stringify(BIN)} -m ${JSON.stringify(LINEAR)} --batch-size 100 --workers ${workers} | head -1 > first.txt; echo "\${PIPESTATUS[0]}" > status`], { cwd: dir });
      let stderr = '';
      child.stderr.on('data', (b: Buffer) => (stderr += b));
      child.stdin.on('error', () => undefined);
      child.stdin.end(big);
      child.on('close', (code) => resolve({ code, stderr }));
    });
    assert.equal(read(dir, 'first.txt'), '{"variable":6.9}\n');
    assert.equal(read(dir, 'status').trim(), '0');
    assert.doesNotMatch(r.stderr, /EPIPE|Error|at /);
  });
}

test('MODEL_ERROR and RECORD_TOO_LARGE in JSONL form', async () => {
  const dir = workdir({ 'in.jsonl': `{"id":1,"x0":1,"x1":0.5}\n{"id":2,"x0":7,"x1":0.5}\n{"id":3,"x0":${'1'.repeat(200)},"x1":0}\n{"id":4,"x0":2,"x1":0.5}\n` });
  const r = await runCli(['in.jsonl', '-m', model('gather_fail.onnx'), '--features', 'x0,x1', '--keep', 'id', '--max-record-bytes', '100'], { cwd: dir });
  assert.equal(r.code, 3, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n').map((l) => JSON.parse(l)), [
    { id: 1, y: 20.5 },
    { id: 2, y: null },
    { id: 3, y: null }, // the too-large record's id, read from the start of its line
    { id: 4, y: 30.5 },
  ]);
  assert.deepEqual(readSidecar(dir, 'batch-score.errors.jsonl').map((e) => [e.row, e.code]), [[2, 'MODEL_ERROR'], [3, 'RECORD_TOO_LARGE']]);
});

test('a kept field holding a CR is quoted in CSV output, so the row reads back whole', async () => {
  const dir = workdir({ 'in.jsonl': `${JSON.stringify({ id: 'a\rb', a: 1, b: 2, c: 3, d: 4 })}\n` });
  const r = await runCli(['in.jsonl', '-m', model('linear.onnx'), '--keep', 'id', '-o', 'o.csv'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  // Quoted, so that a reader taking a lone CR as a line end (as batch-score reads CSV) keeps the row whole.
  const text = read(dir, 'o.csv');
  assert.ok(text.startsWith('id,variable\n"a\rb",'), JSON.stringify(text));
  assert.deepEqual(parse(text), [['id', 'variable'], ['a\rb', text.split(',').pop()!.trim()]]);
});
