/**
 * Output formats: how the rows of one chunk become text. A formatter works on one chunk at a time
 * (so it can run beside the scorer, in a worker) and the writer adds the header/footer once.
 */
import { stringify } from 'csv-stringify/sync';
import { cellText, jsonText, type ValueText } from './values.js';

export type OutputFormat = 'csv' | 'tsv' | 'jsonl' | 'json';

/** One input record on its way out. `values[k]` is output k's values for this record, or null if it failed. */
export interface OutputRow {
  keep: unknown[];
  values: ArrayLike<unknown>[] | null;
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
  head(layout: OutputLayout): string;
  /** Text of one chunk's rows; `first` tells whether any row was written before (JSON separators). */
  rows(rows: OutputRow[], layout: OutputLayout, first: boolean): string;
  /** Text after the last row, given every failed record's index and message (the JSON document's `errors`). */
  tail(errors: Array<[number, string]>): string;
}

export function rowFormatter(format: OutputFormat): RowFormatter {
  switch (format) {
    case 'csv': return delimitedFormatter(',');
    case 'tsv': return delimitedFormatter('\t');
    case 'jsonl': return jsonlFormatter();
    case 'json': return jsonFormatter();
  }
}

function delimitedFormatter(delimiter: string): RowFormatter {
  // csv-stringify writes any row with a cell that needs quoting; other rows are concatenated directly, which the
  // benchmark showed to matter at a million rows. Printed numbers and booleans never need quoting, so only kept
  // cells and string outputs are checked.
  const needsQuotes = new RegExp(`["\\r\\n${delimiter === '\t' ? '\\t' : delimiter}]`);
  const quoted = (cells: string[]) => stringify([cells], { delimiter, record_delimiter: '\n' });
  const plain = (cells: string[]) => (cells.some((c) => needsQuotes.test(c)) ? quoted(cells) : `${cells.join(delimiter)}\n`);
  return {
    head: (layout) => plain([...layout.keepNames, ...layout.columnNames.flat()]),
    rows(rows, layout) {
      const cell = layout.outputTypes.map(cellText);
      const checkOutputs = layout.outputTypes.some((t) => t === 'string');
      let out = '';
      for (const row of rows) {
        const keep = row.keep.map((v) => (v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v)));
        const values: string[] = [];
        layout.sizes.forEach((size, k) => {
          const vals = row.values?.[k];
          for (let j = 0; j < size; j++) values.push(vals ? cell[k](vals[j]) : '');
        });
        const risky = keep.some((c) => needsQuotes.test(c)) || (checkOutputs && values.some((c) => needsQuotes.test(c)));
        out += risky ? quoted([...keep, ...values]) : `${keep.length ? keep.join(delimiter) + delimiter : ''}${values.join(delimiter)}\n`;
      }
      return out;
    },
    tail: () => '',
  };
}

/** `{keep…, output: value | [values] | null}` for one record. */
function jsonObject(row: OutputRow, layout: OutputLayout, json: ValueText[]): string {
  const parts: string[] = layout.keepNames.map((name, i) => `${JSON.stringify(name)}:${row.keep[i] === undefined ? 'null' : JSON.stringify(row.keep[i])}`);
  layout.outputNames.forEach((name, k) => parts.push(`${JSON.stringify(name)}:${predictionJson(row, layout, json, k)}`));
  return `{${parts.join(',')}}`;
}

function predictionJson(row: OutputRow, layout: OutputLayout, json: ValueText[], k: number): string {
  const vals = row.values?.[k];
  if (!vals) return 'null';
  if (!layout.isArray[k]) return json[k](vals[0]);
  const items: string[] = [];
  for (let j = 0; j < layout.sizes[k]; j++) items.push(json[k](vals[j]));
  return `[${items.join(',')}]`;
}

function jsonlFormatter(): RowFormatter {
  return {
    head: () => '',
    rows(rows, layout) {
      const json = layout.outputTypes.map(jsonText);
      return rows.map((row) => `${jsonObject(row, layout, json)}\n`).join('');
    },
    tail: () => '',
  };
}

/** The Batch Processing API's response: `{"predictions": [...], "errors": {"<index>": "message"}}`. */
function jsonFormatter(): RowFormatter {
  return {
    head: () => '{"predictions":[',
    rows(rows, layout, first) {
      const json = layout.outputTypes.map(jsonText);
      const single = layout.outputNames.length === 1 && layout.keepNames.length === 0;
      const items = rows.map((row) => {
        if (single) return predictionJson(row, layout, json, 0);
        return row.values || layout.keepNames.length ? jsonObject(row, layout, json) : 'null';
      });
      if (!items.length) return '';
      return (first ? '\n' : ',\n') + items.join(',\n');
    },
    tail(errors) {
      const entries = errors.map(([i, message]) => `${JSON.stringify(String(i))}:${JSON.stringify(message)}`);
      return `\n],"errors":{${entries.join(',')}}}\n`;
    },
  };
}
