/**
 * The Parquet fast path: numeric column chunks decoded straight into typed arrays. hyparquet's general reader
 * turns every optional column into a JS array of values and nulls (its `assembleLists`), which with the garbage it
 * makes took about a third of a run's CPU; here hyparquet's page-level functions (page headers, decompression,
 * levels, PLAIN / dictionary / delta values) are used, and each page's values are placed into one typed array per
 * column, with a byte per row marking nulls. A unit is a row group's compressed column chunks, read by byte range,
 * so it can be sent to a worker (its buffers are transferred) and decoded there.
 */
import { parquetHeader } from 'hyparquet/src/column.js';
import { decompressPage, readDataPage, readDataPageV2 } from 'hyparquet/src/datapage.js';
import { readPlain } from 'hyparquet/src/plain.js';
import { readRleBitPackedHybrid } from 'hyparquet/src/encoding.js';
import { readVarInt } from 'hyparquet/src/thrift.js';
import type { ColumnDecoder, CompressionCodec, DataReader, DecodedArray, PageHeader, SchemaElement, SchemaTree } from 'hyparquet/src/types.js';
import { compressors } from 'hyparquet-compressors';
import type { ParquetFile } from './parquetInput.js';

/** The physical types the fast path decodes; a column of any other kind (or a converted one) goes the general way. */
const DENSE = { FLOAT: Float32Array, DOUBLE: Float64Array, INT32: Int32Array, INT64: BigInt64Array } as const;
type DenseType = keyof typeof DENSE;
export type DenseValues = Float32Array | Float64Array | Int32Array | BigInt64Array;

/** A column's values for a run of rows; where `nulls[r]` is 1, row r is null and its value means nothing. */
export interface ColumnValues {
  values: ArrayLike<unknown>;
  nulls: Uint8Array | null;
}

/** One column chunk's bytes and what decoding them needs (plain data: it crosses to a worker). */
export interface ColumnChunkBytes {
  /** The column's index in the plan. */
  column: number;
  bytes: Uint8Array;
  element: SchemaElement;
  codec: CompressionCodec;
}

/** A row group to score: its wanted column chunks, compressed, and where its rows are in the file. */
export interface ParquetUnit {
  source: string;
  /** 1-based row number of the group's first row in the file. */
  firstRow: number;
  rows: number;
  chunks: ColumnChunkBytes[];
}

/** Whether a column can be decoded here: flat, FLOAT/DOUBLE/INT32/INT64, no conversion but signed integer widths. */
export function isDenseColumn(field: SchemaTree | undefined): boolean {
  if (!field || field.children.length) return false;
  const e = field.element;
  if (e.repetition_type === 'REPEATED' || !e.type || !(e.type in DENSE)) return false;
  const converted = e.converted_type;
  if (converted !== undefined && !/^INT_(8|16|32|64)$/.test(converted)) return false;
  const logical = e.logical_type;
  return logical === undefined || (logical.type === 'INTEGER' && logical.isSigned);
}

/** The wanted columns' chunks of row group `g`, read from the file by byte range (never the whole file). */
export async function readUnit(pf: ParquetFile, g: number, wanted: number[], plan: { columns: string[] }, firstRow: number): Promise<ParquetUnit> {
  const group = pf.metadata.row_groups[g];
  const chunks = await Promise.all(
    wanted.map(async (c) => {
      const name = plan.columns[c];
      const chunk = group.columns.find((cc) => cc.meta_data?.path_in_schema.length === 1 && cc.meta_data.path_in_schema[0] === name);
      const meta = chunk?.meta_data;
      if (!meta) throw new Error(`row group ${g + 1} has no column ${JSON.stringify(name)}`);
      // A dictionary offset of 0 means none (some writers write 0 rather than leave it out), as hyparquet reads it.
      const from = Math.min(Number(meta.dictionary_page_offset || meta.data_page_offset), Number(meta.data_page_offset));
      const bytes = new Uint8Array(await pf.file.slice(from, from + Number(meta.total_compressed_size)));
      const element = pf.fields[pf.columns.names.indexOf(name)].element;
      return { column: c, bytes, element, codec: meta.codec };
    }),
  );
  return { source: pf.name, firstRow, rows: Number(group.num_rows), chunks };
}

