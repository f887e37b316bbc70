/**
 * Black-box tests of the models as the converters emit them (issue "Models as the converters emit them"):
 * classifiers with labels, trees, ZipMap, per-column inputs, a fixed batch of 1, int64 and float64 tensors,
 * string inputs, a model that fails at run time for some rows, mapping errors and `inspect`.
 * Expected values come from the plain-JS references in fixtures/models/weights.mjs, never from onnxruntime.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { csvRows, exists, loadWeights, model, read, readSidecar, runCli, workdir } from './helpers.js';

const W = await loadWeights();

/** The reference outputs of fixture `name` for one record. */
const ref = (name: string, row: unknown): Record<string, unknown> => W.models[name].predict(row);
/** The samples of fixture `name` (every branch of its reference). */
const samples = <T>(name: string): T[] => W.models[name].samples as T[];

/** A float32 output cell/number close to the float64 reference (weights.mjs RTOL). */
function assertClose(got: string | number, expected: number, what: string): void {
  assert.notEqual(got, '', `${what}: empty cell`);
  assert.ok(W.approxEqual(Number(got), expected), `${what}: got ${got}, reference ${expected}`);
}

function csvText(header: string, rows: ReadonlyArray<ReadonlyArray<unknown>>): string {
  return `${header}\n${rows.map((r) => r.map(String).join(',')).join('\n')}\n`;
}

/** Lines of stderr other than the final summary line. */
const notes = (stderr: string): string[] => stderr.split('\n').filter((l) => l.includes('note:'));

/** A run error: exit 2, exactly one stderr line `batch-score: error [CODE] message`, nothing on stdout. */
function assertRunError(r: { code: number | null; stdout: string; stderr: string }, code: string): string {
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stdout, '');
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, `one stderr line: ${r.stderr}`);
  assert.match(lines[0], new RegExp(`^batch-score: error \\[${code}\\] `));
  return lines[0];
}

// ---------------------------------------------------------------- 1, 3. regressors

// [fixture, CSV header, rows, exact] — exact: the reference is a sum of leaf values, representable in float32.
const REGRESSORS: Array<[string, string, number[][], boolean]> = [
  ['linear', 'a,b,c,d', samples<number[]>('linear'), false],
  [
    'tree_regressor',
    'a,b,c',
    [
      ...samples<number[]>('tree_regressor'),
      // In float32 these equal the thresholds 0.5 and -0.25 (so "yes"); in float64 they are above them.
      [0.50000001, 0, 0],
      [1, 2, -0.24999999],
    ],
    true,
  ],
];

