/**
 * Input formats: where a source's records end, where the column names come from, and how records become cells
 * (the byte readers, and the exact general reader that decides what they decline).
 */
import { RunError, oneLine, someNames } from '../errors.js';
import type { Options, RecordFormat } from '../options.js';
import { formatFromPath, sniffFormat } from '../formats/detect.js';
import { LoneCrs, type RawRecord } from './recordRules.js';
import { parseCsvHeader, parseCsvFields, parseCsvRecords, type ParsedRecord } from './csvRecords.js';
import { csvFastFill, type FastFill } from './csvFastFill.js';
import { csvBlockFill, type BlockFill } from './csvBlockFill.js';
import { jsonBlockFill } from './jsonBlockFill.js';
import { recordBounds, type RecordBounds } from './recordBounds.js';
import { leadingCsvFields, leadingJsonCells } from './leadingCells.js';
import type { SchemaElement } from './parquetInput.js';
import { isParquetMagic } from './parquetMagic.js';

import type { FeaturePlan } from '../model/featurePlan.js';
import { jsonColumns, parseJsonRecords, readJsonDocument, recordValue, type JsonDocument } from './jsonRecords.js';

export interface Columns {
  names: string[];
  /** Whether the first record was a header (and is not a record). */
  header: boolean;
  /** Parquet: each column's schema element, which typed output keeps. */
  types?: SchemaElement[];
}

export interface InputFormat {
  name: RecordFormat;
  /** A whole-document format is read at once instead of being split into records. */
  document?: (text: string, source: string) => JsonDocument;
  /** Column names from the first records of a source; null while they cannot be told yet. */
  columns(records: RawRecord[], source: string): Columns | null;
  parser(columns: string[]): (records: RawRecord[]) => ParsedRecord[];
  /** A hot path for the plan's common records, when the format has one. */
  fastFill(plan: FeaturePlan): FastFill | null;
  /** The same hot path on bytes (records still in a block). */
  blockFill(plan: FeaturePlan): BlockFill | null;
  /** Where records end in its bytes (a new scan for each stream of bytes). */
  recordBounds(): RecordBounds;
  /** Whether a lone CR ends a line (CSV, as classic Mac and Excel for Mac write; in JSONL it is whitespace). */
  loneCrs: boolean;
  /** What turns the lone CRs outside quoted fields into LF as bytes stream by (null: none to turn). */
  newLoneCrs(): LoneCrs | null;
  /** The cells that can be read from the start of a record that cannot be parsed (see leadingCells.ts). */
  leadingCells(text: string, columns: string[]): unknown[];
}

export interface FormatSettings {
  /** null: `,` for CSV, tab for TSV. */
  delimiter: string | null;
  header: boolean;
  maxRecordLength: number;
  /** The columns named on the command line (--features then --keep), which JSON objects are read by. */
  named: string[] | null;
}

export function inputFormat(name: RecordFormat, settings: FormatSettings): InputFormat {
  if (name === 'csv' || name === 'tsv') return csvFormat(name, settings.delimiter ?? (name === 'tsv' ? '\t' : ','), settings);
  if (name === 'parquet') return parquetFormat();
  return jsonFormat(name, settings);
}

