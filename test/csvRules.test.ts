/**
 * Table-driven: every record rule of the foundation, one CSV input per case, checked through the built CLI.
 * Each case is a record body after the header `id,a,b,c,d`; the model is the 4-feature linear fixture.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expectedLinear, model, readSidecar, runCli, workdir, exists } from './helpers.js';

const LINEAR = model('linear.onnx');

type Expect = { features: number[] } | { code: string; message?: RegExp };

const RECORD_CASES: Array<[string, string, Expect]> = [
  ['plain numbers', '1,1,2,3,4', { features: [1, 2, 3, 4] }],
  ['quoted numbers', '1,"1","2.5",3,4', { features: [1, 2.5, 3, 4] }],
  ['surrounding spaces', '1, 1 ,  2,3 ,4', { features: [1, 2, 3, 4] }],
  ['signs and exponents', '1,+1,-2,1e0,.3e1', { features: [1, -2, 1, 3] }],
  ['inf and nan spellings', '1,inf,-inf,Infinity,0', { features: [Infinity, -Infinity, Infinity, 0] }],
  ['too few fields', '1,1,2,3', { code: 'FEATURE_COUNT', message: /^expected 5 fields, found 4$/ }],
  ['too many fields', '1,1,2,3,4,5', { code: 'FEATURE_COUNT', message: /^expected 5 fields, found 6$/ }],
  ['empty field', '1,1,,3,4', { code: 'MISSING_VALUE', message: /column "b" is empty/ }],
  ['blank field', '1,1, ,3,4', { code: 'MISSING_VALUE', message: /column "b" is empty/ }],
  ['NA', '1,NA,2,3,4', { code: 'MISSING_VALUE', message: /column "a" is "NA"/ }],
  ['n/a', '1,n/a,2,3,4', { code: 'MISSING_VALUE' }],
  ['null', '1,NULL,2,3,4', { code: 'MISSING_VALUE' }],
  ['hex', '1,0x10,2,3,4', { code: 'INVALID_VALUE', message: /column "a": "0x10" is not a number/ }],
  ['underscore digits', '1,1_000,2,3,4', { code: 'INVALID_VALUE' }],
  ['boolean word', '1,true,2,3,4', { code: 'INVALID_VALUE' }],
  ['decimal comma', '1,"1,5",2,3,4', { code: 'INVALID_VALUE', message: /"1,5" is not a number/ }],
  ['text', '1,abc,2,3,4', { code: 'INVALID_VALUE' }],
  ['stray quote mid-field', '1,1"2,2,3,4', { code: 'PARSE_ERROR' }],
];

for (const [name, body, expect] of RECORD_CASES) {
  test(`record rule: ${name}`, async () => {
    const dir = workdir({ 'in.csv': `id,a,b,c,d\n${body}\n0,1,1,1,1\n` });
    const r = await runCli(['in.csv', '-m', LINEAR, '--keep', 'id', '-o', 'o.csv'], { cwd: dir });
    const lines = (await import('node:fs')).readFileSync(`${dir}/o.csv`, 'utf8').split('\n');
    assert.equal(lines.length, 4, 'one output row per input record');
    assert.match(lines[2], /^0,\S+/, 'the next record is still scored');
    if ('features' in expect) {
      assert.equal(r.code, 0, r.stderr);
      const got = Number(lines[1].split(',')[1]);
      const want = Math.fround(await expectedLinear(expect.features));
      if (Number.isNaN(want)) assert.ok(Number.isNaN(got));
      else assert.ok(Object.is(got, want) || Math.abs(got - want) <= 1e-5 * Math.max(1, Math.abs(want)), `${got} vs ${want}`);
      assert.equal(exists(dir, 'o.errors.jsonl'), false);
    } else {
      assert.equal(r.code, 3, r.stderr);
      // The failed record keeps its row and its id (read from the start of the line when the record could not be
      // parsed), with an empty prediction.
      assert.equal(lines[1], '1,');
      const [entry, ...rest] = readSidecar(dir, 'o.errors.jsonl');
      assert.equal(rest.length, 0);
      assert.deepEqual([entry.source, entry.row, entry.line, entry.code, entry.record], ['in.csv', 1, 2, expect.code, body]);
      if (expect.message) assert.match(entry.message, expect.message);
    }
  });
}

/** Whole-file layouts: line endings, BOM, quoted newlines, blank lines, no final newline. */
const FILE_CASES: Array<[string, string, Array<[string, number, number]>]> = [
  // [name, file text, expected (id, row, line) of each scored record]
  ['CRLF line endings', 'id,a,b,c,d\r\n1,1,2,3,4\r\n2,1,2,3,4\r\n', [['1', 1, 2], ['2', 2, 3]]],
  ['a BOM before the header', '\uFEFFid,a,b,c,d\n1,1,2,3,4\n', [['1', 1, 2]]],
  ['no newline at end of file', 'id,a,b,c,d\n1,1,2,3,4\n2,1,2,3,4', [['1', 1, 2], ['2', 2, 3]]],
  ['blank lines are not records', 'id,a,b,c,d\n\n1,1,2,3,4\n\n\n2,1,2,3,4\n\n', [['1', 1, 3], ['2', 2, 6]]],
  ['a quoted newline in a kept field', 'id,a,b,c,d\n"x\ny",1,2,3,4\n2,1,2,3,4\n', [['"x\ny"', 1, 2], ['2', 2, 4]]],
  // A lone CR (not followed by LF) outside quotes ends a record, as Python's universal newlines and csv-parse read it.
  ['CR-only line endings (classic Mac, Excel for Mac)', 'id,a,b,c,d\r1,1,2,3,4\r2,1,2,3,4\r', [['1', 1, 2], ['2', 2, 3]]],
  ['a CR-only header line, then LF', 'id,a,b,c,d\r1,1,2,3,4\n2,1,2,3,4\n', [['1', 1, 2], ['2', 2, 3]]],
  ['CR, CRLF and LF mixed; a lone CR after a CR is a blank line', 'id,a,b,c,d\r\n1,1,2,3,4\r\r2,1,2,3,4\n', [['1', 1, 2], ['2', 2, 4]]],
];

