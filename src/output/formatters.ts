/**
 * Output formats: how the rows of one batch become text. A formatter works on one batch at a time
 * (so it can run beside the scorer, in a worker) and the writer adds the header/footer once.
 */
import { stringify } from 'csv-stringify/sync';
import { cellText, jsonText, type ValueText } from '../formats/values.js';
import { ByteWriter } from './byteWriter.js';
import type { EncodedGroup, GroupBuilder, ParquetSettings } from './parquetOutput.js';

export type { EncodedGroup, GroupBuilder };

/** `none`: predictions are not written (batch-score profile, whose output is the profile). */
export type OutputFormat = 'csv' | 'tsv' | 'jsonl' | 'json' | 'parquet' | 'none';

/** One model output's values for the records of one model call: record r's are data[r * size, (r + 1) * size). */
export interface OutputValues {
  data: ArrayLike<unknown>;
  size: number;
}

/** One input record on its way out: its --keep values, and the outputs of the call that scored it (null if it failed). */
export interface OutputRow {
  keep: unknown[];
  scored: OutputValues[] | null;
  /** The record's position in that call. */
  at: number;
}

/** Value j of output k of a scored row. */
function valueOf(row: OutputRow, k: number, j: number): unknown {
  const o = row.scored![k];
  return o.data[row.at * o.size + j];
}

export interface OutputLayout {
  keepNames: string[];
  outputNames: string[];
  outputTypes: string[];
  /** Values per record for each output (failed rows get this many empty cells). */
  sizes: number[];
  /** CSV column names of each output, in order. */
  columnNames: string[][];
  /** Whether output k is a per-record array (`[N,K]`), for JSON. */
  isArray: boolean[];
}

export interface RowFormatter {
  /** Text before the first row (a CSV header, the JSON document's opening). */
  head(layout: OutputLayout): string | Uint8Array;
  /** Text of one batch's rows (as bytes where that is faster). */
  rows(rows: OutputRow[], layout: OutputLayout): string | Uint8Array;
  /** Written between the texts of two batches (the JSON document's comma), by the ordered writer. */
  separator?: string;
  /** Parquet, a row group per unit: a row group of its own, made batch by batch (used instead of rows()). */
  groupBuilder?(layout: OutputLayout, capacity: number): GroupBuilder;
  /** The bytes to write for a row group made by groupBuilder() (here or in a worker), recorded for the footer. */
  place?(encoded: EncodedGroup): Uint8Array;
  /** Text after the last row, given every failed record's index and message (the JSON document's `errors`). */
  tail(errors: Array<[number, string]>): string | Uint8Array;
  /** tail() writes the failures (the JSON document): the writer gathers them only then. */
  listsFailures?: boolean;
  /**
   * After each block of records (Parquet gathered from CSV, TSV, JSONL): what to write there (a row group that ends
   * at that block). Its presence says the output's bytes depend on where blocks end.
   */
  endBlock?(): Uint8Array;
  /** What a --resume checkpoint keeps to go on from here (JSON); null: no checkpoint can fall here. */
  checkpoint?(): unknown;
  /** Goes on from a checkpoint's state (before anything is written). */
  restore?(state: unknown): void;
}

let parquetOutput: typeof import('./parquetOutput.js') | null = null;

/**
 * Loads what a format's formatter needs before rowFormatter() makes one (in each thread that formats): the Parquet
 * writer's modules are loaded only by a run that writes Parquet.
 */
export async function loadFormatter(format: OutputFormat): Promise<void> {
  if (format === 'parquet') parquetOutput ??= await import('./parquetOutput.js');
}

/** `settings` matter to Parquet output only (compression, the input's column types). */
export function rowFormatter(format: OutputFormat, settings: ParquetSettings = { compression: 'snappy', columns: null }): RowFormatter {
  switch (format) {
    case 'parquet':
      if (parquetOutput === null) throw new Error('internal: a Parquet formatter was asked for before loadFormatter(\'parquet\')');
      return parquetOutput.parquetFormatter(settings);
    case 'csv': return delimitedFormatter(',');
    case 'tsv': return delimitedFormatter('\t');
    case 'jsonl': return jsonlFormatter();
    case 'json': return jsonFormatter();
    case 'none': return { head: () => '', rows: () => '', tail: () => '' };
  }
}

