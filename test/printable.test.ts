/** The text of error and summary lines: printable() and someNames() (src/errors.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { printable, someNames } from '../src/errors.js';

const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

test('printable: no control character survives, the rest is kept, and escaping twice changes nothing', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary' }), (text) => {
      const safe = printable(text);
      assert.doesNotMatch(safe, CONTROL);
      assert.equal(printable(safe), safe);
      // Every escape reads back as the character it stands for (JSON's \uXXXX), so nothing is lost.
      const back = safe.replace(/\\u([0-9a-f]{4})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
      if (!/\\u[0-9a-f]{4}/.test(text)) assert.equal(back, text);
    }),
  );
  assert.equal(printable('a\u001b[2Jb\u009b'), 'a\\u001b[2Jb\\u009b');
});

test('someNames: at most ten names, each cut to 60 characters, then how many more', () => {
  assert.equal(someNames(['a', 'b']), '"a", "b"');
  assert.equal(someNames(['a', 'b'], { quoted: false }), 'a,b');
  const many = Array.from({ length: 100_000 }, (_, i) => `c${i}`);
  assert.equal(someNames(many, { quoted: false }), 'c0,c1,c2,c3,c4,c5,c6,c7,c8,c9 … and 99,990 more');
  assert.equal(someNames(['x'.repeat(1000)]), `"${'x'.repeat(60)}…"`);
  fc.assert(
    fc.property(fc.array(fc.string({ maxLength: 200 }), { maxLength: 50 }), (names) => {
      assert.ok(someNames(names).length <= 10 * (6 * 61 + 4) + 40);
    }),
  );
});
