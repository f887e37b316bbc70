/**
 * Property tests through the CLI (fast-check): random records written as CSV/JSONL are read back equal, and random
 * corruption of a valid file never crashes the run, never loses count, never mis-aligns the output.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { model, read, runCli, workdir } from './helpers.js';

const LINEAR = model('linear.onnx');

/** Ids full of what CSV and JSON must survive: quotes, delimiters, newlines, unicode. */
const id = fc.string({ unit: fc.constantFrom('a', 'é', '😀', '"', ',', '\n', '\r\n', ' ', '\t', 'NA', '\\', '{', '日'), minLength: 1, maxLength: 8 });
const feature = fc.double({ min: -1e6, max: 1e6, noNaN: true }).map((x) => Math.fround(x));
const record = fc.tuple(id, fc.array(feature, { minLength: 4, maxLength: 4 }));

test('property: random records written as CSV and JSONL come back with the same ids, in order, all scored', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(record, { minLength: 1, maxLength: 60 }), fc.constantFrom('csv', 'jsonl'), async (records, format) => {
      const text =
        format === 'csv'
          ? stringify([['id', 'a', 'b', 'c', 'd'], ...records.map(([i, f]) => [i, ...f.map(String)])])
          : records.map(([i, f]) => JSON.stringify({ id: i, a: f[0], b: f[1], c: f[2], d: f[3] })).join('\n') + '\n';
      const dir = workdir({ [`in.${format}`]: text });
      const r = await runCli([`in.${format}`, '-m', LINEAR, '--keep', 'id', '--batch-size', '7', '-o', `o.${format}`], { cwd: dir });
      assert.equal(r.code, 0, r.stderr);
      const out = read(dir, `o.${format}`);
      const rows: Array<{ id: unknown; variable: unknown }> =
        format === 'csv'
          ? (parse(out, { columns: true }) as Array<{ id: string; variable: string }>)
          : out.trim().split('\n').map((l) => JSON.parse(l));
      assert.deepEqual(rows.map((x) => x.id), records.map(([i]) => i));
      for (const x of rows) assert.ok(x.variable !== '' && x.variable !== null);
    }),
    { numRuns: 25, seed: 7 },
  );
});

const CORRUPTIONS = ['"', ',', '\n', '\r', '\u0000', 'x', '', '\uFEFF', '""', '\n\n'];

test('property: random corruption never crashes, never loses count, never mis-aligns', async () => {
  const rows = Array.from({ length: 200 }, (_, i) => `${i},${i / 3},${-i},1e1,"${i % 7}"`);
  const valid = `id,a,b,c,d\n${rows.join('\n')}\n`;
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.tuple(fc.nat(valid.length - 1), fc.nat(3), fc.constantFrom(...CORRUPTIONS)), { minLength: 1, maxLength: 12 }),
      async (edits) => {
        let text = valid;
        for (const [at, len, insert] of edits) {
          const p = Math.max(12, at % text.length); // keep the header intact: a broken header is a run error by design
          text = text.slice(0, p) + insert + text.slice(p + len);
        }
        const dir = workdir({ 'in.csv': text });
        const r = await runCli(['in.csv', '-m', LINEAR, '--keep', 'id', '-o', 'o.csv', '--summary', 's.json', '--batch-size', '16'], { cwd: dir });
        assert.ok(r.code === 0 || r.code === 3 || r.code === 2, `exit ${r.code}: ${r.stderr}`);
        if (r.code === 2) {
          assert.match(r.stderr, /^batch-score: error \[(INPUT|MAPPING)\]/, 'only a damaged header stops the run');
          return;
        }
        const s = JSON.parse(read(dir, 's.json'));
        assert.equal(s.rows.read, s.rows.scored + s.rows.failed);
        const side = s.rows.failed ? read(dir, 'o.errors.jsonl').trim().split('\n').map((l) => JSON.parse(l)) : [];
        assert.equal(side.length, s.rows.failed);
        const out = parse(read(dir, 'o.csv'), { relax_column_count: true }) as string[][];
        assert.equal(out.length - 1, s.rows.read, 'one output row per record');
        // Aligned: failed rows have an empty prediction, in the sidecar's order of rows.
        const emptyAt = out.slice(1).flatMap((row, i) => (row[1] === '' ? [i + 1] : []));
        assert.deepEqual(emptyAt, side.map((e: { row: number }) => e.row));
      },
    ),
    { numRuns: 30, seed: 11 },
  );
});