const EMPTY = new Uint8Array(0);

/** Decodes a unit's chunks: the columns by plan index (sparse). */
export function decodeUnit(unit: ParquetUnit): ColumnValues[] {
  const cols: ColumnValues[] = [];
  for (const chunk of unit.chunks) {
    cols[chunk.column] = decodeChunk(chunk, unit.rows);
    chunk.bytes = EMPTY;
  }
  return cols;
}

/** A column chunk's pages → one typed array of `rows` values and its nulls. */
export function decodeChunk(chunk: ColumnChunkBytes, rows: number): ColumnValues {
  const { bytes, element, codec } = chunk;
  const type = element.type as DenseType;
  const leaf: SchemaTree = { element, children: [], count: 1, path: [element.name] };
  const decoder: ColumnDecoder = {
    pathInSchema: [element.name],
    type,
    element,
    schemaPath: [{ element: { name: 'schema' }, children: [leaf], count: 2, path: [] }, leaf],
    codec,
    parsers: undefined as never, // only conversion uses them, and the fast path converts nothing
    compressors,
  };
  const out = { values: new DENSE[type](rows) as DenseValues, nulls: null as Uint8Array | null, row: 0 };
  const reader = { view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), offset: 0 };
  let dictionary: DecodedArray | undefined;
  while (out.row < rows && reader.offset < bytes.length) {
    const header = parquetHeader(reader);
    const page = bytes.subarray(reader.offset, reader.offset + header.compressed_page_size);
    reader.offset += header.compressed_page_size;
    if (header.type === 'DICTIONARY_PAGE') {
      const plain = decompressPage(page, header.uncompressed_page_size, codec, compressors);
      const view = { view: new DataView(plain.buffer, plain.byteOffset, plain.byteLength), offset: 0 };
      dictionary = readPlain(view, type, header.dictionary_page_header!.num_values, element.type_length);
    } else if (header.type === 'DATA_PAGE' || header.type === 'DATA_PAGE_V2') {
      placePage(out, header, page, decoder, dictionary, rows);
    }
  }
  if (out.row !== rows) throw new Error(`column ${JSON.stringify(element.name)} has ${out.row} values for ${rows} rows`);
  return { values: out.values, nulls: out.nulls };
}

interface Placing {
  values: DenseValues;
  nulls: Uint8Array | null;
  /** Rows placed so far. */
  row: number;
}

/** One data page's values placed at `out.row` (dictionary indexes looked up, nulls marked). */
function placePage(out: Placing, header: PageHeader, page: Uint8Array, decoder: ColumnDecoder, dictionary: DecodedArray | undefined, rows: number): void {
  const { flags, dataPage, encoding, count: pageCount } = readPage(header, page, decoder);
  const count = Math.min(pageCount, rows - out.row);
  const indexed = encoding === 'PLAIN_DICTIONARY' || encoding === 'RLE_DICTIONARY';
  if (indexed && !dictionary) throw new Error(`column ${JSON.stringify(decoder.element.name)}: a dictionary-encoded page without a dictionary`);
  const values = out.values as unknown as unknown[];
  const at = out.row;
  if (flags) {
    // Nulls in this page: values are only stored for the rows that have one.
    out.nulls ??= new Uint8Array(rows);
    for (let i = 0, k = 0; i < count; i++) {
      if (flags[i] === 1) out.nulls[at + i] = 1;
      else values[at + i] = indexed ? dictionary![dataPage[k++] as number] : dataPage[k++];
    }
  } else if (indexed) {
    for (let i = 0; i < count; i++) values[at + i] = dictionary![dataPage[i] as number];
  } else if (dataPage instanceof Uint8Array) {
    // PLAIN values as stored: their bytes straight into place (no aligned copy first)
    const width = out.values.BYTES_PER_ELEMENT;
    new Uint8Array(out.values.buffer, out.values.byteOffset + at * width, count * width).set(dataPage.subarray(0, count * width));
  } else if (dataPage.constructor === out.values.constructor) {
    out.values.set((dataPage.length === count ? dataPage : (dataPage as DenseValues).subarray(0, count)) as never, at);
  } else {
    for (let i = 0; i < count; i++) values[at + i] = dataPage[i];
  }
  out.row += count;
}