for (const [name, text, expected] of FILE_CASES) {
  test(`file layout: ${name}`, async () => {
    const dir = workdir({ 'in.csv': text, 'bad.csv': text.replace(/2,1,2,3,4/, '2,x,2,3,4') });
    const r = await runCli(['in.csv', '-m', LINEAR, '--keep', 'id'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    const ids = expected.map(([id]) => id);
    assert.deepEqual(r.stdout.split(/\n(?=\d|"|$)/).slice(1, -1).map((l) => l.slice(0, l.lastIndexOf(','))), ids);
    // Rows and lines as the sidecar reports them: break the record with id 2 and look where it is said to be.
    const last = expected[expected.length - 1];
    if (last[0] === '2') {
      const b = await runCli(['bad.csv', '-m', LINEAR, '--keep', 'id'], { cwd: dir });
      assert.equal(b.code, 3);
      const [e] = readSidecar(dir, 'batch-score.errors.jsonl');
      assert.deepEqual([e.row, e.line], [last[1], last[2]]);
    }
  });
}

test('a quoted field keeps its CR in a CR-only file; the lone CR inside counts as a line', async () => {
  const dir = workdir({ 'in.csv': 'id,a,b,c,d\r"x\ry",1,2,3,4\r2,x,2,3,4' });
  const r = await runCli(['in.csv', '-m', LINEAR, '--keep', 'id', '--output-format', 'jsonl'], { cwd: dir });
  assert.equal(r.code, 3, r.stderr);
  assert.deepEqual(r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l).id), ['x\ry', '2']);
  const [e] = readSidecar(dir, 'batch-score.errors.jsonl');
  assert.deepEqual([e.row, e.line, e.code], [2, 4, 'INVALID_VALUE']);
});

test('an unterminated quote fails the records it swallows; records before it are scored', async () => {
  const dir = workdir({ 'in.csv': 'id,a,b,c,d\n1,1,2,3,4\n2,"1,2,3,4\n3,1,2,3,4\n' });
  const r = await runCli(['in.csv', '-m', LINEAR, '--keep', 'id', '-o', 'o.csv'], { cwd: dir });
  assert.equal(r.code, 3);
  const [e, ...rest] = readSidecar(dir, 'o.errors.jsonl');
  assert.equal(rest.length, 0);
  assert.equal(e.code, 'PARSE_ERROR');
  assert.deepEqual([e.row, e.line], [2, 3]);
  assert.match(e.message, /unterminated quoted field/);
  assert.equal(e.record, '2,"1,2,3,4\n3,1,2,3,4');
  assert.match(r.stderr, /2 read, 1 scored, 1 failed/);
});
