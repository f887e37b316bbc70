/**
 * Numbers written straight from typed arrays (src/output/parquetTypedChunk.ts) against hyparquet-writer as the
 * oracle: for random arrays of each type (NaN, ±0, ±Infinity, the integer extremes), the file reads back to the
 * same values, and its statistics are the ones hyparquet-writer writes for the same values. Also: the native and
 * the JS snappy both write the raw format a reader inflates.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import { parquetMetadata, parquetReadObjects, snappyUncompress } from 'hyparquet';
import type { SchemaElement } from 'hyparquet';
import { isTypedChunk, typedChunk, type TypedColumn } from '../src/output/parquetTypedChunk.js';
import { jsSnappyCompress, snappyCompress } from '../src/output/snappy.js';

type WriterSchema = ConstructorParameters<typeof ParquetWriter>[0]['schema'];

function element(type: SchemaElement['type']): SchemaElement {
  return { name: 'v', type, repetition_type: 'OPTIONAL' };
}

/** A one-column file whose only row group is the typed chunk. */
function typedFile(el: SchemaElement, values: TypedColumn): ArrayBuffer {
  const bw = new ByteWriter();
  const writer = new ParquetWriter({ writer: bw, schema: [{ name: 'schema', num_children: 1 }, el] as WriterSchema, codec: 'SNAPPY' });
  const { bytes, chunk } = typedChunk(el, values, 'SNAPPY', snappyCompress);
  const at = BigInt(bw.offset);
  chunk.file_offset += at;
  chunk.meta_data!.data_page_offset += at;
  bw.appendBytes(bytes);
  writer.row_groups.push({ columns: [chunk], total_byte_size: chunk.meta_data!.total_uncompressed_size, num_rows: BigInt(values.length) });
  writer.num_rows = BigInt(values.length);
  void writer.finish();
  return bw.getBuffer();
}

/** The same values written by hyparquet-writer itself (PLAIN, as the typed chunk). */
function libraryFile(el: SchemaElement, values: TypedColumn): ArrayBuffer {
  const bw = new ByteWriter();
  const writer = new ParquetWriter({ writer: bw, schema: [{ name: 'schema', num_children: 1 }, el] as WriterSchema, codec: 'SNAPPY' });
  void writer.write({ columnData: [{ name: 'v', data: Array.from(values as ArrayLike<unknown>), encoding: 'PLAIN', offsetIndex: false }], rowGroupSize: values.length });
  void writer.finish();
  return bw.getBuffer();
}

const same = (a: unknown, b: unknown) => Object.is(a, b) || (typeof a === 'number' && typeof b === 'number' && Number.isNaN(a) && Number.isNaN(b));

async function checkAgainstLibrary(el: SchemaElement, values: TypedColumn): Promise<void> {
  assert.ok(isTypedChunk(el, values));
  const ours = typedFile(el, values);
  const theirs = libraryFile(el, values);
  const read = async (file: ArrayBuffer) => (await parquetReadObjects({ file })).map((r) => r.v);
  const got = await read(ours);
  const want = Array.from(values as ArrayLike<unknown>);
  assert.equal(got.length, want.length);
  got.forEach((v, i) => assert.ok(same(v, want[i]), `value ${i}: ${String(v)} vs ${String(want[i])}`));
  const stats = (file: ArrayBuffer) => parquetMetadata(file).row_groups[0].columns[0].meta_data!.statistics;
  assert.deepEqual(stats(ours), stats(theirs));
}

const arrays = {
  FLOAT: fc.float32Array({ minLength: 1, maxLength: 300 }),
  DOUBLE: fc.float64Array({ minLength: 1, maxLength: 300 }),
  INT32: fc.int32Array({ minLength: 1, maxLength: 300 }),
  INT64: fc.bigInt64Array({ minLength: 1, maxLength: 300 }),
} as const;

for (const [type, arbitrary] of Object.entries(arrays)) {
  test(`a ${type} column written from its typed array reads back exactly, with hyparquet-writer's statistics`, async () => {
    await fc.assert(fc.asyncProperty(arbitrary, (values) => checkAgainstLibrary(element(type as SchemaElement['type']), values as TypedColumn)), { numRuns: 150 });
  });
}

test('edge columns: all NaN (no min or max), zeros of both signs, one value, the integer extremes, ids', async () => {
  await checkAgainstLibrary(element('FLOAT'), new Float32Array([NaN, NaN]));
  await checkAgainstLibrary(element('DOUBLE'), new Float64Array([0, -0, 0]));
  await checkAgainstLibrary(element('DOUBLE'), new Float64Array([-0]));
  await checkAgainstLibrary(element('INT32'), new Int32Array([2147483647, -2147483648, 0]));
  await checkAgainstLibrary(element('INT64'), new BigInt64Array([9223372036854775807n, -9223372036854775808n, -1n, 0n]));
  // Equal high halves: the order is in the low halves, compared unsigned.
  await checkAgainstLibrary(element('INT64'), new BigInt64Array([0x1_0000_0005n, 0x1_8000_0003n, 0x1_0000_0003n, 0x1_0000_0009n]));
  await checkAgainstLibrary(element('INT64'), new BigInt64Array([-2n, -1n, -3n, -0x8000_0000n]));
  await checkAgainstLibrary(element('INT64'), BigInt64Array.from({ length: 1000 }, (_, i) => BigInt(i + 1)));
});

test('a column larger than a page is written as several pages and reads back whole', async () => {
  const values = Float64Array.from({ length: 300_000 }, (_, i) => i * 0.5 - 1000);
  const el = element('DOUBLE');
  const { chunk } = typedChunk(el, values, 'SNAPPY', snappyCompress);
  assert.equal(chunk.meta_data!.encoding_stats![0].count, 3, 'three pages of at most 1 MiB of values');
  await checkAgainstLibrary(el, values);
});

test('typed arrays of another type, unsigned columns and plain arrays go to hyparquet-writer', () => {
  assert.equal(isTypedChunk(element('DOUBLE'), new Float32Array(1)), false);
  assert.equal(isTypedChunk({ ...element('INT32'), converted_type: 'UINT_32' }, new Int32Array(1)), false);
  assert.equal(isTypedChunk(element('FLOAT'), [1.5]), false);
  assert.equal(isTypedChunk(element('BOOLEAN'), new Int32Array(1)), false);
});

test('the native and the JS snappy both write raw snappy that inflates to the input', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 5000 }), fc.integer({ min: 1, max: 40 }), (bytes, repeat) => {
      const input = new Uint8Array(bytes.length * repeat);
      for (let i = 0; i < repeat; i++) input.set(bytes, i * bytes.length); // compressible, and not
      for (const compress of [snappyCompress, jsSnappyCompress]) {
        const out = new Uint8Array(input.length);
        snappyUncompress(compress(input), out);
        assert.deepEqual(out, input);
      }
    }),
    { numRuns: 100 },
  );
});