interface Page {
  /** 1 where the page's row i is null; null when no row is. */
  flags: Uint8Array | null;
  /** The stored values (or dictionary indexes), nulls left out. */
  dataPage: DecodedArray;
  encoding: string;
  count: number;
}

/**
 * A page's levels and values. Version 1 pages with PLAIN or dictionary values are read here: their definition
 * levels (bit width 1 in a flat column) become null flags without an array of levels, which hyparquet builds and
 * counts for every page; other pages are read by hyparquet and their levels turned into flags.
 */
function readPage(header: PageHeader, page: Uint8Array, decoder: ColumnDecoder): Page {
  const v1 = header.data_page_header;
  if (v1 && (v1.encoding === 'PLAIN' || v1.encoding === 'PLAIN_DICTIONARY' || v1.encoding === 'RLE_DICTIONARY')) {
    const bytes = decompressPage(page, header.uncompressed_page_size, decoder.codec, decoder.compressors);
    const reader = { view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), offset: 0 };
    const count = v1.num_values;
    const { flags, nulls } = decoder.element.repetition_type === 'REQUIRED' ? { flags: null, nulls: 0 } : readNullFlags(reader, count);
    const stored = count - nulls;
    let dataPage: DecodedArray;
    if (v1.encoding === 'PLAIN' && flags === null) {
      // The values' bytes as they are: placePage copies them into place (readPlain would copy them to align first).
      const end = reader.offset + stored * DENSE[decoder.type as DenseType].BYTES_PER_ELEMENT;
      if (end > bytes.length) throw new Error(`a page of ${decoder.element.name} ends before its ${stored} values`);
      dataPage = bytes.subarray(reader.offset, end);
    } else if (v1.encoding === 'PLAIN') {
      dataPage = readPlain(reader, decoder.type, stored, decoder.element.type_length);
    } else {
      const bitWidth = reader.view.getUint8(reader.offset++);
      dataPage = new Int32Array(stored);
      if (bitWidth) readRleBitPackedHybrid(reader, bitWidth, dataPage, bytes.length - reader.offset);
    }
    return { flags, dataPage, encoding: v1.encoding, count };
  }
  const { definitionLevels, dataPage } = v1
    ? readDataPage(decompressPage(page, header.uncompressed_page_size, decoder.codec, decoder.compressors), v1, decoder)
    : readDataPageV2(page, header, decoder);
  const count = (v1 ?? header.data_page_header_v2!).num_values;
  const flags = definitionLevels?.length ? Uint8Array.from(definitionLevels, (d) => (d === 1 ? 0 : 1)) : null;
  return { flags, dataPage, encoding: (v1 ?? header.data_page_header_v2!).encoding, count };
}

/**
 * The definition levels of a flat optional column (RLE / bit-packed hybrid, bit width 1, after a 4-byte length)
 * as null flags: allocated only when a level is 0 (DuckDB writes a column without nulls as one run of 1s).
 */
function readNullFlags(reader: DataReader, count: number): { flags: Uint8Array | null; nulls: number } {
  const { view } = reader;
  const end = reader.offset + 4 + view.getUint32(reader.offset, true);
  reader.offset += 4;
  let flags: Uint8Array | null = null;
  let nulls = 0;
  for (let seen = 0; seen < count && reader.offset < end; ) {
    const header = readVarInt(reader);
    if (header & 1) {
      // bit-packed: groups of 8 levels, one byte each
      for (let g = header >>> 1; g > 0; g--, seen += 8) {
        const byte = view.getUint8(reader.offset++);
        if (byte === 0xff) continue;
        for (let b = 0; b < 8 && seen + b < count; b++) {
          if (((byte >>> b) & 1) === 0) {
            (flags ??= new Uint8Array(count))[seen + b] = 1;
            nulls++;
          }
        }
      }
    } else {
      const run = Math.min(header >>> 1, count - seen);
      if (view.getUint8(reader.offset++) === 0) {
        (flags ??= new Uint8Array(count)).fill(1, seen, seen + run);
        nulls += run;
      }
      seen += run;
    }
  }
  reader.offset = end;
  return { flags, nulls };
}
