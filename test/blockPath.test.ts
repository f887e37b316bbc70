/**
 * The fast byte readers (csvBlockFill, jsonBlockFill) must give exactly what the exact general reader (csv-parse,
 * JSON.parse) gives for every record they accept, and decline the rest: a block scored with its byte reader and
 * with the general reader alone gives the same output bytes, sidecar entries, rows and lines. A property test over
 * random line-based CSV and JSONL, then the CLI over many blocks, workers, quotes and CR-only line ends.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ModelSession } from '../src/model/session.js';
import { planFeatures } from '../src/model/featurePlan.js';
import { planOutputs } from '../src/model/outputPlan.js';
import { resolveOptions } from '../src/commands/resolveOptions.js';
import { formatSettings, inputFormat } from '../src/input/inputFormat.js';
import { rowFormatter } from '../src/output/formatters.js';
import { makeContext, makeLayout } from '../src/score/context.js';
import { processBlock } from '../src/score/processBlock.js';
import { formatBatch } from '../src/score/formatBatch.js';
import { model, read, readSidecar, runCli, workdir } from './helpers.js';

const LINEAR = model('linear.onnx');
const COLUMNS = ['id', 'a', 'b', 'c', 'd'];

/** Quote-free fields: plain and awkward numbers, missing values, unicode, spaces. */
const field = fc.oneof(
  fc.double({ min: -1e6, max: 1e6, noNaN: true }).map(String),
  fc.integer({ min: -999, max: 999 }).map(String),
  fc.constantFrom('', ' ', 'NA', 'x', '1e5', '-.5', '+3.', '1e', '0x10', ' 7 ', 'nan', '-Infinity', '1.5e-300', '12345678901234567890', 'é', '日本', '\u3000'),
);
/** Quoted fields as writers quote them (delimiters, escaped quotes, line breaks inside), and malformed quoting. */
const quotedField = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: fc.constantFrom('a', '1', '.', ',', '"', '\n', '\r\n', ' ', 'é'), maxLength: 12 }).map((t) => `"${t.replace(/"/g, '""')}"`) },
  { weight: 2, arbitrary: fc.double({ min: -1e6, max: 1e6, noNaN: true }).map((x) => `"${x}"`) },
  { weight: 1, arbitrary: fc.constantFrom('"', '"a', 'a"b', '"a"b', '""', '"1"2', '"x\ny', '"1.5" ', ' "1.5"') },
);
const csvLine = fc.oneof(
  { weight: 3, arbitrary: fc.array(fc.oneof({ weight: 3, arbitrary: field }, { weight: 1, arbitrary: quotedField }), { minLength: 5, maxLength: 5 }).map((f) => f.join(',')) },
  { weight: 6, arbitrary: fc.array(field, { minLength: 5, maxLength: 5 }).map((f) => f.join(',')) },
  { weight: 1, arbitrary: fc.array(field, { minLength: 1, maxLength: 8 }).map((f) => f.join(',')) },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', '\t', '\r', ' \r', '\u3000', '\u00a0 ', 'x'.repeat(70), `${'1,'.repeat(40)}1`) },
);
/** JSON objects built from raw tokens: valid and invalid numbers, escapes, spacing, repeated and unknown keys. */
const space = fc.constantFrom('', '', ' ', '\t', ' \r ');
const rawKey = fc.constantFrom('"id"', '"a"', '"b"', '"c"', '"d"', '"d"', '"e"', '"\\u0061"', '"a b"', '"é"');
const rawValue = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => JSON.stringify(x)),
  fc.constantFrom('0', '-0', '01', '1.', '.5', '+1', '-', '1e5', '1E-5', '2e', '1.5e+3', '12345678901234567', 'null', 'true', 'false', 'nul', '"x"', '"1.5"', '"a\\"b"', '"é"', '[1]', '{}', '1e999', '0.', '00', '-01', '1.e5', '0e5', '-.5', '0.5', '-0.0', '9007199254740991', '-9007199254740991', '9007199254740993', '123456789012345', '1234567890123456'),
);
const objectLine = fc
  .array(fc.tuple(space, rawKey, space, space, rawValue, space), { minLength: 0, maxLength: 7 })
  .chain((members) => fc.tuple(fc.constant(members), space, fc.constantFrom('}', '},', '')))
  .map(([members, pad, close]) => `${pad}{${members.map(([s1, k, s2, s3, v, s4]) => `${s1}${k}${s2}:${s3}${v}${s4}`).join(',')}${close}${pad}`);
