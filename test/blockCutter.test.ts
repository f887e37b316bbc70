/** The block cutter: blocks of whole lines, near the block size, whatever sizes the input arrives in. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BlockCutter } from '../src/input/blockCutter.js';
import { csvRecordEnd, newScan } from '../src/input/csvScan.js';
import { recordBounds } from '../src/input/recordBounds.js';
import { previewOf, recordAt, scanBlock } from '../src/input/recordRules.js';

const lines = fc.array(fc.string({ unit: fc.constantFrom('a', 'b', ',', 'é', '\r'), maxLength: 30 }), { maxLength: 60 });

/** Cuts `text` into pieces at the given fractions of its length. */
function piecesOf(bytes: Buffer, cuts: number[]): Buffer[] {
  const at = [...new Set(cuts.map((c) => Math.floor(c * bytes.length)))].sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let from = 0;
  for (const c of [...at, bytes.length]) {
    pieces.push(bytes.subarray(from, c));
    from = c;
  }
  return pieces;
}

test('property: blocks hold the input exactly, end at line breaks, and pass the block size only by their last line', () => {
  fc.assert(
    fc.property(lines, fc.boolean(), fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 8 }), fc.integer({ min: 1, max: 64 }), (ls, lastNewline, cuts, size) => {
      const text = ls.join('\n') + (lastNewline && ls.length ? '\n' : '');
      const bytes = Buffer.from(text);
      const blocks: Buffer[] = [];
      const offsets: number[] = [];
      const cutter = new BlockCutter(size, 0, (b, offset) => (blocks.push(Buffer.from(b)), offsets.push(offset)), () => recordBounds(null));
      for (const piece of piecesOf(bytes, cuts)) cutter.push(piece);
      const beforeEnd = blocks.length;
      cutter.end();
      assert.equal(Buffer.concat(blocks).toString(), text);
      // Each block knows where it starts in the bytes pushed.
      assert.deepEqual(offsets, blocks.map((_, i) => Buffer.concat(blocks.slice(0, i)).length));
      blocks.forEach((b, i) => {
        assert.ok(b.length > 0);
        if (i < beforeEnd) assert.equal(b[b.length - 1], 10, 'a block handed on before the end ends with a line break');
        // Only its last line may take a block past the size (a line longer than a block is never split).
        assert.ok(b.lastIndexOf(10, b.length - 2) + 1 <= size, `${JSON.stringify(b.toString())} is over ${size} bytes before its last line`);
      });
    }),
    { numRuns: 2000 },
  );
});

test('a block is handed on once its oldest line has waited flushMs', async () => {
  const blocks: string[] = [];
  const cutter = new BlockCutter(1 << 20, 20, (b) => blocks.push(Buffer.from(b).toString()), () => recordBounds(null));
  cutter.push(Buffer.from('a,1\nb,'));
  assert.deepEqual(blocks, []);
  await new Promise((r) => setTimeout(r, 60));
  assert.deepEqual(blocks, ['a,1\n']);
  cutter.push(Buffer.from('2\n'));
  cutter.end();
  assert.deepEqual(blocks, ['a,1\n', 'b,2\n']);
});

test('a record growing past --max-record-bytes is handed on as its beginning, cut at the first line break at or past the limit', () => {
  const blocks: Array<[string, number, number | null]> = [];
  const cutter = new BlockCutter(1 << 20, 0, (b, offset, cut) => blocks.push([Buffer.from(b).toString(), offset, cut?.lines ?? null]), () => recordBounds(',', 8), 8);
  // The quoted record spans lines; the first line break at or past 8 bytes from its start is inside its quotes.
  for (const piece of ['ok,1\n"abc', 'de\nfghij', 'kl\nmn"', ',2\nnext,3\n']) cutter.push(Buffer.from(piece));
  cutter.end();
  // The cut record starts at byte 5 and runs to the line break after "kl" (byte 19): what follows starts at 20.
  assert.deepEqual(blocks, [['ok,1\n', 0, null], ['"abcde\nfg', 5, 2], ['mn",2\nnext,3\n', 20, null]]);
});

test('property: with --max-record-bytes, the records read from the blocks are the same however the input arrives', () => {
  const csv = fc.string({ unit: fc.constantFrom('a', ',', '"', '\n', '\n'), maxLength: 80 });
  fc.assert(
    fc.property(csv, fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 8 }), fc.integer({ min: 2, max: 20 }), (text, cuts, limit) => {
      const run = (pieces: Buffer[]) => {
        const out: Array<[string, number, boolean]> = [];
        let lines = 0;
        const decoder = new TextDecoder();
        const cutter = new BlockCutter(1 << 20, 0, (b, _offset, cut) => {
          if (cut) {
            out.push([previewOf(decoder.decode(b), limit), lines + 1, true]);
            lines += cut.lines;
            return;
          }
          const records = scanBlock(b, () => recordBounds(',', limit), limit, false);
          records.starts.forEach((_, i) => {
            const r = recordAt(records, i, decoder, limit);
            out.push([r.text, lines + r.line, r.tooLarge !== undefined]);
          });
          lines += records.lines;
        }, () => recordBounds(',', limit), limit);
        for (const p of pieces) {
          cutter.push(p);
          cutter.flush();
        }
        cutter.end();
        return out;
      };
      const bytes = Buffer.from(text);
      const whole = run([bytes]);
      assert.deepEqual(run(piecesOf(bytes, cuts)), whole);
      for (const [t, , tooLarge] of whole) if (!tooLarge) assert.ok(Buffer.byteLength(t) <= limit);
    }),
    { numRuns: 3000 },
  );
});

test('property: CSV blocks end at record ends, never inside a quoted field, however the input arrives', () => {
  const csv = fc.string({ unit: fc.constantFrom('a', ',', '"', '"', '\n', '\n', '\r'), maxLength: 120 });
  fc.assert(
    fc.property(csv, fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 8 }), fc.integer({ min: 1, max: 32 }), (text, cuts, size) => {
      const bytes = Buffer.from(text, 'latin1');
      const ends = new Set<number>();
      const scan = newScan();
      for (let pos = 0, nl = csvRecordEnd(bytes, 0, bytes.length, 44, scan); nl >= 0; pos = nl + 1, nl = csvRecordEnd(bytes, pos, bytes.length, 44, scan)) ends.add(nl + 1);
      const blocks: Buffer[] = [];
      const cutter = new BlockCutter(size, 0, (b) => blocks.push(Buffer.from(b)), () => recordBounds(','));
      for (const piece of piecesOf(bytes, cuts)) cutter.push(piece);
      const beforeEnd = blocks.length;
      cutter.end();
      assert.equal(Buffer.concat(blocks).toString('latin1'), text);
      let at = 0;
      blocks.forEach((b, i) => {
        at += b.length;
        if (i < beforeEnd) assert.ok(ends.has(at), `block ${i} of ${JSON.stringify(text)} ends at ${at}, not at a record end`);
      });
    }),
    { numRuns: 3000 },
  );
});
