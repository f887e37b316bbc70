/** The byte-level CSV record scan agrees with a reference reading of the record rules, however the input is cut into pieces. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { csvRecordEnd, lastRecordEnd, newScan, Quote, recordsAreLines, type CsvScan } from '../src/input/csvScan.js';

const COMMA = 44;
// CR only as part of CRLF: a lone CR (a CR-only line end) is made a LF before the scan (LoneCrs in recordRules.ts).
const csvText = fc.string({ unit: fc.constantFrom('a', '1', ',', '"', '"', '\n', '\n', '\r\n', ' '), maxLength: 80 });
const cuts = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 6 });

/** Records (text without the CR before the line break, blank ones left out) and the line each starts on. */
function scanRecords(bytes: Buffer, cutAt: number[]): Array<[string, number]> {
  const out: Array<[string, number]> = [];
  const scan = newScan();
  let start = 0;
  let line = 1;
  const emit = (end: number): void => {
    let stop = end;
    if (stop > start && bytes[stop - 1] === 13) stop--;
    const text = bytes.toString('latin1', start, stop);
    if (text.trim() !== '' || (text.length > 0 && !/^[ \t\r]/.test(text))) out.push([text, line]);
    line += scan.quotedLines + 1;
    scan.quotedLines = 0;
  };
  let pos = 0;
  for (const cut of [...cutAt, bytes.length]) {
    while (pos < cut) {
      const nl = csvRecordEnd(bytes, pos, cut, COMMA, scan);
      if (nl < 0) {
        pos = cut;
        break;
      }
      emit(nl);
      start = pos = nl + 1;
    }
  }
  if (start < bytes.length) {
    let end = bytes.length;
    // An unterminated quote runs to the end of input, less its trailing line breaks (the record rules).
    if (scan.state === Quote.Quoted) while (end > start && (bytes[end - 1] === 10 || bytes[end - 1] === 13)) end--;
    emit(end);
  }
  return out;
}

/**
 * The record rules read character by character (RFC 4180 as csv-parse reads it): a quote opens a quoted field only
 * at a field's start, `""` inside is a quote, a line break ends the record outside quotes; a CR before it is left
 * out, blank records are skipped, an unterminated quote runs to the end less its trailing line breaks.
 */
function referenceRecords(text: string): Array<[string, number]> {
  const out: Array<[string, number]> = [];
  let start = 0;
  let line = 1;
  let inner = 0;
  let state: 'fieldStart' | 'unquoted' | 'quoted' | 'quoteInQuoted' = 'fieldStart';
  const emit = (end: number): void => {
    const body = text.slice(start, end > start && text[end - 1] === '\r' ? end - 1 : end);
    if (!(body === '' || (/^[ \t\r]/.test(body) && body.trim() === ''))) out.push([body, line]);
    line += inner + 1;
    inner = 0;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (state === 'quoted') {
      if (c === '"') state = 'quoteInQuoted';
      else if (c === '\n') inner++;
    } else if (state === 'quoteInQuoted' && c === '"') {
      state = 'quoted';
    } else if (c === '\n') {
      emit(i);
      start = i + 1;
      state = 'fieldStart';
    } else {
      state = c === '"' && state === 'fieldStart' ? 'quoted' : c === ',' ? 'fieldStart' : 'unquoted';
    }
  }
  if (start < text.length) {
    let end = text.length;
    if (state === 'quoted') while (end > start && (text[end - 1] === '\n' || text[end - 1] === '\r')) end--;
    const body = text.slice(start, end);
    if (!(body === '' || (/^[ \t\r]/.test(body) && body.trim() === ''))) out.push([body, line]);
  }
  return out;
}

function positions(bytes: Buffer, fractions: number[]): number[] {
  return [...new Set(fractions.map((f) => Math.floor(f * bytes.length)))].sort((a, b) => a - b);
}

test('property: records and their lines match the reference reading, for every way of cutting the input', () => {
  fc.assert(
    fc.property(csvText, cuts, (text, fractions) => {
      const bytes = Buffer.from(text, 'latin1');
      const expected = referenceRecords(text);
      assert.deepEqual(scanRecords(bytes, positions(bytes, fractions)), expected);
    }),
    { numRuns: 5000 },
  );
});

