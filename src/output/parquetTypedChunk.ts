/**
 * A column chunk of plain numbers written straight from its typed array: PLAIN pages are the array's own bytes
 * (Parquet is little-endian, as this machine is checked to be), the definition levels of a column without nulls are
 * one RLE run, and the statistics come from one pass over the array. hyparquet-writer makes the same bytes from
 * any JS values, but checks, compares and writes them one by one (a bigint at a time for INT64): the README's
 * design notes give the measurement. Page headers and the file's metadata stay the library's.
 */
import { endianness } from 'node:os';
import type { ParquetWriter } from 'hyparquet-writer';
import { writePageHeader } from 'hyparquet-writer/src/datapage.js';
import { ByteWriter } from 'hyparquet-writer';
import type { SchemaElement } from 'hyparquet';

type RowGroup = ParquetWriter['row_groups'][number];
export type ColumnChunk = RowGroup['columns'][number];

export type TypedColumn = Float32Array | Float64Array | Int32Array | BigInt64Array;

/** A column chunk's bytes and its metadata, offsets counted from the start of `bytes`. */
export interface EncodedChunk {
  bytes: Uint8Array;
  chunk: ColumnChunk;
}

/** Values per page: about hyparquet-writer's default page size (1 MiB of values). */
const PAGE_BYTES = 1 << 20;

const LITTLE_ENDIAN = endianness() === 'LE';

/**
 * True when `values` can be written by typedChunk: a typed array of the element's type, signed (unsigned types
 * order their statistics differently), on a little-endian machine.
 */
export function isTypedChunk(element: SchemaElement, values: unknown): values is TypedColumn {
  if (!LITTLE_ENDIAN || element.converted_type?.startsWith('UINT_')) return false;
  switch (element.type) {
    case 'FLOAT': return values instanceof Float32Array;
    case 'DOUBLE': return values instanceof Float64Array;
    case 'INT32': return values instanceof Int32Array;
    case 'INT64': return values instanceof BigInt64Array;
    default: return false;
  }
}

/** An OPTIONAL column chunk holding `values` (no nulls), in PLAIN DATA_PAGE_V2 pages compressed by `compress`. */
export function typedChunk(
  element: SchemaElement,
  values: TypedColumn,
  codec: string,
  compress: ((page: Uint8Array) => Uint8Array) | undefined,
): EncodedChunk {
  const writer = new ByteWriter(values.byteLength + 1024);
  const perPage = Math.max(1, Math.floor(PAGE_BYTES / values.BYTES_PER_ELEMENT));
  let uncompressed = 0;
  let pages = 0;
  for (let start = 0; start < values.length; start += perPage, pages++) {
    const page = values.subarray(start, Math.min(values.length, start + perPage));
    uncompressed += writePage(writer, page, codec, compress);
  }
  const chunk: ColumnChunk = {
    file_offset: 0n,
    meta_data: {
      type: element.type!,
      encodings: ['PLAIN'],
      path_in_schema: [element.name],
      codec: codec as 'SNAPPY',
      num_values: BigInt(values.length),
      total_compressed_size: BigInt(writer.offset),
      total_uncompressed_size: BigInt(uncompressed),
      data_page_offset: 0n,
      statistics: statistics(values),
      encoding_stats: [{ page_type: 'DATA_PAGE_V2', encoding: 'PLAIN', count: pages }],
    },
  };
  return { bytes: writer.getBytes(), chunk };
}

/** One page: header, the definition levels (all 1: one RLE run), the values' bytes (compressed). Returns its uncompressed size. */
function writePage(writer: ByteWriter, values: TypedColumn, codec: string, compress: ((page: Uint8Array) => Uint8Array) | undefined): number {
  const levels = new ByteWriter(16);
  levels.appendVarInt(values.length << 1); // an RLE run's header: its length, low bit 0
  levels.appendUint8(1); // the repeated level, in ceil(bitWidth 1 / 8) = 1 byte
  const raw = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const data = compress ? compress(raw) : raw;
  const headerStart = writer.offset;
  writePageHeader(writer, {
    type: 'DATA_PAGE_V2',
    uncompressed_page_size: levels.offset + raw.length,
    compressed_page_size: levels.offset + data.length,
    data_page_header_v2: {
      num_values: values.length,
      num_nulls: 0,
      num_rows: values.length,
      encoding: 'PLAIN',
      definition_levels_byte_length: levels.offset,
      repetition_levels_byte_length: 0,
      is_compressed: codec !== 'UNCOMPRESSED',
    },
  });
  const header = writer.offset - headerStart;
  writer.appendBytes(levels.getBytes());
  writer.appendBytes(data);
  return header + levels.offset + raw.length;
}

/** min/max (NaN left out, as the format says; -0 as min and +0 as max), null and NaN counts. */
function statistics(values: TypedColumn) {
  if (values instanceof BigInt64Array) return { ...bigintRange(values), null_count: 0n };
  let min = Infinity;
  let max = -Infinity;
  let nans = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < min) min = v;
    if (v > max) max = v;
    if (v !== v) nans++;
  }
  const floats = !(values instanceof Int32Array);
  if (nans === values.length) return { null_count: 0n, nan_count: BigInt(nans) };
  return {
    min_value: min === 0 ? -0 : min,
    max_value: max === 0 ? 0 : max,
    null_count: 0n,
    ...(floats ? { nan_count: BigInt(nans) } : {}),
  };
}

/** The least and greatest of 64-bit integers, compared as (high signed, low unsigned) 32-bit halves: no bigint per value. */
function bigintRange(values: BigInt64Array): { min_value?: bigint; max_value?: bigint } {
  if (values.length === 0) return {};
  const halves = new Int32Array(values.buffer, values.byteOffset, values.length * 2);
  let min = 0;
  let max = 0;
  for (let i = 1; i < values.length; i++) {
    const hi = halves[2 * i + 1];
    const lo = halves[2 * i] >>> 0;
    const minHi = halves[2 * min + 1];
    if (hi < minHi || (hi === minHi && lo < halves[2 * min] >>> 0)) min = i;
    const maxHi = halves[2 * max + 1];
    if (hi > maxHi || (hi === maxHi && lo > halves[2 * max] >>> 0)) max = i;
  }
  return { min_value: values[min], max_value: values[max] };
}
