/** ByteWriter: bytes must be exactly the text the string formatters would have written. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ByteWriter } from '../src/output/byteWriter.js';

const written = (write: (out: ByteWriter) => void): string => {
  const out = new ByteWriter(4); // small, so that growing is exercised too
  write(out);
  return Buffer.from(out.bytes()).toString();
};

test('json() writes what JSON.stringify writes, for the edges of whole numbers', () => {
  const edges = [0, -0, 1, -1, 9, 10, 99, 100, 123456789, -987654321, 2 ** 31, 2 ** 32 + 1, 1e15, 1e15 + 1, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 2 ** 53, 1e21, 0.5, -1.5e-7, NaN, Infinity];
  for (const v of edges) assert.equal(written((out) => out.json(v)), JSON.stringify(v), String(v));
});

test('property: json() writes what JSON.stringify writes, for any JSON scalar', () => {
  const scalar = fc.oneof(
    fc.maxSafeInteger(),
    fc.integer(),
    fc.double(),
    fc.string({ unit: 'binary' }),
    fc.constantFrom(true, false, null),
  );
  fc.assert(
    fc.property(fc.array(scalar, { maxLength: 8 }), (values) => {
      assert.equal(written((out) => values.forEach((v) => out.json(v))), values.map((v) => JSON.stringify(v)).join(''));
    }),
    { numRuns: 2000 },
  );
});