function csvFormat(name: RecordFormat, delimiter: string, { header, maxRecordLength }: FormatSettings): InputFormat {
  return {
    name,
    columns(records, source) {
      if (records.length === 0) return null;
      if (!header) {
        // --no-header: columns are named by 1-based position, from the first record's width.
        let width = 1;
        try {
          width = parseCsvFields(records[0].text, delimiter)[0]?.length ?? 1;
        } catch {
          // a malformed first record fails on its own; its width is a guess
        }
        return { names: Array.from({ length: width }, (_, i) => String(i + 1)), header: false };
      }
      if (records[0].tooLarge !== undefined) throw new RunError('INPUT', `the header of ${source} is longer than --max-record-bytes`);
      let names: string[];
      try {
        names = parseCsvHeader(records[0], delimiter);
      } catch (err) {
        throw new RunError('INPUT', `cannot read the header of ${source}: ${oneLine(err)}`);
      }
      const dups = duplicates(names);
      if (dups.length) {
        const which = dups.length === 1 ? someNames(dups) : `${dups.length.toLocaleString('en-US')} columns (${someNames(dups)})`;
        throw new RunError('INPUT', `the header of ${source} names ${which} more than once; column names must be unique`);
      }
      return { names, header: true };
    },
    parser: (columns) => (records) => parseCsvRecords(records, delimiter, columns.length),
    fastFill: (plan) => csvFastFill(plan, delimiter),
    blockFill: (plan) => csvBlockFill(plan, delimiter),
    // Line breaks outside quoted fields.
    recordBounds: () => recordBounds(delimiter, maxRecordLength),
    loneCrs: true,
    newLoneCrs: () => new LoneCrs(delimiter.charCodeAt(0), maxRecordLength),
    leadingCells: (text) => leadingCsvFields(text, delimiter),
  };
}

function jsonFormat(name: RecordFormat, { named }: FormatSettings): InputFormat {
  return {
    name,
    document: name === 'json' ? readJsonDocument : undefined,
    columns(records) {
      // The first record that is an object or an array names the columns (objects: by --features/--keep when
      // given, else by its keys; arrays: by position); records before it are held.
      for (const r of records) {
        if (r.tooLarge !== undefined) continue;
        const parsed = recordValue(r);
        const names = 'value' in parsed ? jsonColumns(parsed.value) : null;
        if (names) return { names: named && !Array.isArray((parsed as { value: unknown }).value) ? named : names, header: false };
      }
      return null;
    },
    parser: (columns) => (records) => parseJsonRecords(records, columns),
    fastFill: () => null,
    blockFill: (plan) => (name === 'json' ? null : jsonBlockFill(plan)),
    // JSONL: a record is exactly a line (a JSON string cannot hold a raw line break). A JSON document is read whole.
    recordBounds: () => recordBounds(null),
    loneCrs: false,
    newLoneCrs: () => null,
    leadingCells: leadingJsonCells,
  };
}

/**
 * Parquet is read by the runner row group by row group (parquetSource.ts), never split as text; its records are
 * rows as objects (`value`), which the general path reads like JSON objects.
 */
function parquetFormat(): InputFormat {
  const notText = (): never => {
    throw new RunError('INTERNAL', 'Parquet input is not read as text');
  };
  return {
    name: 'parquet',
    columns: () => null,
    parser: (columns) => (records) => parseJsonRecords(records, columns),
    fastFill: () => null,
    blockFill: () => null,
    recordBounds: notText,
    loneCrs: false,
    newLoneCrs: () => null,
    leadingCells: leadingJsonCells, // (a row is always whole: never asked for)
  };
}

/** A source's format: --input-format, else the file's extension, else sniffed from its first bytes (`PAR1`: Parquet). */
export function sourceFormat(name: string, firstBytes: Uint8Array, options: Options): InputFormat {
  const sniffed = () => (isParquetMagic(firstBytes) ? 'parquet' : sniffFormat(new TextDecoder('utf-8', { ignoreBOM: true }).decode(firstBytes)));
  const format = options.inputFormat ?? (name === '-' ? null : formatFromPath(name)) ?? sniffed();
  // Tab-separated input is TSV whatever named it (so TSV in gives TSV out, as for a .tsv file).
  return inputFormat(format === 'csv' && options.delimiter === '\t' ? 'tsv' : format, formatSettings(options));
}

export function formatSettings(options: Options): FormatSettings {
  const named = options.features ? [...options.features, ...options.keep.filter((k) => !options.features!.includes(k))] : null;
  return { delimiter: options.delimiter, header: options.header, named, maxRecordLength: options.maxRecordBytes };
}

/** Names given more than once, each once, in order of first repeat: one pass with a Set (a header can be 100,000 wide). */
function duplicates(names: readonly string[]): string[] {
  const seen = new Set<string>();
  const repeated = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) repeated.add(name);
    else seen.add(name);
  }
  return [...repeated];
}