// Every column once, in order, mostly without spaces: the compact reader's shape. Each part is right most of the
// time, so that a line often has just one thing wrong (a leading zero, `1.`, `+1`, an id past 2^53, a `;`…).
const inOrderValue = fc.oneof(
  { weight: 12, arbitrary: fc.tuple(fc.integer({ min: -99999, max: 99999 }), fc.nat(5)).map(([m, e]) => String(m / 10 ** e)) },
  { weight: 1, arbitrary: fc.constantFrom('0', '-0', '01', '00', '-01', '0.', '1.', '1.e5', '.5', '-.5', '+1', '0e5', '0.5', '-0.0', '1E+2', '2e', '-', '9007199254740993', '1234567890123456', 'null', '"1"') },
  { weight: 1, arbitrary: rawValue },
);
const spaceAfter = fc.oneof({ weight: 10, arbitrary: fc.constant('') }, { weight: 1, arbitrary: fc.constantFrom(' ', '\t') });
const separator = fc.oneof({ weight: 12, arbitrary: fc.constant(',') }, { weight: 1, arbitrary: fc.constantFrom(';', '', ',,', 'x,', ' ,', '1,') });
const inOrderLine = fc
  .array(fc.tuple(inOrderValue, spaceAfter, separator), { minLength: 5, maxLength: 5 })
  .map((v) => `{${COLUMNS.map((c, i) => `"${c}":${v[i][0]}${v[i][1]}${i < COLUMNS.length - 1 ? v[i][2] : ''}`).join('')}}`);
