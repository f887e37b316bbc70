/**
 * A unit of work's partial profile: every model input column as fed to the model and every prediction column, from
 * the feeds the unit already built and the outputs the model returned. Pure: knows nothing of threads or streams;
 * the partial it gives is plain data (sent from a worker as is) that RunProfile merges.
 */
import { CategoricalColumn, NumericColumn, emptyColumn, type Column, type ColumnKind, type ColumnPartial } from './columns.js';

/** Element types read as categories (a label, a flag, a string), not as numbers. */
const CATEGORICAL_INPUTS = new Set(['string', 'bool']);
/** Output element types that are labels (a classifier's label output), as serve's shadow mode reads them. */
export const LABEL_TYPES = new Set(['int64', 'int32', 'string', 'bool', 'uint8']);

/** What a unit needs to profile: made once per run in the main thread, sent to workers with the plan. */
export interface ProfileSetup {
  /** Per model input fed: its element type and the names of its values (one per column fed, in order). */
  feeds: Array<{ type: string; names: string[] }>;
  /** Per model output: its element type. */
  outputs: Array<{ type: string }>;
  /** The baseline's [min, max] per input column (flattened over the feeds), null where there is none. */
  inputRanges: Array<[number, number] | null> | null;
  /** The same per prediction column, by output and value index. */
  outputRanges: Array<Array<[number, number] | null>> | null;
}

export interface ProfilePartial {
  inputs: ColumnPartial[];
  /** Per output, per value of a record. */
  outputs: ColumnPartial[][];
}

/** The values a unit fed (row-major, `width` per record) or a model output returned (`size` per record). */
type Values = ArrayLike<unknown>;

export function inputKind(type: string): ColumnKind {
  return CATEGORICAL_INPUTS.has(type) ? 'categorical' : 'numeric';
}

export function outputKind(type: string): ColumnKind {
  return LABEL_TYPES.has(type) ? 'categorical' : 'numeric';
}

export class Profiler {
  private readonly inputs: Column[];
  private readonly outputs: Column[][];

  constructor(private readonly setup: ProfileSetup) {
    let i = 0;
    this.inputs = setup.feeds.flatMap((f) => f.names.map(() => emptyColumn(inputKind(f.type), range(setup.inputRanges?.[i++]))));
    this.outputs = setup.outputs.map(() => []);
  }

  /** Records `rows` of the feeds, skipping those `skip` names (records the model failed on). */
  addFeeds(data: Values[], rows: number, skip?: (row: number) => boolean): void {
    let base = 0;
    this.setup.feeds.forEach((feed, k) => {
      const width = feed.names.length;
      for (let j = 0; j < width; j++) addColumn(this.inputs[base + j], data[k], j, width, 0, rows, skip);
      base += width;
    });
  }

  /** Records rows [from, to) of one model call's outputs (`size` values per record). */
  addOutputs(outputs: Array<{ data: Values; size: number }>, from: number, to: number): void {
    outputs.forEach((o, k) => {
      const columns = this.outputs[k];
      for (let j = columns.length; j < o.size; j++) {
        columns.push(emptyColumn(outputKind(this.setup.outputs[k].type), range(this.setup.outputRanges?.[k]?.[j])));
      }
      for (let j = 0; j < o.size; j++) addColumn(columns[j], o.data, j, o.size, from, to);
    });
  }

  partial(): ProfilePartial {
    return { inputs: this.inputs.map((c) => c.partial()), outputs: this.outputs.map((cs) => cs.map((c) => c.partial())) };
  }
}

function range(r: [number, number] | null | undefined): { min: number; max: number } | undefined {
  return r ? { min: r[0], max: r[1] } : undefined;
}

function addColumn(column: Column, data: Values, j: number, width: number, from: number, to: number, skip?: (row: number) => boolean): void {
  if (column instanceof NumericColumn) {
    if (data instanceof Float32Array) {
      column.addFloat32s(data, new Uint32Array(data.buffer, data.byteOffset, data.length), j, width, from, to, skip);
      return;
    }
    const big = typeof data[0] === 'bigint';
    for (let r = from; r < to; r++) {
      if (skip?.(r)) continue;
      const v = data[r * width + j];
      column.add(big ? Number(v) : (v as number));
    }
    return;
  }
  const cat = column as CategoricalColumn;
  const bool = data instanceof Uint8Array;
  for (let r = from; r < to; r++) {
    if (skip?.(r)) continue;
    const v = data[r * width + j];
    cat.add(bool ? (v ? 'true' : 'false') : String(v));
  }
}
