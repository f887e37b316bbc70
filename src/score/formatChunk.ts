/** A scored chunk or block → the text to write and what the writer counts; the same in the main thread and in workers. */
import type { EncodedGroup, OutputLayout, RowFormatter } from '../output/formatters.js';
import type { SidecarEntry } from '../output/sidecar.js';
import type { ChunkResult } from './processChunk.js';
import type { MonitorPartial } from '../monitor/runMonitor.js';

export interface FormattedChunk {
  text: string | Uint8Array;
  /** When `text` is an encoded Parquet row group: its metadata, for the writer's formatter to place (see place()). */
  rowGroup?: EncodedGroup['group'];
  errors: SidecarEntry[];
  scored: number;
  /** Output rows in `text`. */
  rows: number;
  /** Records read. */
  records: number;
  calls: number;
  /** 0-based index in the chunk and message of each failed record (the JSON document's `errors`). */
  failed: Array<[number, string]>;
  /** The chunk's partial profile and agreement, when the run monitors (a block's are on the block). */
  monitor?: MonitorPartial;
}

export function formatChunk(result: ChunkResult, formatter: RowFormatter, layout: OutputLayout, first: boolean): FormattedChunk {
  let encoded: EncodedGroup | undefined;
  if (formatter.groupBuilder) {
    const builder = formatter.groupBuilder(layout, result.rows.length);
    builder.add(result.rows);
    encoded = builder.finish();
  }
  return formatEncoded(result, encoded ?? formatter.rows(result.rows, layout, first), result.rows.length);
}

/** A result whose rows are formatted already (`rows` of them): as text, or as an encoded Parquet row group. */
export function formatEncoded(result: ChunkResult, out: string | Uint8Array | EncodedGroup, rows: number): FormattedChunk {
  const encoded = typeof out !== 'string' && !(out instanceof Uint8Array);
  return {
    text: encoded ? out.bytes : out,
    ...(encoded ? { rowGroup: out.group } : {}),
    errors: result.errors,
    scored: result.scored,
    rows,
    records: result.records,
    calls: result.calls,
    failed: result.failed,
    ...(result.monitor ? { monitor: result.monitor } : {}),
  };
}

/** A block's batches, formatted one by one; their sidecar entries' rows and lines count from the block's start. */
export interface FormattedBlock {
  parts: FormattedChunk[];
  /** Lines in the block. */
  lines: number;
  monitor?: MonitorPartial;
}
