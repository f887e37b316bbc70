/**
 * Which format a source or an output is in: the flag wins; else a file's extension (`.csv`, `.tsv`, `.jsonl`,
 * `.ndjson`, `.json`, each optionally `.gz`); else, for input, the content is sniffed.
 */
import path from 'node:path';
import { RunError } from '../errors.js';
import type { RecordFormat } from '../options.js';

const EXTENSIONS: Record<string, RecordFormat> = { csv: 'csv', tsv: 'tsv', jsonl: 'jsonl', ndjson: 'jsonl', json: 'json', parquet: 'parquet' };

export function formatFromPath(file: string): RecordFormat | null {
  const m = /\.([a-z]+)(\.gz)?$/i.exec(file);
  return m ? (EXTENSIONS[m[1].toLowerCase()] ?? null) : null;
}

export function isGzipPath(file: string): boolean {
  return /\.gz$/i.test(file);
}

/**
 * UTF-16 (and UTF-32) text starts with a byte order mark FF FE or FE FF; read as UTF-8 every record would fail
 * with a value full of NULs, so the run stops and says how to convert it.
 */
export function checkEncoding(bytes: Uint8Array, source: string): void {
  if (bytes.length < 2) return;
  const le = bytes[0] === 0xff && bytes[1] === 0xfe;
  if (!le && !(bytes[0] === 0xfe && bytes[1] === 0xff)) return;
  const what = source === '-' ? 'standard input' : source;
  throw new RunError('INPUT', `${what} is UTF-16 (it starts with the byte order mark ${le ? 'FF FE' : 'FE FF'}) and batch-score reads UTF-8: convert it first, e.g. iconv -f UTF-16 -t UTF-8`);
}

/**
 * Sniffs decoded text (gzip is already undone) by its first non-blank character and its first line:
 * - `{`: JSON lines, unless the first line is not a whole JSON value (a pretty-printed document) or is an object
 *   with the keys of a batch request (`inputs`, or `schema` + `datum`): a JSON document;
 * - `[`: JSON lines of positional records (`[1,2,3]`), unless the next non-blank character is `{`, `[` or `]`: an
 *   array of records (`[{…},{…}]` as pandas `orient="records"` and `jq -s` write, `[[…],[…]]`, or `[]`), read
 *   as a JSON document whose elements are the records (told from its start: it may be one line of any length);
 * - anything else: TSV when the first line has tabs and no commas, else CSV.
 */
export function sniffFormat(text: string): RecordFormat {
  const start = text.search(/\S/);
  if (start < 0) return 'csv';
  const end = text.indexOf('\n', start);
  const firstLine = end < 0 ? text.slice(start) : text.slice(start, end);
  const c = text[start];
  if (c === '[') return /^\[\s*[[{\]]/.test(text.slice(start, start + 4096)) ? 'json' : 'jsonl';
  if (c !== '{') return firstLine.includes('\t') && !firstLine.includes(',') ? 'tsv' : 'csv';
  try {
    const obj = JSON.parse(firstLine) as Record<string, unknown>;
    return Array.isArray(obj.inputs) || (Array.isArray(obj.schema) && Array.isArray(obj.datum)) ? 'json' : 'jsonl';
  } catch {
    return end < 0 ? 'jsonl' : 'json';
  }
}

/**
 * The output format: the flag, else the output's extension, else (no extension) the input's family. An extension
 * batch-score does not write is a usage error: `-o preds.xlsx` must not silently get CSV.
 */
export function outputFormatFor(flag: RecordFormat | null, output: string | null, input: RecordFormat): RecordFormat {
  if (flag) return flag;
  if (output !== null) {
    const byExt = formatFromPath(output);
    if (byExt) return byExt;
    const ext = /\.([^./]+)$/.exec(path.basename(output))?.[1];
    if (ext !== undefined && !output.startsWith('/dev/')) {
      throw new RunError('USAGE', `batch-score does not write .${ext} files (-o ${output}): name the output .csv, .tsv, .jsonl, .json or .parquet, or give --output-format`);
    }
  }
  return input;
}

export function parseFormat(flag: string, value: string): RecordFormat {
  const f = value.toLowerCase();
  if (f === 'csv' || f === 'tsv' || f === 'jsonl' || f === 'json' || f === 'parquet') return f;
  if (f === 'ndjson') return 'jsonl';
  throw new RunError('USAGE', `${flag} must be one of csv, tsv, jsonl, json, parquet, got ${JSON.stringify(value)}`);
}
