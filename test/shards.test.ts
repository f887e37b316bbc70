/**
 * --shard K/N (issue 16). The property: for any inputs and any N, the shard outputs concatenated in K order (each
 * CSV header once) are byte-identical to the unsharded output, and the shard sidecars together hold exactly the
 * unsharded sidecar's failures (compared by source, byte offset, code, message and record text: row and line are
 * counted within what a shard read). Inputs: CSV with quoted fields holding delimiters, quotes and line breaks
 * (CRLF too), bad values, blank lines; JSONL; several inputs; gzip among them.
 * Every case starts N + 1 processes (~1 s each on the loaded machine), so the property runs a handful of cases.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { exists, model, read, runCli, workdir } from './helpers.js';

const LINEAR = model('linear.onnx');

const plainId = fc.stringMatching(/^[a-z][a-z0-9]{0,5}$/);
const quotedId = fc
  .array(fc.constantFrom('a', 'b', ',', '""', '\n', '\r\n', ' '), { minLength: 1, maxLength: 6 })
  .map((parts) => `"${parts.join('')}"`);
const value = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: -500, max: 500 }).map((n) => String(n / 10)) },
  { weight: 1, arbitrary: fc.constantFrom('', 'abc', 'NA') },
);
const csvRecord = fc.tuple(fc.oneof(plainId, quotedId), fc.array(value, { minLength: 4, maxLength: 4 })).map(([id, v]) => [id, ...v].join(','));
const jsonRecord = fc
  .tuple(plainId, fc.array(fc.oneof(fc.integer({ min: -50, max: 50 }), fc.constant(null), fc.constant('x')), { minLength: 4, maxLength: 4 }))
  .map(([id, [rooms, area, age, distance]]) => JSON.stringify({ id, rooms, area, age, distance }));

interface FileSpec {
  records: string[];
  crlf: boolean;
  gzip: boolean;
  blankAfter: number[];
}

const fileSpec = (record: fc.Arbitrary<string>): fc.Arbitrary<FileSpec> =>
  fc.record({
    records: fc.array(record, { minLength: 0, maxLength: 40 }),
    crlf: fc.boolean(),
    gzip: fc.boolean(),
    blankAfter: fc.array(fc.nat(40), { maxLength: 3 }),
  });

function fileBytes(spec: FileSpec, header: string | null): Buffer {
  const eol = spec.crlf ? '\r\n' : '\n';
  const lines = header === null ? [] : [header];
  spec.records.forEach((r, i) => {
    lines.push(r);
    if (spec.blankAfter.includes(i)) lines.push('');
  });
  const text = lines.join(eol) + eol;
  return spec.gzip ? gzipSync(text) : Buffer.from(text);
}

interface Case {
  format: 'csv' | 'jsonl';
  files: FileSpec[];
  shards: number;
}

const cases = fc.oneof(
  fc.record({ format: fc.constant('csv' as const), files: fc.array(fileSpec(csvRecord), { minLength: 1, maxLength: 3 }), shards: fc.integer({ min: 2, max: 4 }) }),
  fc.record({ format: fc.constant('jsonl' as const), files: fc.array(fileSpec(jsonRecord), { minLength: 1, maxLength: 2 }), shards: fc.integer({ min: 2, max: 3 }) }),
);

interface Failure {
  source: string;
  offset: number | null;
  code: string;
  message: string;
  record: string;
}

function failures(dir: string, name: string): Failure[] {
  if (!exists(dir, name)) return [];
  return read(dir, name)
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Failure & { row: number })
    .map(({ source, offset, code, message, record }) => ({ source, offset, code, message, record }));
}

const byPlace = (a: Failure, b: Failure): number => (a.source === b.source ? (a.offset ?? 0) - (b.offset ?? 0) : a.source < b.source ? -1 : 1);

/** Runs the unsharded run and every shard, and checks the property. */
async function checkCase(c: Case, extra: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<void> {
  const files: Record<string, Buffer> = {};
  const names = c.files.map((f, i) => `in${i}.${c.format}${f.gzip ? '.gz' : ''}`);
  c.files.forEach((f, i) => (files[names[i]] = fileBytes(f, c.format === 'csv' ? 'id,rooms,area,age,distance' : null)));
  const dir = workdir(files);
  const ext = c.format;
  const args = (out: string, more: string[]) => [...names, '-m', LINEAR, '--keep', 'id', '-o', out, '--workers', '0', '-q', ...extra, ...more];
  const whole = await runCli(args(`all.${ext}`, []), { cwd: dir, env });
  assert.ok(whole.code === 0 || whole.code === 3, whole.stderr);
  const shards = await Promise.all(
    Array.from({ length: c.shards }, (_, k) => runCli(args(`part${k}.${ext}`, ['--shard', `${k}/${c.shards}`]), { cwd: dir, env })),
  );
  shards.forEach((r) => assert.ok(r.code === 0 || r.code === 3, r.stderr));
  const outputs = shards.map((_, k) => read(dir, `part${k}.${ext}`));
  const joined = ext === 'csv' ? outputs.map((o, k) => (k === 0 ? o : o.slice(o.indexOf('\n') + 1))).join('') : outputs.join('');
  assert.equal(joined, read(dir, `all.${ext}`));
  const parts = shards.flatMap((_, k) => failures(dir, `part${k}.errors.jsonl`)).sort(byPlace);
  assert.deepEqual(parts, failures(dir, 'all.errors.jsonl').sort(byPlace));
}

test('shard outputs concatenated equal the unsharded output; their sidecars hold exactly its failures', async () => {
  await fc.assert(fc.asyncProperty(cases, (c) => checkCase(c)), { numRuns: 5 });
});

test('the property holds with tiny blocks and reads (block boundaries everywhere) and workers', async () => {
  const env = { BATCH_SCORE_BLOCK_BYTES: '64', BATCH_SCORE_READ_BYTES: '7' };
  await fc.assert(fc.asyncProperty(cases, (c) => checkCase(c, ['--workers', '1'], env)), { numRuns: 3 });
});

test('a shard never starts inside a quoted field: a quoted line break near every boundary', async () => {
  // Records whose id holds line breaks that look like record starts ("\n9,1,2,3,4"): a scan that only looked
  // near the boundary would start a shard inside the quotes.
  const records = Array.from({ length: 60 }, (_, i) => `"q${i}\n${i},1,2,3,4\n",1,2,3,${i % 7 === 0 ? 'x' : 4}`);
  await checkCase({ format: 'csv', files: [{ records, crlf: false, gzip: false, blankAfter: [] }], shards: 5 });
});

test('lone CR line ends and records longer than --max-record-bytes: the boundary moves to the end of the file, never inside', async () => {
  // After the header, records end in a lone CR (a quoted field keeps its CR).
  const loneCr = ['a,1,2,3,4', 'b,1,,3,4', '"c\nx",1,2,3,4', '"d\re",1,2,3,4', 'e,1,2,3,4', '"f,1,2,3,4'].join('\r');
  await checkCase({ format: 'csv', files: [{ records: ['a0,1,2,3,4', loneCr, 'z,1,2,3,4'], crlf: false, gzip: false, blankAfter: [] }], shards: 3 });
  const long = Array.from({ length: 12 }, (_, i) => (i === 4 ? `"${'x'.repeat(30)}\n${'y'.repeat(30)}",1,2,3,4` : `r${i},1,2,3,${i}`));
  await checkCase({ format: 'csv', files: [{ records: long, crlf: false, gzip: false, blankAfter: [] }], shards: 4 }, ['--max-record-bytes', '40']);
});

test('shard sizes balance by bytes; a CSV shard starting mid-file reads the header; offsets are exact', async () => {
  const lines = ['id,rooms,area,age,distance', ...Array.from({ length: 400 }, (_, i) => `r${i},1,${i % 50 === 3 ? '' : 2},3,${'4'.repeat(1 + (i % 17))}`)];
  const text = lines.join('\n') + '\n';
  const dir = workdir({ 'in.csv': text });
  for (let k = 0; k < 3; k++) {
    const r = await runCli(['in.csv', '-m', LINEAR, '--keep', 'id', '-o', `p${k}.csv`, '--shard', `${k}/3`, '-q'], { cwd: dir });
    assert.equal(r.code, 3, r.stderr);
    assert.ok(read(dir, `p${k}.csv`).startsWith('id,variable\n'));
    for (const f of failures(dir, `p${k}.errors.jsonl`)) assert.equal(text.slice(f.offset!, f.offset! + f.record.length), f.record);
  }
  const sizes = [0, 1, 2].map((k) => read(dir, `p${k}.csv`).split('\n').length);
  assert.ok(Math.max(...sizes) / Math.min(...sizes) < 1.1, `rows per shard ${sizes}`);
});

test('--shard: a malformed value, standard input', async () => {
  const dir = workdir({ 'in.csv': 'id,rooms,area,age,distance\na,1,2,3,4\n' });
  const bad = await Promise.all(['3/3', '1', '-1/2', '0/0', 'a/b'].map((v) => runCli(['in.csv', '-m', LINEAR, '--shard', v], { cwd: dir })));
  for (const r of bad) {
    assert.equal(r.code, 2);
    assert.match(r.stderr, /\[USAGE\] --shard must be K\/N/);
  }
  const r = await runCli(['-m', LINEAR, '--shard', '0/2'], { cwd: dir, stdin: 'id,rooms,area,age,distance\n' });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /standard input cannot be split/);
});