function delimitedFormatter(delimiter: string): RowFormatter {
  // Rows are written straight as bytes, which the benchmark showed to matter at a million rows; a row with a cell
  // that needs quoting is taken back and written by csv-stringify instead. Printed numbers and booleans never need
  // quoting, so only kept cells and string outputs are checked.
  const needsQuotes = new RegExp(`["\\r\\n${delimiter === '\t' ? '\\t' : delimiter}]`);
  // csv-stringify quotes a field holding the record delimiter (LF) but not a lone CR, which readers that take CR as a
  // line end (Excel for Mac, csv-parse's auto-detection, batch-score itself) would split the row at.
  const quoted = (cells: string[]) => stringify([cells], { delimiter, record_delimiter: '\n', quoted_match: /\r/ });
  const plain = (cells: string[]) => (cells.some((c) => needsQuotes.test(c)) ? quoted(cells) : `${cells.join(delimiter)}\n`);
  const delim = delimiter.charCodeAt(0);
  return {
    head: (layout) => plain([...layout.keepNames, ...layout.columnNames.flat()]),
    rows(rows, layout) {
      const cell = layout.outputTypes.map(cellText);
      const float32 = layout.outputTypes.map((t) => t === 'float32');
      const checked = layout.outputTypes.map((t) => t === 'string');
      const out = new ByteWriter(rows.length * 32);
      const separator = () => (delim < 0x80 ? out.byte(delim) : out.text(delimiter));

      /** Writes the row unquoted; false when a cell needs quotes. */
      const writePlain = (row: OutputRow): boolean => {
        let first = true;
        for (const v of row.keep) {
          if (!first) separator();
          first = false;
          if (!out.cell(keepText(v), delim)) return false;
        }
        for (let k = 0; k < layout.sizes.length; k++) {
          for (let j = 0; j < layout.sizes[k]; j++) {
            if (!first) separator();
            first = false;
            if (!row.scored) continue;
            const v = valueOf(row, k, j);
            if (float32[k]) out.float32(v as number);
            else if (!checked[k]) out.text(cell[k](v));
            else if (!out.cell(cell[k](v), delim)) return false;
          }
        }
        out.byte(10);
        return true;
      };
      const cells = (row: OutputRow): string[] => {
        const all = row.keep.map(keepText);
        layout.sizes.forEach((size, k) => {
          for (let j = 0; j < size; j++) all.push(row.scored ? cell[k](valueOf(row, k, j)) : '');
        });
        return all;
      };

      for (const row of rows) {
        const start = out.position;
        if (writePlain(row)) continue;
        out.rewind(start);
        out.text(quoted(cells(row)));
      }
      return out.bytes();
    },
    tail: () => '',
  };
}

/** A kept value as a CSV cell. */
function keepText(v: unknown): string {
  if (typeof v === 'bigint') return v.toString();
  return v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v, bigintDigits);
}

/** int64 values (a Parquet input's kept INT64 columns) as their exact digits. */
function bigintDigits(_key: string, v: unknown): unknown {
  return typeof v === 'bigint' ? v.toString() : v;
}

/** A kept value as JSON: int64 (bigint) as its exact digits. */
function keepJson(v: unknown): string {
  if (v === undefined) return 'null';
  return typeof v === 'bigint' ? v.toString() : JSON.stringify(v, bigintDigits);
}

/** `{keep…, output: value | [values] | null}` for one record. */
function jsonObject(row: OutputRow, layout: OutputLayout, json: ValueText[]): string {
  const parts: string[] = layout.keepNames.map((name, i) => `${JSON.stringify(name)}:${keepJson(row.keep[i])}`);
  layout.outputNames.forEach((name, k) => parts.push(`${JSON.stringify(name)}:${predictionJson(row, layout, json, k)}`));
  return `{${parts.join(',')}}`;
}

function predictionJson(row: OutputRow, layout: OutputLayout, json: ValueText[], k: number): string {
  if (!row.scored) return 'null';
  if (!layout.isArray[k]) return json[k](valueOf(row, k, 0));
  const items: string[] = [];
  for (let j = 0; j < layout.sizes[k]; j++) items.push(json[k](valueOf(row, k, j)));
  return `[${items.join(',')}]`;
}

function jsonlFormatter(): RowFormatter {
  return {
    head: () => '',
    rows(rows, layout) {
      // The same text as jsonObject, written as bytes: float32 predictions need no string of their own.
      const json = layout.outputTypes.map(jsonText);
      const float32 = layout.outputTypes.map((t) => t === 'float32');
      const keeps = layout.keepNames.length;
      const names = [...layout.keepNames, ...layout.outputNames].map((n, i) => `${i === 0 ? '{' : ','}${JSON.stringify(n)}:`);
      const out = new ByteWriter(rows.length * 48);
      const value = (row: OutputRow, k: number, j: number): void => {
        const v = valueOf(row, k, j);
        if (float32[k] && Number.isFinite(v)) out.float32(v as number);
        else out.text(json[k](v));
      };
      for (const row of rows) {
        for (let i = 0; i < keeps; i++) {
          out.text(names[i]);
          if (row.keep[i] === undefined) out.text('null');
          else out.json(row.keep[i]);
        }
        for (let k = 0; k < layout.outputNames.length; k++) {
          out.text(names[keeps + k]);
          if (!row.scored) {
            out.text('null');
          } else if (!layout.isArray[k]) {
            value(row, k, 0);
          } else {
            out.byte(0x5b); // [
            for (let j = 0; j < layout.sizes[k]; j++) {
              if (j > 0) out.byte(0x2c); // ,
              value(row, k, j);
            }
            out.byte(0x5d); // ]
          }
        }
        out.text('}\n');
      }
      return out.bytes();
    },
    tail: () => '',
  };
}

/** The Batch Processing API's response: `{"predictions": [...], "errors": {"<index>": "message"}}`. */
function jsonFormatter(): RowFormatter {
  return {
    head: () => '{"predictions":[',
    rows(rows, layout) {
      const json = layout.outputTypes.map(jsonText);
      const single = layout.outputNames.length === 1 && layout.keepNames.length === 0;
      const items = rows.map((row) => {
        if (single) return predictionJson(row, layout, json, 0);
        return row.scored || layout.keepNames.length ? jsonObject(row, layout, json) : 'null';
      });
      if (!items.length) return '';
      return '\n' + items.join(',\n');
    },
    separator: ',',
    listsFailures: true,
    tail(errors) {
      const entries = errors.map(([i, message]) => `${JSON.stringify(String(i))}:${JSON.stringify(message)}`);
      return `\n],"errors":{${entries.join(',')}}}\n`;
    },
  };
}
