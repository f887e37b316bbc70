/**
 * A unit of work's partial profile: every model input column as fed to the model and every prediction column, from
 * the feeds the unit already built and the outputs the model returned. Pure: knows nothing of threads or streams;
 * the partial it gives is plain data (sent from a worker as is) that RunProfile merges.
 */
import { CategoricalColumn, NumericColumn, emptyColumn, type Column, type ColumnKind, type ColumnPartial } from './columns.js';
import { BinLayout, type BaselineBins } from './baselineBins.js';
import { rowsPerStage, stage } from './float32Kernel.js';

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
  /**
   * When the run compares with a baseline and writes no profile: the baseline's bins per input column (flattened)
   * and per prediction column, which the units count into instead of keeping bucket counts (null where none).
   */
  inputBins?: Array<BaselineBins | null> | null;
  outputBins?: Array<Array<BaselineBins | null>> | null;
}

/** A setup's bin layouts, made once per thread (units are many, and a layout's float32 slots take a moment). */
interface Layouts {
  inputs: Array<BinLayout | null>;
  outputs: Array<Array<BinLayout | null>>;
}
const layoutsBySetup = new WeakMap<ProfileSetup, Layouts>();

function layoutsOf(setup: ProfileSetup): Layouts {
  let layouts = layoutsBySetup.get(setup);
  if (!layouts) {
    const layout = (b: BaselineBins | null | undefined) => (b ? new BinLayout(b) : null);
    layouts = { inputs: (setup.inputBins ?? []).map(layout), outputs: (setup.outputBins ?? []).map((bs) => bs.map(layout)) };
    layoutsBySetup.set(setup, layouts);
  }
  return layouts;
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
  private readonly layouts: Layouts;

  constructor(private readonly setup: ProfileSetup) {
    this.layouts = layoutsOf(setup);
    let i = 0;
    this.inputs = setup.feeds.flatMap((f) =>
      f.names.map(() => {
        const column = emptyColumn(inputKind(f.type), range(setup.inputRanges?.[i]), this.layouts.inputs[i] ?? null);
        i++;
        return column;
      }),
    );
    this.outputs = setup.outputs.map(() => []);
  }

  /** Records `rows` of the feeds, skipping those `skip` names (records the model failed on). */
  addFeeds(data: Values[], rows: number, skip?: (row: number) => boolean): void {
    let base = 0;
    this.setup.feeds.forEach((feed, k) => {
      const width = feed.names.length;
      addColumns(this.inputs, base, width, data[k], 0, rows, skip);
      base += width;
    });
  }

  /** Records rows [from, to) of one model call's outputs (`size` values per record). */
  addOutputs(outputs: Array<{ data: Values; size: number }>, from: number, to: number): void {
    outputs.forEach((o, k) => {
      const columns = this.outputs[k];
      for (let j = columns.length; j < o.size; j++) {
        columns.push(emptyColumn(outputKind(this.setup.outputs[k].type), range(this.setup.outputRanges?.[k]?.[j]), this.layouts.outputs[k]?.[j] ?? null));
      }
      addColumns(columns, 0, o.size, o.data, from, to);
    });
  }

  partial(): ProfilePartial {
    return { inputs: this.inputs.map((c) => c.partial()), outputs: this.outputs.map((cs) => cs.map((c) => c.partial())) };
  }
}

function range(r: [number, number] | null | undefined): { min: number; max: number } | undefined {
  return r ? { min: r[0], max: r[1] } : undefined;
}

/** Adds rows [from, to) of `data` (`width` values per record) to columns[base + j] for j < width. */
function addColumns(columns: Column[], base: number, width: number, data: Values, from: number, to: number, skip?: (row: number) => boolean): void {
  if (data instanceof Float32Array) {
    addFloat32Columns(columns, base, width, data, from, to, skip);
    return;
  }
  for (let j = 0; j < width; j++) {
    const column = columns[base + j];
    if (column instanceof CategoricalColumn) addCategories(column, data, j, width, from, to, skip);
    else addNumbers(column, data, j, width, from, to, skip);
  }
}

/**
 * A float32 feed or output is read through its bits by the float32 loop, which reads its own memory: the rows are
 * copied in a stage at a time, and each stage is read for all its columns.
 */
function addFloat32Columns(columns: Column[], base: number, width: number, data: Float32Array, from: number, to: number, skip?: (row: number) => boolean): void {
  const bits = new Uint32Array(data.buffer, data.byteOffset, data.length);
  const rows = rowsPerStage(width);
  for (let a = from; a < to; a += rows) {
    const b = Math.min(to, a + rows);
    const bitsAt = stage(bits, a * width, b * width) - 4 * a * width; // where bits[0] would be
    for (let j = 0; j < width; j++) {
      const column = columns[base + j];
      if (column instanceof CategoricalColumn) addCategories(column, data, j, width, a, b, skip);
      else column.addFloat32s(data, bits, bitsAt, j, width, a, b, skip);
    }
  }
}

function addNumbers(column: NumericColumn, data: Values, j: number, width: number, from: number, to: number, skip?: (row: number) => boolean): void {
  const big = typeof data[0] === 'bigint';
  for (let r = from; r < to; r++) {
    if (skip?.(r)) continue;
    const v = data[r * width + j];
    column.add(big ? Number(v) : (v as number));
  }
}

function addCategories(column: CategoricalColumn, data: Values, j: number, width: number, from: number, to: number, skip?: (row: number) => boolean): void {
  const bool = data instanceof Uint8Array;
  for (let r = from; r < to; r++) {
    if (skip?.(r)) continue;
    const v = data[r * width + j];
    column.add(bool ? (v ? 'true' : 'false') : String(v));
  }
}
