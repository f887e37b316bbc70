/** A scored chunk or block → the text to write and what the writer counts; the same in the main thread and in workers. */
import type { OutputLayout, RowFormatter } from '../output/formatters.js';
import type { SidecarEntry } from '../output/sidecar.js';
import type { ChunkResult } from './processChunk.js';

export interface FormattedChunk {
  text: string | Uint8Array;
  errors: SidecarEntry[];
  scored: number;
  /** Output rows in `text`. */
  rows: number;
  /** Records read. */
  records: number;
  calls: number;
  /** 0-based index in the chunk and message of each failed record (the JSON document's `errors`). */
  failed: Array<[number, string]>;
}

export function formatChunk(result: ChunkResult, formatter: RowFormatter, layout: OutputLayout, first: boolean): FormattedChunk {
  return {
    text: formatter.rows(result.rows, layout, first),
    errors: result.errors,
    scored: result.scored,
    rows: result.rows.length,
    records: result.records,
    calls: result.calls,
    failed: result.failed,
  };
}

/** A block's batches, formatted one by one; their sidecar entries' rows and lines count from the block's start. */
export interface FormattedBlock {
  parts: FormattedChunk[];
  /** Lines in the block. */
  lines: number;
}
