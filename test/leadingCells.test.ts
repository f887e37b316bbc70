/** The cells read from the start of a record that cannot be parsed (issue 11, item 7): only complete, certain ones. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { stringify } from 'csv-stringify/sync';
import { parse } from 'csv-parse/sync';
import { leadingCsvFields, leadingJsonValue } from '../src/input/leadingCells.js';

const field = fc.string({ unit: fc.constantFrom('a', 'b', '1', ',', '\t', '"', ' ', '\n', 'é') , maxLength: 6 });
const BROKEN_TAILS = ['x"y,1', '"open,2,3', '"closed"junk,4', 'cut-off-without-delimiter', ''];

test('CSV: the fields before a malformed one are read exactly as csv-parse reads them', () => {
  fc.assert(
    fc.property(fc.array(field, { maxLength: 6 }), fc.constantFrom(',', '\t', ';'), fc.constantFrom(...BROKEN_TAILS), (fields, delimiter, tail) => {
      const head = fields.length ? stringify([fields], { delimiter, record_delimiter: '\n' }).slice(0, -1) + delimiter : '';
      const text = head + tail;
      assert.deepEqual(leadingCsvFields(text, delimiter), fields);
      // (csv-parse reads an empty line as no record at all, hence the length check)
      if (head.length > 1) assert.deepEqual((parse(head.slice(0, -1), { delimiter, relax_column_count: true }) as string[][])[0], fields);
    }),
  );
});

test('CSV: a cut-off text never yields its last, possibly partial, field', () => {
  assert.deepEqual(leadingCsvFields('id7,1,2', ','), ['id7', '1']);
  assert.deepEqual(leadingCsvFields('"id,7",1,"2', ','), ['id,7', '1']);
  assert.deepEqual(leadingCsvFields('"a""b",x', ','), ['a"b']);
  assert.deepEqual(leadingCsvFields('id7', ','), []);
  assert.deepEqual(leadingCsvFields(' "q",1', ','), [], 'a quote after a space is a stray quote: csv-parse rejects the field');
});

const jsonValue = fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.string({ maxLength: 5 }), fc.constant(null), fc.array(fc.string({ unit: fc.constantFrom(',', '"', '{', '}', 'a'), maxLength: 3 }), { maxLength: 3 }));

test('JSONL: the members before the point where a line stops being JSON, for any cut', () => {
  fc.assert(
    fc.property(fc.dictionary(fc.string({ maxLength: 4 }), jsonValue, { maxKeys: 6 }), fc.nat(), (obj, cutAt) => {
      const text = JSON.stringify(obj);
      const got = leadingJsonValue(text.slice(0, cutAt % (text.length + 1))) ?? {};
      const keys = Object.keys(got);
      const all = Object.keys(obj);
      assert.deepEqual(keys, all.slice(0, keys.length), 'a prefix of the members, in order');
      for (const k of keys) assert.deepEqual((got as Record<string, unknown>)[k], JSON.parse(JSON.stringify(obj[k])));
      // With the whole line and a broken member after it, every member is read.
      assert.deepEqual(leadingJsonValue(`${text.slice(0, -1)}${all.length ? ',' : ''}"bad":}`), JSON.parse(text));
    }),
  );
});

test('JSONL: arrays by position; anything but an object or array gives nothing', () => {
  assert.deepEqual(leadingJsonValue('["a1", 2, {"x": [1, 2]}, 4'), ['a1', 2, { x: [1, 2] }]);
  assert.deepEqual(leadingJsonValue('  {"id": "j", "a": tru'), { id: 'j' });
  assert.equal(leadingJsonValue('"just a string'), null);
  assert.equal(leadingJsonValue('nul'), null);
});
