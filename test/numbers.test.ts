import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';

import {
  formatFloat32,
  formatFloat64,
  isMissingToken,
  formatFloat32ByPrecision,
  parseDecimal,
  parseDecimalRange,
  parsePlainDecimalBytes,
  writeFloat32,
} from '../src/formats/numbers.js';
import { latin1Text } from '../src/formats/latin1Text.js';

/** Render a value for test names and messages without losing -0. */
function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (Object.is(v, -0)) return '-0';
  return String(v);
}

function assertSame(actual: number | undefined, expected: number | undefined, what: string): void {
  assert.ok(Object.is(actual, expected), `${what}: expected ${show(expected)}, got ${show(actual)}`);
}

/** Parse s both on its own and embedded in a larger string, and check both agree with the expectation. */
function checkBoth(s: string, expected: number | undefined): void {
  assertSame(parseDecimal(s), expected, `parseDecimal(${show(s)})`);
  // Surrounded by text that would change the result (digits, a dot, an exponent) if the bounds were ignored.
  for (const [pre, post] of [
    ['abc,', ',xyz'],
    ['12', '34'],
    ['9.', 'e5'],
    ['', ''],
  ] as const) {
    const text = pre + s + post;
    assertSame(
      parseDecimalRange(text, pre.length, pre.length + s.length),
      expected,
      `parseDecimalRange(${show(text)}, ${pre.length}, ${pre.length + s.length})`,
    );
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Table-driven accept / reject cases.

const ACCEPT: ReadonlyArray<readonly [string, number]> = [
  // plain integers and signs
  ['0', 0],
  ['-0', -0],
  ['+0', 0],
  ['1', 1],
  ['-1', -1],
  ['+1', 1],
  ['42', 42],
  ['00012', 12],
  ['-007', -7],
  ['9007199254740993', 9007199254740992],
  // mantissas at the 2^53 boundary of the exact fast path
  ['9007199254740991e-16', 0.9007199254740991],
  ['9007199254740993e-16', 0.9007199254740993],
  ['0.9007199254740993', 0.9007199254740993],
  ['900719925474099.3e-18', 0.0009007199254740993],
  ['9007199254740993e-22', 9.007199254740993e-7],
  ['-0.12345678901234568', -0.12345678901234568],
  ['123456789012345678901234567890', 1.2345678901234568e29],
  // fractions
  ['.3', 0.3],
  ['-.3', -0.3],
  ['+.3', 0.3],
  ['3.', 3],
  ['-3.', -3],
  ['3.0', 3],
  ['12.5', 12.5],
  ['-0.0031', -0.0031],
  ['0.1', 0.1],
  ['0.000', 0],
  ['-0.000', -0],
  ['1.500000', 1.5],
  ['100', 100],
  ['1000000000000000000000000000', 1e27],
  ['0.1000000000000000055511151231257827', 0.1],
  ['3.141592653589793238462643383279', Math.PI],
  ['0.30000000000000004', 0.30000000000000004],
  ['2.2250738585072014e-308', 2.2250738585072014e-308],
  ['4.9e-324', 5e-324],
  ['1.7976931348623157e308', Number.MAX_VALUE],
  // exponents
  ['1e0', 1],
  ['0e0', 0],
  ['-0e0', -0],
  ['0e999999', 0],
  ['.3e1', 3],
  ['3.e1', 30],
  ['1E+5', 100000],
  ['1e+5', 100000],
  ['2e-3', 0.002],
  ['1e-3', 0.001],
  ['-1.5e-3', -0.0015],
  ['1e22', 1e22],
  ['1e23', 1e23],
  ['9e37', 9e37],
  ['123e30', 1.23e32],
  ['1e-22', 1e-22],
  ['1e-23', 1e-23],
  ['1e0000000000000000000000001', 10],
  ['1e400', Infinity],
  ['-1e400', -Infinity],
  ['1e-400', 0],
  ['-1e-400', -0],
  ['1.8e308', Infinity],
  // surrounding ASCII spaces / tabs
  [' 1', 1],
  ['1 ', 1],
  ['\t-2.5\t', -2.5],
  ['  \t 7e1 \t ', 70],
  // special values
  ['NaN', NaN],
  ['nan', NaN],
  ['NAN', NaN],
  ['-nan', NaN],
  ['+NaN', NaN],
  ['inf', Infinity],
  ['Inf', Infinity],
  ['-inf', -Infinity],
  ['+inf', Infinity],
  ['infinity', Infinity],
  ['Infinity', Infinity],
  ['+Infinity', Infinity],
  ['-Infinity', -Infinity],
  ['-INFINITY', -Infinity],
  [' -inf\t', -Infinity],
];

const REJECT: readonly string[] = [
  '',
  ' ',
  '\t',
  '  \t ',
  '0x10',
  '0X10',
  '0o7',
  '0b1',
  '1_000',
  'true',
  'false',
  '1,5',
  '1.2.3',
  'e5',
  'E5',
  '.e5',
  '.',
  '-',
  '+',
  '- ',
  '+ ',
  '+ 1',
  '--1',
  '+-1',
  '1e',
  '1E',
  '1e+',
  '1e-',
  '1e+-1',
  '1e1.5',
  '1e5x',
  '∞',
  '-∞',
  '1 2',
  '1. 2',
  '1 e5',
  '1e 5',
  'abc',
  '1a',
  'a1',
  'in',
  'infinit',
  'infinityy',
  'infnan',
  'na',
  'nana',
  'N/A',
  'null',
  '-+inf',
  '\n1',
  '1\r',
  '\u00a01',
  '1f',
  '1d',
  '0.5.',
  '١',
];

for (const [input, expected] of ACCEPT) {
  test(`parse accepts ${show(input)} → ${show(expected)}`, () => {
    checkBoth(input, expected);
    // The contract: equal to Number(trimmed text) for every decimal (inf/nan spellings aside).
    if (!/[a-z]/i.test(input.replace(/e/gi, ''))) {
      assertSame(expected, Number(input.trim()), `table sanity for ${show(input)}`);
    }
  });
}

for (const input of REJECT) {
  test(`parse rejects ${show(input)}`, () => {
    checkBoth(input, undefined);
  });
}

test('parseDecimalRange handles fields at the very start and end of the text', () => {
  const text = '1.5,-2e3,.25';
  assertSame(parseDecimalRange(text, 0, 3), 1.5, 'first');
  assertSame(parseDecimalRange(text, 4, 8), -2000, 'middle');
  assertSame(parseDecimalRange(text, 9, 12), 0.25, 'last');
  assertSame(parseDecimalRange(text, 3, 3), undefined, 'empty range');
});

// ---------------------------------------------------------------------------------------------------------------
// isMissingToken

const MISSING: ReadonlyArray<readonly [string, boolean]> = [
  ['', true],
  [' ', true],
  ['\t \t', true],
  ['\r\n', true],
  ['NA', true],
  ['na', true],
  ['Na', true],
  [' NA ', true],
  ['N/A', true],
  ['n/a', true],
  ['\tN/a ', true],
  ['null', true],
  ['NULL', true],
  ['Null', true],
  ['  null\t', true],
  ['0', false],
  ['NaN', false],
  ['nan', false],
  ['N', false],
  ['N/', false],
  ['NA/', false],
  ['N A', false],
  ['n-a', false],
  ['nul', false],
  ['nulls', false],
  ['none', false],
  ['None', false],
  ['-', false],
  ['.', false],
  ['"NA"', false],
  ['xNA', false],
];

for (const [input, expected] of MISSING) {
  test(`isMissingToken(${show(input)}) is ${expected}`, () => {
    assert.equal(isMissingToken(input), expected);
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Property tests: parsing agrees with Number().

const digitString = (maxLength: number) =>
  fc.string({ unit: fc.constantFrom('0', '1', '2', '3', '4', '5', '6', '7', '8', '9'), minLength: 0, maxLength });
/** Digit strings biased towards the zeros and nines that make rounding and trailing-zero handling interesting. */
const skewedDigitString = (maxLength: number) =>
  fc.string({ unit: fc.constantFrom('0', '0', '0', '9', '9', '1', '5'), minLength: 0, maxLength });
const space = fc.constantFrom('', '', '', ' ', '\t', '  \t');

function decimalString(exponent: fc.Arbitrary<number>): fc.Arbitrary<string> {
  return fc
    .record({
      lead: space,
      sign: fc.constantFrom('', '+', '-'),
      int: fc.oneof(digitString(25), skewedDigitString(25)),
      frac: fc.option(fc.oneof(digitString(25), skewedDigitString(25)), { nil: undefined }),
      exp: fc.option(
        fc.record({
          e: fc.constantFrom('e', 'E'),
          sign: fc.constantFrom('', '+', '-'),
          value: exponent,
          zeros: fc.constantFrom('', '', '0', '00'),
        }),
        { nil: undefined },
      ),
      trail: space,
    })
    .map(({ lead, sign, int, frac, exp, trail }) => {
      let s = lead + sign + int;
      if (frac !== undefined) s += '.' + frac;
      if (exp !== undefined) {
        const v = Math.abs(exp.value);
        const esign = exp.value < 0 ? '-' : exp.sign === '-' ? '' : exp.sign;
        s += exp.e + esign + exp.zeros + String(v);
      }
      return s + trail;
    });
}

/** Number() on the trimmed text, or undefined when the text has no mantissa digit (e.g. ".", "-e5"). */
function expectedDecimal(s: string): number | undefined {
  const t = s.trim();
  const mantissa = t.split(/[eE]/)[0];
  if (!/[0-9]/.test(mantissa)) return undefined;
  return Number(t);
}

function checkDecimalProperty(exponent: fc.Arbitrary<number>, numRuns: number): void {
  fc.assert(
    fc.property(decimalString(exponent), fc.string({ maxLength: 3 }), fc.string({ maxLength: 3 }), (s, pre, post) => {
      const expected = expectedDecimal(s);
      // Arbitrary text around the field (it may even be digits): the range covers exactly s.
      const text = pre + s + post;
      return (
        Object.is(parseDecimal(s), expected) &&
        Object.is(parseDecimalRange(text, pre.length, pre.length + s.length), expected)
      );
    }),
    { numRuns },
  );
}

test('property: random decimals with exponents in -30..30 parse exactly as Number()', () => {
  checkDecimalProperty(fc.integer({ min: -30, max: 30 }), 30_000);
});

test('property: random decimals with exponents in -400..400 parse exactly as Number()', () => {
  checkDecimalProperty(fc.integer({ min: -400, max: 400 }), 30_000);
});

test('property: shortest and fixed-precision renderings of doubles parse back exactly', () => {
  fc.assert(
    fc.property(fc.double({ noNaN: true }), fc.integer({ min: 1, max: 21 }), (x, p) => {
      const renderings = [String(x), x.toPrecision(p), x.toExponential(p - 1)];
      if (Math.abs(x) < 1e21) renderings.push(x.toFixed(Math.min(p, 20)));
      for (const s of renderings) {
        if (!Object.is(parseDecimal(s), Number(s))) return false;
      }
      return Object.is(parseDecimal(String(x)), Object.is(x, -0) ? 0 : x);
    }),
    { numRuns: 20_000 },
  );
});

/** Oracle for arbitrary short strings over a confusable alphabet. */
const DECIMAL_RE = /^[ \t]*[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?[ \t]*$/;
const SPECIAL_RE = /^[ \t]*([+-]?)(nan|inf|infinity)[ \t]*$/i;

function oracle(s: string): number | undefined {
  if (DECIMAL_RE.test(s)) return Number(s.trim());
  const m = SPECIAL_RE.exec(s);
  if (m === null) return undefined;
  if (m[2].toLowerCase() === 'nan') return NaN;
  return m[1] === '-' ? -Infinity : Infinity;
}

test('property: arbitrary strings over a confusable alphabet match the grammar oracle', () => {
  const unit = fc.constantFrom(...'0123456789.eE+- \t\nxob_,nNaAiIfFtTyY/∞'.split(''), 'nan', 'inf', 'infinity', '0x');
  fc.assert(
    fc.property(fc.string({ unit, maxLength: 12 }), (s) => {
      const expected = oracle(s);
      return Object.is(parseDecimal(s), expected) && Object.is(parseDecimalRange(`1${s}1`, 1, 1 + s.length), expected);
    }),
    { numRuns: 30_000 },
  );
});

/**
 * The byte parser either declines (-1) or agrees with parseDecimalRange exactly, stopping at the field's end: the
 * field is followed by a delimiter and more text, or ends the record (a line break follows).
 */
function checkBytesAgree(field: string, rest: string, last: boolean): boolean {
  const line = last ? `${field}\n` : `${field},${rest}\n`;
  const bytes = Buffer.from(line);
  const fieldEnd = Buffer.byteLength(field);
  const recordEnd = bytes.length - 1;
  const out = new Float64Array(1);
  const end = parsePlainDecimalBytes(bytes, 0, recordEnd, 44, out, 0);
  if (end < 0) return true;
  return end === fieldEnd && Object.is(out[0], parseDecimalRange(field, 0, field.length));
}

test('property: the byte parser declines or agrees with parseDecimalRange, on decimals and on confusable text', () => {
  const unit = fc.constantFrom(...'0123456789.eE+- \txn'.split(''), 'nan', 'inf', '0x', 'é'); // no delimiter: it ends a field
  const field = fc.oneof(decimalString(fc.integer({ min: -40, max: 40 })), fc.string({ unit, maxLength: 12 }));
  fc.assert(
    fc.property(field, fc.string({ unit: fc.constantFrom(',', '1', 'x', ' '), maxLength: 4 }), fc.boolean(), (f, rest, last) => checkBytesAgree(f, rest, last)),
    { numRuns: 50_000 },
  );
});

test('the byte parser reads plain decimals of any length and exponent, and declines the rest', () => {
  const read = (field: string) => {
    const out = new Float32Array(1);
    return parsePlainDecimalBytes(Buffer.from(`${field}\n`), 0, Buffer.byteLength(field), 44, out, 0) < 0 ? undefined : out[0];
  };
  assert.equal(read('-1.17e-3'), Math.fround(-0.00117));
  assert.equal(read('0.640865'), Math.fround(0.640865));
  assert.ok(Object.is(read('-0'), -0));
  // Once declined (the whole record went to the text path); now read here.
  assert.equal(read('1234567890123456'), Math.fround(1234567890123456));
  assert.equal(read('-0.12345678901234568'), Math.fround(-0.12345678901234568));
  assert.equal(read('1e99999'), Infinity);
  assert.ok(Object.is(read('-1e-99999'), -0));
  assert.equal(read('123456789012345678901234567890'), Math.fround(1.2345678901234568e29));
  for (const declined of ['', ' 1', '1 ', 'NA', 'nan', 'inf', '1e', '1e+', '0x1', '.', '-', '+', '.e1', '1;5']) {
    assert.equal(read(declined), undefined, declined);
  }
});

// ---------------------------------------------------------------------------------------------------------------
// Correct rounding: both parsers give exactly Number()'s double (a float32 feed: exactly Math.fround of it) for
// full-precision decimals, long and short digit strings, far exponents, subnormals and half-way cases. Object.is
// on the double: a result one ulp off fails.

/** The byte parser's value for `field` followed by a delimiter and more text or by the line break, or undefined. */
function viaBytes(field: string, out: Float32Array | Float64Array, last: boolean): number | undefined {
  const bytes = Buffer.from(last ? `${field}\n` : `${field},9.75\n`);
  const end = parsePlainDecimalBytes(bytes, 0, bytes.length - 1, 44, out, 0);
  if (end < 0) return undefined;
  assert.equal(end, field.length, `byte parser stopped at ${end} in ${show(field)}`);
  return out[0];
}

const OUT64 = new Float64Array(1);
const OUT32 = new Float32Array(1);

/** The decimal `s` (no spaces, no nan/inf) parses to Number(s) as text and as bytes, and to Math.fround(Number(s)) into float32. */
function roundsLikeNumber(s: string, last = true): boolean {
  const expected = Number(s);
  const checks: Array<[string, number | undefined, number]> = [
    ['parseDecimal', parseDecimal(s), expected],
    ['bytes → float64', viaBytes(s, OUT64, last), expected],
    ['bytes → float32', viaBytes(s, OUT32, !last), Math.fround(expected)],
  ];
  for (const [what, actual, want] of checks) assertSame(actual, want, `${what} of ${show(s)}`);
  return true;
}

test('correct rounding: awkward and boundary decimals', () => {
  const cases = [
    // the grammar's awkward spellings
    '1e5', '1E-5', '.5', '5.', '-.5e-3', '+1.5E+3', '00001.50000', '0.0', '-0e-400', '1e+0', '1E0', '0000000000000000000001',
    // 16 to 19 significant digits
    '9007199254740993', '9007199254740992.5', '0.12345678901234568', '-0.012345678901234567', '1.2345678901234567e-05', '-1.0000000000000001e-05', '1.5000000000000001e+300',
    '9999999999999999999', '1000000000000000000', '18446744073709551615', '1.7976931348623157e308', '1.7976931348623158e308',
    '2.2250738585072014e-308', '2.2250738585072011e-308', '4.9406564584124654e-324', '2.4703282292062327e-324',
    '2.4703282292062328e-324', '7.2057594037927933e16', '8.98846567431158e307', '0.30000000000000004', '1.00000000000000011102230246251565404236316680908203125',
    // more than 19 digits, trailing zeros past the 19th, far exponents
    '12345678901234567890123', '1234567890123456789000000', '0.000000000000000000000000001', '1e-342', '1e-343', '9.999999999999999e-343',
    '1e308', '1e309', '123456789012345678e-360', '1e-22', '1e23', '1e-23', '9e37', '4.35679e-320', '3e-324', '2.5e-324',
    '179769313486231580793728971405303415079934132710037826936173778980444968292764750946649017977587207096330286416692887910946555547851940402630657488671505820681908902000708383676273854845817711531764475730270069855571366959622842914819860834936475292719074168444365510704342711559699508093042880177904174497791', // 2^1024 - 2^970: rounds to Infinity
  ];
  for (const s of cases) {
    roundsLikeNumber(s);
    roundsLikeNumber(`-${s.replace(/^[+-]/, '')}`, false);
  }
});

test('property: doubles printed with 17 digits (%.17g-style: toPrecision(17)) and shortest (String) parse to Number()\'s double', () => {
  fc.assert(
    fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), (x, last) =>
      [x.toPrecision(17), String(x), x.toExponential(16)].every((s) => roundsLikeNumber(s, last)),
    ),
    { numRuns: 30_000 },
  );
});

test('property: subnormal and near-subnormal doubles parse to Number()\'s double', () => {
  const tiny = fc.oneof(
    fc.double({ min: -2.2250738585072014e-308, max: 2.2250738585072014e-308, noNaN: true }),
    fc.double({ min: 1e-310, max: 1e-300, noNaN: true }),
    fc.integer({ min: 1, max: 2 ** 30 }).map((k) => k * 5e-324),
  );
  fc.assert(
    fc.property(tiny, fc.integer({ min: 1, max: 21 }), (x, p) =>
      [x.toPrecision(17), String(x), x.toPrecision(p), x.toExponential(p - 1)].every((s) => roundsLikeNumber(s)),
    ),
    { numRuns: 20_000 },
  );
});

test('property: random digit strings (1–25 digits, a point anywhere or none, exponents -350..350) parse to Number()\'s double', () => {
  const digits = fc.oneof(fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 1, maxLength: 25 }), skewedDigitString(25).filter((d) => d.length > 0));
  const text = fc
    .record({
      sign: fc.constantFrom('', '-', '+'),
      digits,
      point: fc.option(fc.nat(25), { nil: undefined }),
      e: fc.option(fc.tuple(fc.constantFrom('e', 'E'), fc.integer({ min: -350, max: 350 }), fc.boolean()), { nil: undefined }),
    })
    .map(({ sign, digits: d, point, e }) => {
      let s = point === undefined ? d : `${d.slice(0, point % (d.length + 1))}.${d.slice(point % (d.length + 1))}`;
      if (e !== undefined) s += `${e[0]}${e[1] >= 0 && e[2] ? '+' : ''}${e[1]}`;
      return sign + s;
    });
  fc.assert(fc.property(text, fc.boolean(), (s, last) => roundsLikeNumber(s, last)), { numRuns: 50_000 });
});

/** The exact decimal of (2M+1) · 2^(E-1) — the point half-way between the doubles M·2^E and (M+1)·2^E — as digits · 10^exp. */
function halfway(M: bigint, E: number): { digits: string; exp: number } {
  const odd = 2n * M + 1n;
  if (E - 1 >= 0) return { digits: (odd << BigInt(E - 1)).toString(), exp: 0 };
  return { digits: (odd * 5n ** BigInt(1 - E)).toString(), exp: E - 1 };
}

test('property: half-way points between adjacent doubles, and decimals just above and below them, parse to Number()\'s double', () => {
  // Mostly exponents whose half-way points have at most ~20 digits (the hard cases for a 19-digit significand).
  const exponent = fc.oneof({ weight: 4, arbitrary: fc.integer({ min: -12, max: 12 }) }, { weight: 1, arbitrary: fc.integer({ min: -1074, max: 970 }) });
  const point = fc.tuple(fc.bigInt({ min: 2n ** 52n, max: 2n ** 53n - 2n }), exponent);
  fc.assert(
    fc.property(point, fc.integer({ min: 1, max: 25 }), ([M, E], cut) => {
      const { digits, exp } = halfway(M, E);
      const at = Math.min(cut, digits.length);
      const variants = [
        `${digits}e${exp}`, // exactly half-way: ties to even
        `${digits}1e${exp - 1}`, // just above
        `${digits.slice(0, at)}e${exp + digits.length - at}`, // cut short: just below (or exact)
        `0.${digits}e${exp + digits.length}`,
      ];
      if (exp === 0 && digits.length <= 25) variants.push(digits);
      return variants.every((s) => roundsLikeNumber(s));
    }),
    { numRuns: 15_000 },
  );
});

/** The double `ulps` units in the last place away from x (x > 0, same binade). */
function nudged(x: number, ulps: number): number {
  const f = new Float64Array([x]);
  const u = new BigUint64Array(f.buffer);
  u[0] = BigInt.asUintN(64, u[0] + BigInt(ulps));
  return f[0];
}

test('property: decimals at and near the half-way points between adjacent float32s (17–21 digits) read into float32 as Math.fround(Number())', () => {
  // A float32 feed reads a long significand as an approximation checked to lie away from every float32 tie: these
  // are the decimals where that check decides, and where Number()'s double lands on a tie (rounding twice).
  const float32 = fc.float({ min: Math.fround(1e-30), max: Math.fround(1e30), noNaN: true, noDefaultInfinity: true });
  fc.assert(
    fc.property(float32, fc.integer({ min: -300, max: 300 }), fc.integer({ min: 17, max: 21 }), fc.boolean(), (f, ulps, digits, last) => {
      const bits = new Float32Array([f]);
      new Uint32Array(bits.buffer)[0]++;
      const tie = (f + bits[0]) / 2; // exact in a double
      return [tie, nudged(tie, ulps), nudged(tie, ulps * 1000)].every((x) => roundsLikeNumber(x.toPrecision(digits), last) && roundsLikeNumber(`-${x.toExponential(digits - 1)}`, !last));
    }),
    { numRuns: 20_000 },
  );
});

// ---------------------------------------------------------------------------------------------------------------
// Formatting

function roundTrips32(s: string, x: number): boolean {
  return Object.is(Math.fround(Number(s)), x);
}

test('formatFloat32 prints the short forms', () => {
  assert.equal(formatFloat32(Math.fround(0.1)), '0.1');
  assert.equal(formatFloat32(Math.fround(1 / 3)), '0.33333334');
  assert.equal(formatFloat32(Math.fround(-0.5)), '-0.5');
  assert.equal(formatFloat32(1), '1');
  assert.equal(formatFloat32(0), '0');
  assert.equal(formatFloat32(-0), '0');
  assert.equal(formatFloat32(NaN), 'NaN');
  assert.equal(formatFloat32(Infinity), 'Infinity');
  assert.equal(formatFloat32(-Infinity), '-Infinity');
  assert.equal(formatFloat32(Math.fround(1e-7)), '1e-7');
  assert.equal(formatFloat32(Math.fround(3.4028234663852886e38)), '3.4028235e+38');
  assert.equal(formatFloat32(2 ** 30), '1073741800');
  assert.equal(formatFloat32(16777216), '16777216');
  // 8 digits as a float64, but 7 digits already pick this float32 (float32 spacing here is 4).
  assert.equal(formatFloat32(33556648), '33556650');
  assert.equal(formatFloat32(1234567), '1234567');
  assert.equal(formatFloat32(0.375), '0.375');
  assert.equal(formatFloat32(Math.fround(20.83203125)), '20.832031');
  assert.equal(formatFloat32(Math.fround(1e-40)), '1e-40');
  assert.equal(formatFloat32(2 ** -149 * 3), '4e-45');
  assert.equal(formatFloat32(Math.fround(1e-45)), '1e-45');
  assert.equal(formatFloat32(Math.fround(1.17549435e-38)), '1.1754944e-38');
  assert.equal(formatFloat32(Math.fround(123.456)), '123.456');
  assert.equal(formatFloat32(Math.fround(0.1 + 0.2)), '0.3');
});

/** float32 values that a naive float64-based shortcut gets wrong: integers, dyadic fractions, subnormals and the
 * float32 neighbours of short decimals. */
const awkwardFloat32: fc.Arbitrary<number> = fc.oneof(
  fc.integer({ min: -(2 ** 31), max: 2 ** 31 }).map((i) => Math.fround(i)),
  fc.tuple(fc.integer({ min: -(2 ** 24), max: 2 ** 24 }), fc.integer({ min: -149, max: 104 })).map(([m, e]) =>
    Math.fround(m * 2 ** e),
  ),
  fc.integer({ min: 1, max: 2 ** 23 }).map((i) => i * 2 ** -149),
  fc
    .tuple(fc.integer({ min: 1, max: 99_999_999 }), fc.integer({ min: -46, max: 38 }), fc.integer({ min: -2, max: 2 }))
    .map(([d, e, ulps]) => {
      const f32 = new Float32Array([Number(`${d}e${e}`)]);
      const bits = new Uint32Array(f32.buffer);
      if (bits[0] + ulps >= 0 && bits[0] + ulps < 0x7f800000) bits[0] += ulps;
      return f32[0];
    }),
);

function isShortestFloat32(x: number): boolean {
  const s = formatFloat32(x);
  // -0 prints as "0" (JS convention), so it is the one value that does not read back with its sign.
  if (Object.is(x, -0)) return s === '0';
  if (!roundTrips32(s, x)) return false;
  // JS number-to-string conventions.
  if (String(Number(s)) !== s) return false;
  if (!Number.isFinite(x)) return true;
  // No shorter precision round-trips.
  const digits = Number(s).toExponential().replace(/^-/, '').replace(/e.*$/, '').replace('.', '').length;
  for (let p = 1; p < digits; p++) {
    if (roundTrips32(x.toPrecision(p), x)) return false;
  }
  return true;
}

test('property: formatFloat32 is the shortest text that round-trips through float32', () => {
  fc.assert(fc.property(fc.float({ noNaN: false }), isShortestFloat32), { numRuns: 20_000 });
});

test('property: formatFloat32 is shortest for integers, dyadics, subnormals and neighbours of short decimals', () => {
  fc.assert(fc.property(awkwardFloat32, isShortestFloat32), { numRuns: 20_000 });
});

test('property: the arithmetic float32 printer gives the toPrecision search\'s text, as a string and as bytes', () => {
  const buf = Buffer.alloc(32);
  fc.assert(
    fc.property(fc.oneof(fc.float({ noNaN: false }), awkwardFloat32), (x) => {
      const expected = formatFloat32ByPrecision(x);
      return formatFloat32(x) === expected && buf.toString('latin1', 0, writeFloat32(buf, 0, x)) === expected;
    }),
    { numRuns: 100_000 },
  );
});

test('formatFloat64 round-trips', () => {
  assert.equal(formatFloat64(0.1), '0.1');
  assert.equal(formatFloat64(-0), '0');
  assert.equal(formatFloat64(NaN), 'NaN');
  assert.equal(formatFloat64(-Infinity), '-Infinity');
  assert.equal(formatFloat64(1e21), '1e+21');
  fc.assert(
    fc.property(fc.double({ noNaN: false }), (x) => {
      const back = Number(formatFloat64(x));
      return Object.is(x, -0) ? back === 0 : Object.is(back, x);
    }),
    { numRuns: 20_000 },
  );
});

test('property: latin1Text reads any bytes of a block as Buffer#toString(\'latin1\') does, short and long', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 40 }), fc.nat(), fc.nat(), (bytes, a, b) => {
      const block = Buffer.concat([Buffer.from('x,'), bytes, Buffer.from('\n')]);
      const from = a % block.length;
      const to = from + (b % (block.length - from + 1));
      assert.equal(latin1Text(new Uint8Array(block.buffer, block.byteOffset, block.length), from, to), block.toString('latin1', from, to));
    }),
    { numRuns: 5000 },
  );
});