test('property: lastRecordEnd, piece by piece, finds exactly the record ends that lie in each piece', () => {
  fc.assert(
    fc.property(csvText, cuts, (text, fractions) => {
      const bytes = Buffer.from(text, 'latin1');
      const ends = new Set<number>();
      const whole = newScan();
      for (let pos = 0, nl = csvRecordEnd(bytes, 0, bytes.length, COMMA, whole); nl >= 0; pos = nl + 1, nl = csvRecordEnd(bytes, pos, bytes.length, COMMA, whole)) ends.add(nl + 1);
      const scan = newScan();
      let from = 0;
      for (const cut of [...positions(bytes, fractions), bytes.length]) {
        const piece = bytes.subarray(from, cut);
        const last = lastRecordEnd(piece, 0, piece.length, COMMA, scan);
        const inPiece = [...ends].filter((e) => e > from && e <= cut);
        assert.equal(last === 0 ? 0 : from + last, inPiece.length ? Math.max(...inPiece) : 0, `piece [${from}, ${cut}) of ${JSON.stringify(text)}`);
        from = cut;
      }
    }),
    { numRuns: 5000 },
  );
});

test('a quoted field holds delimiters, escaped quotes and line breaks; a stray quote mid-field opens nothing', () => {
  const bytes = Buffer.from('"a,b","say ""hi""\nthere",1\nx"y,2\n');
  const scan = newScan();
  const first = csvRecordEnd(bytes, 0, bytes.length, COMMA, scan);
  assert.equal(bytes.toString('latin1', 0, first), '"a,b","say ""hi""\nthere",1');
  assert.equal(scan.quotedLines, 1);
  const second = csvRecordEnd(bytes, first + 1, bytes.length, COMMA, scan);
  assert.equal(bytes.toString('latin1', first + 1, second), 'x"y,2');
});

/** lastRecordEnd as a record-by-record scan: the reading its quote walk must agree with. */
function lastRecordEndByRecords(bytes: Uint8Array, from: number, to: number, scan: CsvScan): number {
  let last = from;
  for (let pos = from; pos < to; ) {
    const nl = csvRecordEnd(bytes, pos, to, COMMA, scan);
    if (nl < 0) break;
    scan.quotedLines = 0;
    scan.cut = false;
    last = pos = nl + 1;
  }
  return last;
}

// Quoted fields as R's write.csv writes them (on one line), and the odd ones: escaped quotes, line breaks, stray quotes.
const quotedText = fc
  .array(fc.constantFrom('"id1"', '"a""b"', '""', '1.5', 'x"y', '"two\nlines"', ',', ',', '\n', '\r\n', '"', 'z'), { maxLength: 40 })
  .map((parts) => parts.join(''));

test('property: the quote walk leaves the scan where a record-by-record scan does (end, state, lengths, counts, cuts)', () => {
  fc.assert(
    fc.property(fc.oneof(csvText, quotedText), cuts, fc.constantFrom(Infinity, 4, 12), (text, fractions, limit) => {
      const bytes = Buffer.from(text, 'latin1');
      const walked = newScan(limit);
      const exact = newScan(limit);
      let from = 0;
      for (const cut of [...positions(bytes, fractions), bytes.length]) {
        const piece = bytes.subarray(from, cut);
        const where = `piece [${from}, ${cut}) of ${JSON.stringify(text)}`;
        assert.equal(lastRecordEnd(piece, 0, piece.length, COMMA, walked), lastRecordEndByRecords(piece, 0, piece.length, exact), where);
        assert.deepEqual([walked.state, walked.recordLen, walked.quotedLines, walked.cut], [exact.state, exact.recordLen, exact.quotedLines, exact.cut], where);
        from = cut;
      }
    }),
    { numRuns: 5000 },
  );
});

test('property: a block whose records are said to be its lines is cut by the scan at every line break, and only there', () => {
  fc.assert(
    fc.property(fc.oneof(csvText, quotedText), (text) => {
      const bytes = Buffer.from(`${text}\n`, 'latin1');
      if (!recordsAreLines(bytes, 0, bytes.length, COMMA)) return;
      const scan = newScan();
      const ends: number[] = [];
      for (let pos = 0, nl = csvRecordEnd(bytes, 0, bytes.length, COMMA, scan); nl >= 0; pos = nl + 1, nl = pos < bytes.length ? csvRecordEnd(bytes, pos, bytes.length, COMMA, scan) : -1) ends.push(nl);
      const lines = [...text.matchAll(/\n/g)].map((m) => m.index!).concat(text.length);
      assert.deepEqual(ends, lines, JSON.stringify(text));
    }),
    { numRuns: 5000 },
  );
});

test('R-style records are lines; a quoted field holding a line break, or open at the end, makes them not', () => {
  const lines = (s: string) => recordsAreLines(Buffer.from(s), 0, Buffer.byteLength(s), COMMA);
  assert.equal(lines('"id","f0"\n"1",0.5\n"2",-1e-3\n'), true);
  assert.equal(lines('"1","say ""hi""",x"y\n'), true);
  assert.equal(lines('"1","two\nlines"\n'), false);
  assert.equal(lines('"1",0.5\n"open,2\n'), false);
});