const jsonLine = fc.oneof(
  { weight: 3, arbitrary: inOrderLine },
  { weight: 4, arbitrary: fc.record({ id: fc.oneof(fc.integer(), fc.string()), a: fc.double(), b: fc.integer(), c: fc.constantFrom(null, '1.5', 'x', 2), d: fc.double() }).map((o) => JSON.stringify(o)) },
  { weight: 4, arbitrary: objectLine },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', '{"id": 1', '[1,2,3,4]', 'null', '{"a": "é日本"}', '\u3000', '{"d": 1e999}') },
);

/** Lines of `line`, each ended by LF or CRLF (maybe not the last), sometimes with a malformed UTF-8 byte. */
function inputOf(line: fc.Arbitrary<string>): fc.Arbitrary<Buffer> {
  const bytes = fc.tuple(line, fc.constantFrom('\n', '\r\n'), fc.constantFrom(null, null, null, 0xff, 0xc3)).map(([l, eol, bad]) => {
    const b = Buffer.from(l + eol);
    return bad === null ? b : Buffer.concat([b.subarray(0, Math.floor(b.length / 2)), Buffer.from([bad]), b.subarray(Math.floor(b.length / 2))]);
  });
  return fc.tuple(fc.array(bytes, { maxLength: 40 }), fc.boolean()).map(([lines, endsWithNewline]) => {
    const all = Buffer.concat(lines);
    return endsWithNewline || all.length === 0 ? all : all.subarray(0, all.lastIndexOf(10));
  });
}

/**
 * A checker for one format: scores `bytes` as one block with the format's byte reader and with the general reader
 * alone, and asserts the same output bytes, sidecar entries, record and line counts.
 */
async function fastVsGeneral(name: 'csv' | 'jsonl'): Promise<{ check: (bytes: Buffer) => Promise<void>; release: () => Promise<void> }> {
  const session = await ModelSession.load(LINEAR, 1);
  const options = resolveOptions([`in.${name}`], { model: LINEAR, keep: 'id', batchSize: '4', maxRecordBytes: '60', workers: '0' });
  const format = inputFormat(name, formatSettings(options));
  const plan = planFeatures(COLUMNS, session.info, { features: null, keep: ['id'] });
  const outputs = planOutputs(session.info, null);
  const ctx = makeContext(plan, outputs, format, options, session);
  const layout = makeLayout(['id'], outputs, null, session.info.file.classLabels);
  const formatter = rowFormatter(name);
  const text = (t: string | Uint8Array) => (typeof t === 'string' ? t : Buffer.from(t).toString());
  const general = { ...ctx, blockFill: null };
  assert.notEqual(ctx.blockFill, null, 'the format has a byte reader for this plan');
  const check = async (bytes: Buffer): Promise<void> => {
    const score = (c: typeof ctx) => processBlock({ source: 'in', bytes: new Uint8Array(bytes), offset: 0 }, c, (r) => formatBatch(r, formatter, layout));
    const byGeneral = await score(general);
    const byBlock = await score(ctx);
    assert.equal(byBlock.batches.map((p) => text(p.text)).join(''), byGeneral.batches.map((p) => text(p.text)).join(''));
    assert.deepEqual(byBlock.batches.flatMap((p) => p.errors), byGeneral.batches.flatMap((p) => p.errors));
    assert.equal(byBlock.batches.reduce((a, p) => a + p.records, 0), byGeneral.batches.reduce((a, p) => a + p.records, 0));
    const newlines = bytes.filter((b) => b === 10).length;
    // CSV: a lone CR (generated only inside quoted fields) is a line too.
    const loneCrs = name === 'csv' ? bytes.filter((b, i) => b === 13 && i + 1 < bytes.length && bytes[i + 1] !== 10).length : 0;
    assert.equal(byBlock.lines, newlines + loneCrs + (bytes.length > 0 && bytes[bytes.length - 1] !== 10 ? 1 : 0));
  };
  return { check, release: () => session.release() };
}

for (const [name, line] of [['csv', csvLine], ['jsonl', jsonLine]] as const) {
  test(`property: a block scores exactly as the general reader alone scores it (${name}: output, sidecar rows, lines and records)`, async () => {
    const { check, release } = await fastVsGeneral(name);
    try {
      await fc.assert(fc.asyncProperty(inputOf(line), check), { numRuns: 400 });
    } finally {
      await release();
    }
  });
}

test('compact JSONL lines: the one-pass reader keeps every JSON rule (each line scores as JSON.parse reads it)', async () => {
  const ok = '"a":1.5,"b":-2,"c":0,"d":0.25}';
  const lines = [
    `{"id":1,${ok}`,
    `{"id":-0,${ok}`,
    `{"id":9007199254740993,${ok}`,
    `{"id":"x",${ok}`,
    `{"id":null,${ok}`,
    `{"id":1;${ok}`, // not a comma after a kept value
    `{"id":1x,${ok}`,
    `{"id":1 ,${ok}`, // a space: valid, read by the general reader
    `{"id":1,"a":01,"b":-2,"c":0,"d":0.25}`,
    `{"id":1,"a":1.,"b":-2,"c":0,"d":0.25}`,
    `{"id":1,"a":+1,"b":-2,"c":0,"d":0.25}`,
    `{"id":1,"a":.5,"b":-2,"c":0,"d":0.25}`,
    `{"id":1,"a":-.5,"b":-2,"c":0,"d":0.25}`,
    `{"id":1,"a":1.e5,"b":-2,"c":0,"d":0.25}`,
    `{"id":1,"a":0.,"b":-2,"c":0,"d":0.25}`,
    `{"id":1,"a":-01,"b":-2,"c":0,"d":0.25}`,
    `{"id":1,"a":0e5,"b":-2,"c":0,"d":-0.0}`,
    `{"id":1,"a":1;"b":-2,"c":0,"d":0.25}`, // not a comma after a feature
    `{"id":1,"a":1,"b":-2,"c":0,"d":0.25`, // no closing brace
    `{"id":1,"a":1,"b":-2,"c":0,"d":0.25}x`,
    `{"id":1,"a":1,"b":-2,"c":0,"d":0.25} \t`,
    `{"id":1,"a":1,"b":-2,"c":0,"d":0.25,"e":1}`,
    `{"id":1,"b":-2,"a":1,"c":0,"d":0.25}`, // out of order: the general reader
    `{"id":1,"a":1,"a":1,"c":0,"d":0.25}`,
  ];
  const { check, release } = await fastVsGeneral('jsonl');
  try {
    for (const line of lines) await check(Buffer.from(`${line}\n`));
  } finally {
    await release();
  }
});

test('many blocks and workers, then a quote: rows, lines and order hold across blocks', async () => {
  // ~1 MB: several blocks; bad records, blank lines and CRLF spread over them; a quoted field near the end.
  const lines: string[] = ['id,a,b,c,d'];
  const bad = new Map<number, number>(); // row → line
  let row = 0;
  for (let i = 0; i < 24_000; i++) {
    if (i % 997 === 0) lines.push(''); // a blank line: not a record, but a line
    row++;
    const id = row === 23_000 ? '"quoted, id"' : `r${row}`;
    const broken = row % 1_111 === 0;
    if (broken) bad.set(row, lines.length + 1);
    lines.push(`${id},${broken ? 'oops' : (row % 7) / 3},0.25,-1e-3,${row % 2 ? '2\r' : '3'}`);
  }
  const dir = workdir({ 'in.csv': lines.join('\n') + '\n' });
  for (const workers of ['0', '2']) {
    const r = await runCli(['in.csv', '-m', LINEAR, '--keep', 'id', '-o', `o${workers}.csv`, '--workers', workers], { cwd: dir });
    assert.equal(r.code, 3, r.stderr);
    const ids = read(dir, `o${workers}.csv`).trimEnd().split('\n').slice(1).map((l) => (l.startsWith('"') ? l.slice(0, l.indexOf('"', 1) + 1) : l.split(',')[0]));
    assert.equal(ids.length, row);
    assert.equal(ids[22_999], '"quoted, id"');
    assert.equal(ids[23_999], 'r24000');
    const errors = readSidecar(dir, `o${workers}.errors.jsonl`);
    assert.deepEqual(
      errors.map((e) => [e.row, e.line, e.code]),
      [...bad].map(([r, l]) => [r, l, 'INVALID_VALUE']),
    );
  }
  assert.equal(read(dir, 'o0.csv'), read(dir, 'o2.csv'));
});

test('CR-only line ends score as LF ones: from the start, and from the middle of a many-block file', async () => {
  const lines: string[] = ['id,a,b,c,d'];
  for (let row = 1; row <= 30_000; row++) lines.push(row % 1_234 === 0 ? `r${row},bad,1,2,3` : `r${row},${row % 5},0.5,-2,${row % 3}`);
  const lf = lines.join('\n') + '\n';
  const half = lf.length >> 1;
  const files = {
    'lf.csv': lf,
    'cr.csv': lf.replace(/\n/g, '\r'),
    // LF for ~600 KB (blocks handed to workers), then CR only.
    'mixed.csv': lf.slice(0, half) + lf.slice(half).replace(/\n/g, '\r'),
  };
  const dir = workdir(files);
  for (const name of Object.keys(files)) {
    const r = await runCli([name, '-m', LINEAR, '--keep', 'id', '-o', `${name}.out.csv`], { cwd: dir });
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /30000 read/);
  }
  for (const name of ['cr.csv', 'mixed.csv']) {
    assert.equal(read(dir, `${name}.out.csv`), read(dir, 'lf.csv.out.csv'));
    assert.deepEqual(
      readSidecar(dir, `${name}.out.errors.jsonl`).map((e) => [e.row, e.line, e.code]),
      readSidecar(dir, 'lf.csv.out.errors.jsonl').map((e) => [e.row, e.line, e.code]),
    );
  }
});

test('a prediction does not depend on the records that share its model call (one-row calls included)', async () => {
  // LinearRegressor scores a lone row with other kernels than a batch: 63.449997 instead of 63.45 for this record.
  const dir = workdir({ 'in.csv': 'id,a,b,c,d\n1,0,0,0,0\n2,0,5,22,227\n3,1,2,3,4\n' });
  const outputs: string[] = [];
  for (const size of ['1', '2', '3']) {
    const r = await runCli(['in.csv', '-m', LINEAR, '--keep', 'id', '--batch-size', size], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    outputs.push(r.stdout);
  }
  assert.match(outputs[0], /^2,63\.45$/m);
  assert.deepEqual(new Set(outputs).size, 1);
});