for (const [name, header, rows, exact] of REGRESSORS) {
  test(`${name}.onnx: predictions equal the reference`, async () => {
    const dir = workdir({ 'in.csv': csvText(header, rows) });
    const r = await runCli(['in.csv', '-m', model(`${name}.onnx`)], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    const out = csvRows(r.stdout);
    assert.deepEqual(out[0], ['variable']);
    assert.equal(out.length, rows.length + 1, r.stdout);
    rows.forEach((row, i) => {
      const want = (ref(name, row).variable as number[])[0];
      if (exact) assert.equal(Number(out[i + 1][0]), want, `row ${JSON.stringify(row)}`);
      else assertClose(out[i + 1][0], want, `row ${JSON.stringify(row)}`);
    });
  });
}

// ---------------------------------------------------------------- 2, 4. classifiers

test('linear_classifier.onnx: int labels become the column suffixes; the label prints as an exact integer', async () => {
  const rows = samples<number[]>('linear_classifier');
  const dir = workdir({ 'in.csv': csvText('a,b,c,d', rows) });
  const r = await runCli(['in.csv', '-m', model('linear_classifier.onnx')], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const out = csvRows(r.stdout);
  assert.deepEqual(out[0], ['label', 'probabilities_0', 'probabilities_1', 'probabilities_2']);
  rows.forEach((row, i) => {
    const want = ref('linear_classifier', row) as { label: bigint; probabilities: number[] };
    const [label, ...probs] = out[i + 1];
    assert.equal(label, String(want.label), `label of ${row}`);
    assert.equal(probs.length, 3);
    probs.forEach((p, k) => assertClose(p, want.probabilities[k], `p${k} of ${row}`));
  });
});

test('tree_classifier.onnx: string labels verbatim, label-suffixed CSV columns; JSONL keeps the array and the string', async () => {
  // The samples, plus a value that equals the 2.45 threshold in float32 but not in float64.
  const rows = [...samples<number[]>('tree_classifier'), [5.0, 3.0, 2.4500001, 0.8]];
  const dir = workdir({ 'in.csv': csvText('a,b,c,d', rows) });
  const csv = await runCli(['in.csv', '-m', model('tree_classifier.onnx')], { cwd: dir });
  assert.equal(csv.code, 0, csv.stderr);
  const out = csvRows(csv.stdout);
  assert.deepEqual(out[0], ['label', 'probabilities_setosa', 'probabilities_versicolor', 'probabilities_virginica']);
  const jsonl = await runCli(['in.csv', '-m', model('tree_classifier.onnx'), '-o', 'out.jsonl'], { cwd: dir });
  assert.equal(jsonl.code, 0, jsonl.stderr);
  const lines = read(dir, 'out.jsonl').split('\n').filter((l) => l !== '');
  assert.equal(lines.length, rows.length);
  rows.forEach((row, i) => {
    const want = ref('tree_classifier', row) as { label: string; probabilities: number[] };
    assert.equal(out[i + 1][0], want.label, `CSV label of ${row}`);
    out[i + 1].slice(1).forEach((p, k) => assertClose(p, want.probabilities[k], `CSV p${k} of ${row}`));
    const obj = JSON.parse(lines[i]) as { label: unknown; probabilities: unknown };
    assert.deepEqual(Object.keys(obj), ['label', 'probabilities']);
    assert.equal(obj.label, want.label, `JSONL label of ${row}`);
    assert.ok(Array.isArray(obj.probabilities) && obj.probabilities.length === 3, lines[i]);
    (obj.probabilities as unknown[]).forEach((p, k) => {
      assert.equal(typeof p, 'number', lines[i]);
      assertClose(p as number, want.probabilities[k], `JSONL p${k} of ${row}`);
    });
  });
});

// ---------------------------------------------------------------- 5. ZipMap

test('zipmap_classifier.onnx: scores output_label only, with a one-line note; --outputs output_probability is a run error', async () => {
  const rows = samples<number[]>('zipmap_classifier');
  const dir = workdir({ 'in.csv': csvText('a,b,c,d', rows) });
  const r = await runCli(['in.csv', '-m', model('zipmap_classifier.onnx')], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const out = csvRows(r.stdout);
  assert.deepEqual(out[0], ['output_label']);
  assert.deepEqual(out.slice(1).map((x) => x[0]), rows.map((row) => String(ref('zipmap_classifier', row).output_label)));
  const note = notes(r.stderr);
  assert.equal(note.length, 1, r.stderr);
  assert.match(note[0], /output_probability/);
  assert.match(note[0], /ZipMap disabled/);

  const bad = await runCli(['in.csv', '-m', model('zipmap_classifier.onnx'), '--outputs', 'output_probability'], { cwd: dir });
  const line = assertRunError(bad, '[A-Z]+');
  assert.match(line, /"output_probability" is not a tensor/);
  assert.match(line, /ZipMap disabled/);
});

// ---------------------------------------------------------------- 6. per-column inputs

interface PerColumnRow {
  age: number;
  income: number;
  city: string;
}

test('per_column.onnx: CSV columns map by name in any order, --keep id; unknown city per the reference; empty city is MISSING_VALUE', async () => {
  const rows = samples<PerColumnRow>('per_column'); // includes unknown cities "marseille" and "Paris"
  const text = csvText('id,city,income,age', [...rows.map((s, i) => [`r${i + 1}`, s.city, s.income, s.age]), ['r-empty', '', 5, 5]]);
  const dir = workdir({ 'in.csv': text });
  const r = await runCli(['in.csv', '-m', model('per_column.onnx'), '--keep', 'id', '-o', 'out.csv'], { cwd: dir });
  assert.equal(r.code, 3, r.stderr);
  const out = csvRows(read(dir, 'out.csv'));
  assert.deepEqual(out[0], ['id', 'variable']);
  assert.deepEqual(out.slice(1).map((x) => x[0]), [...rows.map((_, i) => `r${i + 1}`), 'r-empty']);
  rows.forEach((s, i) => assertClose(out[i + 1][1], (ref('per_column', s).variable as number[])[0], JSON.stringify(s)));
  assert.equal(out[rows.length + 1][1], '', 'the failed record keeps its place with an empty cell');
  const side = readSidecar(dir, 'out.errors.jsonl');
  assert.deepEqual(side.map((e) => [e.row, e.code]), [[rows.length + 1, 'MISSING_VALUE']]);
  assert.match(side[0].message, /"city"/);
});

test('per_column.onnx: JSONL objects map by key, whatever their key order', async () => {
  const rows = samples<PerColumnRow>('per_column');
  const lines = rows.map((s, i) =>
    i % 2 === 0 ? JSON.stringify({ id: i + 1, age: s.age, income: s.income, city: s.city }) : JSON.stringify({ city: s.city, id: i + 1, income: s.income, age: s.age }),
  );
  const dir = workdir({ 'in.jsonl': `${lines.join('\n')}\n` });
  const r = await runCli(['in.jsonl', '-m', model('per_column.onnx'), '--keep', 'id'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const got = r.stdout.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { id: number; variable: number });
  assert.equal(got.length, rows.length, r.stdout);
  rows.forEach((s, i) => {
    assert.equal(got[i].id, i + 1);
    assertClose(got[i].variable, (ref('per_column', s).variable as number[])[0], JSON.stringify(s));
  });
});

// ---------------------------------------------------------------- 7. fixed batch of 1

const MLP_ROWS = [...samples<number[]>('mlp_batch1'), [0.5, -2, 4, 1.25]]; // 5 records
for (const extra of [[], ['--batch-size', '3']]) {
  test(`mlp_batch1.onnx ([1,4]): 5 records score one per call, with a note ${extra.join(' ') || '(default batch size)'}`, async () => {
    const dir = workdir({ 'in.csv': csvText('a,b,c,d', MLP_ROWS) });
    const r = await runCli(['in.csv', '-m', model('mlp_batch1.onnx'), ...extra], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    const out = csvRows(r.stdout);
    assert.deepEqual(out[0], ['output']);
    assert.equal(out.length, MLP_ROWS.length + 1, r.stdout);
    MLP_ROWS.forEach((row, i) => assertClose(out[i + 1][0], (ref('mlp_batch1', row).output as number[])[0], `row ${row}`));
    const note = notes(r.stderr);
    assert.equal(note.length, 1, r.stderr);
    assert.match(note[0], /fixed batch size of 1/);
  });
}

// ---------------------------------------------------------------- 8. int64

const TWO53P1 = '9007199254740993'; // 2^53 + 1: not a double
const INT64_MAX = '9223372036854775807';

test('int64_input.onnx: int64 read from CSV text and printed exactly; non-integers and overflows are INVALID_VALUE', async () => {
  const good: string[][] = [
    ['1', '2', '3'],
    [TWO53P1, '0', '0'],
    [TWO53P1, '1', '0'],
    ['-5', '10', '7'],
    [INT64_MAX, '0', '-1'],
    [INT64_MAX, '1', '0'], // wraps like int64 Add
  ];
  const bad: Array<[string[], RegExp]> = [
    [['2.5', '1', '1'], /is not an integer/],
    [['99999999999999999999', '1', '1'], /overflows int64/],
  ];
  const dir = workdir({ 'in.csv': csvText('a,b,c', [...good, ...bad.map(([row]) => row)]) });
  const r = await runCli(['in.csv', '-m', model('int64_input.onnx')], { cwd: dir });
  assert.equal(r.code, 3, r.stderr);
  const out = csvRows(r.stdout);
  assert.deepEqual(out[0], ['score', 'total']);
  good.forEach((row, i) => {
    const want = ref('int64_input', row) as { score: number[]; total: bigint[] };
    assert.equal(out[i + 1][1], want.total[0].toString(), `total of ${row}`);
    assertClose(out[i + 1][0], want.score[0], `score of ${row}`);
  });
  assert.deepEqual(out.slice(good.length + 1), bad.map(() => ['', '']));
  const side = readSidecar(dir, 'batch-score.errors.jsonl');
  assert.deepEqual(side.map((e) => [e.row, e.code]), bad.map((_, i) => [good.length + i + 1, 'INVALID_VALUE']));
  bad.forEach(([, message], i) => assert.match(side[i].message, message));
});

test('int64_input.onnx: JSONL output prints int64 exactly as a JSON number; a JSON number 2.5 is not an integer', async () => {
  const lines = [
    `["${TWO53P1}",0,0]`,
    `["${INT64_MAX}",1,0]`,
    '[1,2,3]',
    '[2.5,1,1]',
  ];
  const dir = workdir({ 'in.jsonl': `${lines.join('\n')}\n` });
  const r = await runCli(['in.jsonl', '-m', model('int64_input.onnx'), '-o', 'out.jsonl'], { cwd: dir });
  assert.equal(r.code, 3, r.stderr);
  const raw = read(dir, 'out.jsonl').split('\n').filter((l) => l !== '');
  assert.equal(raw.length, 4);
  const totals = raw.map((l) => /"total":(-?\d+)[,}]/.exec(l)?.[1] ?? l);
  const want = [[TWO53P1, 0, 0], [INT64_MAX, 1, 0], [1, 2, 3]].map((row) => (ref('int64_input', row) as { total: bigint[] }).total[0].toString());
  assert.deepEqual(totals.slice(0, 3), want, 'raw JSON text of total');
  assert.deepEqual(want.slice(0, 2), [TWO53P1, '-9223372036854775808']);
  assert.equal(raw[3], '{"score":null,"total":null}');
  const side = readSidecar(dir, 'out.errors.jsonl');
  assert.deepEqual(side.map((e) => [e.row, e.code]), [[4, 'INVALID_VALUE']]);
  assert.match(side[0].message, /is not an integer/);
});

// ---------------------------------------------------------------- 9. float64

test('float64.onnx: double in, double out, printed shortest round-trip with float64 precision', async () => {
  // [x0, x1, reference exact (no rounding anywhere)]
  const rows: Array<[number, number, boolean]> = [
    [1, 2, true],
    [-0.5, 0.25, true],
    [0.1, 0.2, false], // not float32 values
    [0.3, 0.7, false],
    [1e300, 1e299, false], // beyond float32
    [123456789.123, 1e-9, false],
  ];
  const dir = workdir({ 'in.csv': csvText('x0,x1', rows.map(([a, b]) => [a, b])) });
  const r = await runCli(['in.csv', '-m', model('float64.onnx')], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const out = csvRows(r.stdout);
  assert.deepEqual(out[0], ['y']);
  rows.forEach(([a, b, exact], i) => {
    const text = out[i + 1][0];
    const got = Number(text);
    const want = (ref('float64', [a, b]).y as number[])[0];
    assert.equal(text, String(got), `${text} is the shortest round-trip text`);
    if (exact) assert.equal(got, want, `[${a},${b}]`);
    else assert.ok(Math.abs(got - want) <= 1e-12 * Math.abs(want), `[${a},${b}]: ${text} vs ${want}`);
  });
});

// ---------------------------------------------------------------- 10. string input

test('string_label.onnx: red/green/blue → 1/2/3, unknown → -1', async () => {
  const colors = ['red', 'green', 'blue', 'purple', 'Red', 'red '];
  const dir = workdir({ 'in.csv': csvText('color', colors.map((c) => [c])) });
  const r = await runCli(['in.csv', '-m', model('string_label.onnx')], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const out = csvRows(r.stdout);
  assert.deepEqual(out[0], ['code']);
  assert.deepEqual(out.slice(1).map((x) => Number(x[0])), colors.map((c) => ref('string_label', c).code));
  assert.deepEqual(out.slice(1, 5).map((x) => x[0]), ['1', '2', '3', '-1']);
});

// ---------------------------------------------------------------- 11. runtime failures isolated

test('gather_fail.onnx: only the records that make the model fail get MODEL_ERROR; the rest are scored in place', async () => {
  const bad = new Set([17, 60]);
  const valid = [-4, -3.5, -2, -1, -0.5, 0, 0.9, 1, 2.5, 3, 3.9];
  const rows = Array.from({ length: 100 }, (_, k) => {
    const id = k + 1;
    return [id, bad.has(id) ? 7 : valid[k % valid.length], (id % 13) / 4];
  });
  const dir = workdir({ 'in.csv': csvText('id,x0,x1', rows) });
  const r = await runCli(['in.csv', '-m', model('gather_fail.onnx'), '--keep', 'id', '-o', 'out.csv'], { cwd: dir });
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /100 read, 98 scored, 2 failed \(MODEL_ERROR 2\)/);
  const side = readSidecar(dir, 'out.errors.jsonl');
  assert.deepEqual(side.map((e) => [e.row, e.line, e.code, e.record]), [
    [17, 18, 'MODEL_ERROR', '17,7,1'],
    [60, 61, 'MODEL_ERROR', '60,7,2'],
  ]);
  for (const e of side) {
    assert.match(e.message, /out of data bounds/, 'the runtime\'s own words');
    assert.match(e.message, /idx=7/);
  }
  const out = csvRows(read(dir, 'out.csv'));
  assert.deepEqual(out[0], ['id', 'y']);
  assert.deepEqual(out.slice(1).map((x) => x[0]), rows.map((row) => String(row[0])), 'one row per record, in order');
  rows.forEach(([id, x0, x1], k) => {
    if (bad.has(id)) assert.equal(out[k + 1][1], '', `record ${id}`);
    else assertClose(out[k + 1][1], ref('gather_fail', [x0, x1]).y as number, `record ${id}`);
  });
});

// ---------------------------------------------------------------- 12. mapping run errors

// [name, model, CSV, patterns the one-line message must match]
const MAPPING_ERRORS: Array<[string, string, string, RegExp[]]> = [
  [
    'one [N,4] input given 3 feature columns',
    'linear.onnx',
    'a,b,c\n1,2,3\n',
    [/model input float_input \(float32\[N,4\]\)/, /expects 4 features/, /the input has 3 columns: a,b,c$/],
  ],
  [
    'per-column inputs with no city column',
    'per_column.onnx',
    'id,income,age\n1,2,3\n',
    [
      /the model has 3 inputs and they are not all named like columns/,
      /rule tried: by name/,
      /Model inputs: age \(float32\[N,1\]\), income \(float32\[N,1\]\), city \(string\[N,1\]\)/,
      /Columns found: id,income,age$/,
    ],
  ],
];

for (const [name, file, text, patterns] of MAPPING_ERRORS) {
  test(`mapping run error: ${name} → exit 2, one line, nothing written`, async () => {
    const dir = workdir({ 'in.csv': text });
    const r = await runCli(['in.csv', '-m', model(file), '-o', 'out.csv'], { cwd: dir });
    const line = assertRunError(r, 'MAPPING');
    for (const p of patterns) assert.match(line, p);
    assert.equal(exists(dir, 'out.csv'), false);
    assert.equal(exists(dir, 'out.errors.jsonl'), false);
  });
}

// ---------------------------------------------------------------- 13. inspect

test('inspect tree_classifier.onnx: inputs, outputs, types and shapes, opsets, producer, IR version, labels', async () => {
  const r = await runCli(['inspect', model('tree_classifier.onnx')]);
  assert.equal(r.code, 0, r.stderr);
  const t = r.stdout;
  assert.match(t, /^inputs\n {2}float_input \(float32\[N,4\]\)$/m);
  assert.match(t, /^outputs\n {2}label \(string\[N\]\)\n {2}probabilities \(float32\[N,3\]\) {2}labels: setosa, versicolor, virginica$/m);
  assert.match(t, /producer\s+skl2onnx 1\.17\.0/);
  assert.match(t, /IR version 8/);
  assert.match(t, /opsets ai\.onnx 17, ai\.onnx\.ml 3/);
  assert.match(t, /TreeEnsembleClassifier/);
});

test('inspect linear.onnx --json: the model metadata', async () => {
  const r = await runCli(['inspect', model('linear.onnx'), '--json']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as { model: { metadata: unknown; inputs: unknown; outputs: unknown }; mapping?: unknown };
  assert.deepEqual(j.model.metadata, { author: 'batch-score fixtures', target: 'price' });
  assert.deepEqual(j.model.inputs, W.linear.inputs);
  assert.deepEqual(j.model.outputs, (W.linear as unknown as { outputs: unknown }).outputs);
  assert.equal(j.mapping, undefined);
});

interface InspectMapping {
  rule: string | null;
  columns: string[];
  keep: string[];
  feeds: Array<{ input: string; columns: string[] }>;
  outputColumns: string[];
  problems: string[];
  sampled: number;
  recordErrors: Array<{ row: number; line: number; code: string; message: string }>;
}
const mappingOf = (stdout: string): InspectMapping => (JSON.parse(stdout) as { mapping: InspectMapping }).mapping;

test('inspect per_column.onnx --input --json: by-name mapping, feeds, output columns and the first record errors', async () => {
  const dir = workdir({ 'in.csv': 'id,city,income,age\n1,paris,52000,30\n2,lyon,abc,45\n3,nice,1,2\n' });
  const r = await runCli(['inspect', model('per_column.onnx'), '--input', 'in.csv', '--json'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const m = mappingOf(r.stdout);
  assert.equal(m.rule, 'by-name');
  assert.deepEqual(m.columns, ['id', 'city', 'income', 'age']);
  assert.deepEqual(m.feeds.map((f) => [f.input, f.columns]), [['age', ['age']], ['income', ['income']], ['city', ['city']]]);
  assert.deepEqual(m.outputColumns, ['variable']);
  assert.deepEqual(m.problems, []);
  assert.equal(m.sampled, 3);
  assert.deepEqual(m.recordErrors.map((e) => [e.row, e.line, e.code]), [[2, 3, 'INVALID_VALUE']]);
  assert.match(m.recordErrors[0].message, /"income".*"abc" is not a number/);
});

test('inspect --input honours --keep and --outputs as scoring does', async () => {
  const dir = workdir({ 'in.csv': 'id,city,income,age\n1,paris,52000,30\n', 'x.csv': 'id,a,b,c\n1,1,2,3\n' });
  const keep = await runCli(['inspect', model('per_column.onnx'), '--input', 'in.csv', '--keep', 'id', '--json'], { cwd: dir });
  assert.equal(keep.code, 0, keep.stderr);
  const m = mappingOf(keep.stdout);
  assert.deepEqual(m.keep, ['id']);
  assert.deepEqual(m.outputColumns, ['id', 'variable']);
  const outs = await runCli(['inspect', model('multi_output.onnx'), '--input', 'x.csv', '--keep', 'id', '--outputs', 'total', '--json'], { cwd: dir });
  assert.equal(outs.code, 0, outs.stderr);
  const o = mappingOf(outs.stdout);
  assert.deepEqual(o.feeds.map((f) => f.columns), [['a', 'b', 'c']], 'the --keep column is not a feature');
  assert.deepEqual(o.outputColumns, ['id', 'total']);
});

test('inspect with an input that cannot map → exit 2, the problem named', async () => {
  const dir = workdir({ 'in.csv': 'id,income,age\n1,2,3\n' });
  const r = await runCli(['inspect', model('per_column.onnx'), '--input', 'in.csv', '--json'], { cwd: dir });
  assert.equal(r.code, 2, r.stderr);
  const m = mappingOf(r.stdout);
  assert.equal(m.rule, null);
  assert.ok(m.problems.length > 0);
  assert.match(m.problems[0], /rule tried: by name/);
  assert.match(m.problems[0], /Columns found: id,income,age/);
});
