/**
 * The record rules as every reader applies them (the block cutter, then the records of each block): boundaries,
 * line numbers, CR-only line ends, the size limit in bytes, and independence from how the bytes arrive.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { inputFormat } from '../src/input/inputFormat.js';
import { recordsOf } from '../src/input/sourceReader.js';
import type { RawRecord } from '../src/input/recordRules.js';

function split(pieces: string[], quoted = true, limit = Infinity): RawRecord[] {
  const format = inputFormat(quoted ? 'csv' : 'jsonl', { delimiter: ',', header: true, maxRecordLength: limit, named: null });
  return recordsOf(pieces.map((p) => Buffer.from(p)), format, limit);
}

test('records, rows and lines, with quoted newlines, CRLF and blank lines', () => {
  const recs = split(['a,b\r\n"x\ny",1\r\n\r\n3,"q""q"\n  \nlast']);
  assert.deepEqual(
    recs.map((r) => [r.row, r.line, r.text]),
    [[1, 1, 'a,b'], [2, 2, '"x\ny",1'], [3, 5, '3,"q""q"'], [4, 7, 'last']],
  );
});

test('a quote mid-field does not open a quoted field', () => {
  assert.deepEqual(split(['a,5"x,c\nnext\n']).map((r) => r.text), ['a,5"x,c', 'next']);
});

test('an unterminated quote runs to the end of input and is flagged', () => {
  const recs = split(['1,2\n3,"open\n4,5\n']);
  assert.deepEqual(recs.map((r) => [r.text, r.unterminatedQuote ?? false]), [['1,2', false], ['3,"open\n4,5', true]]);
});

test('JSONL mode splits on newlines only', () => {
  assert.deepEqual(split(['{"a":"\\"x"}\n\n[1,2]\n'], false).map((r) => [r.row, r.line, r.text]), [[1, 1, '{"a":"\\"x"}'], [2, 3, '[1,2]']]);
});

test('a leading BOM is dropped', () => {
  assert.equal(split(['\uFEFFa,b\n'])[0].text, 'a,b');
});

test('property: however the text is cut into pieces, the records are the same', () => {
  const field = fc.oneof(
    fc.stringMatching(/^[a-z0-9 .]{0,5}$/),
    fc.string({ maxLength: 6 }).map((s) => `"${s.replace(/"/g, '""')}"`),
  );
  const record = fc.array(field, { minLength: 1, maxLength: 4 }).map((f) => f.join(','));
  // CR-only and mixed line ends too: a CR at the end of a piece must wait for the next to tell CRLF from a lone CR.
  const text = fc.array(fc.tuple(record, fc.constantFrom('\n', '\r\n', '\r', '\r\r')), { maxLength: 12 }).map((rs) => rs.map(([r, nl]) => r + nl).join(''));
  fc.assert(
    fc.property(text, fc.array(fc.nat(), { maxLength: 8 }), (t, cuts) => {
      const points = [...new Set(cuts.map((c) => c % (t.length + 1)))].sort((a, b) => a - b);
      const pieces: string[] = [];
      let prev = 0;
      for (const p of points) {
        pieces.push(t.slice(prev, p));
        prev = p;
      }
      pieces.push(t.slice(prev));
      assert.deepEqual(split(pieces), split([t]));
    }),
    { numRuns: 2000 },
  );
});

test('CR-only line ends (classic Mac) end records as LF does; in JSONL a lone CR is whitespace', () => {
  assert.deepEqual(split(['a,b\r1,2\r\r3,"x\ny"\r']).map((r) => [r.row, r.line, r.text]), [[1, 1, 'a,b'], [2, 2, '1,2'], [3, 4, '3,"x\ny"']]);
  assert.deepEqual(split(['{"a":1}\r\n{"a":\r2}\n'], false).map((r) => r.text), ['{"a":1}', '{"a":\r2}']);
});

test('--max-record-bytes counts bytes: a record of 4 two-byte characters is over a limit of 7', () => {
  const [long, short] = split(['éééé\néé\n'], true, 7);
  assert.deepEqual([long.tooLarge, long.text, short.tooLarge, short.text], [7, 'éééé', undefined, 'éé']);
});

test('property: with --max-record-bytes, oversized records are cut the same way however the bytes arrive', () => {
  const record = fc.oneof(
    fc.stringMatching(/^[a-z0-9,é]{0,30}$/),
    fc.stringMatching(/^[a-z\r\n,]{0,30}$/).map((s) => `"${s}"`),
  );
  const text = fc.array(fc.tuple(record, fc.constantFrom('\n', '\r\n', '\r')), { maxLength: 10 }).map((rs) => rs.map(([r, nl]) => r + nl).join(''));
  fc.assert(
    fc.property(text, fc.array(fc.nat(), { maxLength: 6 }), fc.integer({ min: 3, max: 20 }), (t, cuts, max) => {
      const bytes = Buffer.from(t);
      const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
      const pieces = points.map((p, i) => bytes.subarray(i ? points[i - 1] : 0, p)).concat(bytes.subarray(points.at(-1) ?? 0));
      const format = inputFormat('csv', { delimiter: ',', header: true, maxRecordLength: max, named: null });
      const whole = recordsOf([bytes], format, max);
      assert.deepEqual(recordsOf(pieces, format, max), whole);
      for (const r of whole) if (r.tooLarge === undefined) assert.ok(Buffer.byteLength(r.text) <= max);
    }),
    { numRuns: 3000 },
  );
});
