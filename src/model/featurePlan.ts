/**
 * Which columns feed which model input: decided once from the header (or the first JSON record's keys)
 * and the model's declared inputs, before any record is scored. Mismatches found here are run errors.
 *
 * Rules, in order:
 * 1. By name — every model input is named like a column: each input is fed from its own column
 *    (how converters name per-column inputs; column order in the file does not matter).
 * 2. Positional — a model with one input: the `--features` columns in that order, else every column
 *    except the `--keep` and `--ignore` columns, in file order.
 */
import { RunError, someNames } from '../errors.js';
import { type ElementType, type ModelInfo, type TensorSpec, SUPPORTED_TYPES, describeSpec } from './session.js';

export interface InputFeed {
  spec: TensorSpec;
  type: ElementType;
  /** Column indices feeding this input, in order (one per value). */
  columns: number[];
  /** Values per record. */
  width: number;
  /** By name, an `[N,K]` input is fed from one field holding an array of K values (a JSON array). */
  fromArray: boolean;
  /** The tensor's shape for `n` records: `[n]`, `[n,1]`, `[n,width]`… as the model declares its rank. */
  shapeFor(n: number): number[];
}

export interface FeaturePlan {
  rule: 'by-name' | 'positional';
  columns: string[];
  feeds: InputFeed[];
  /** Column indices copied to the output, in `--keep` order. */
  keep: number[];
  /** A fixed batch dimension declared by the model (e.g. 1 for a `[1,F]` export), else null. */
  fixedBatch: number | null;
}

export interface PlanRequest {
  features: string[] | null;
  keep: string[];
  /** Columns dropped before mapping (--ignore): neither features nor kept. */
  ignore?: string[];
}

export function planFeatures(columns: string[], model: ModelInfo, req: PlanRequest): FeaturePlan {
  const index = new Map(columns.map((c, i) => [c, i]));
  const columnOf = (flag: string) => (name: string): number => {
    const i = index.get(name);
    if (i === undefined) throw mappingError(`${flag} column ${JSON.stringify(name)} is not in the input`, columns);
    return i;
  };
  const ignored = (req.ignore ?? []).map(columnOf('--ignore'));
  const keep = req.keep.map(columnOf('--keep'));
  for (const spec of model.inputs) {
    if (!SUPPORTED_TYPES.includes(spec.type)) {
      throw new RunError('MODEL', `model input ${describeSpec(spec)} has element type ${spec.type}, which batch-score cannot feed`);
    }
  }
  if (model.inputs.length === 0) throw new RunError('MODEL', 'the model declares no tensor inputs');

  const usable = (name: string): boolean => index.has(name) && !ignored.includes(index.get(name)!);
  const byName = req.features === null && model.inputs.every((s) => usable(s.name));
  let feeds: InputFeed[];
  if (byName) {
    feeds = model.inputs.map((spec) => makeFeed(spec, [index.get(spec.name)!], columns, 'by-name'));
  } else {
    if (model.inputs.length > 1) {
      throw mappingError(
        `the model has ${model.inputs.length} inputs and they are not all named like columns (rule tried: by name). ` +
          `Model inputs: ${model.inputs.map(describeSpec).join(', ')}`,
        columns,
      );
    }
    const featureIdx = req.features
      ? req.features.map(columnOf('--features'))
      : columns.map((_, i) => i).filter((i) => !keep.includes(i) && !ignored.includes(i));
    feeds = [makeFeed(model.inputs[0], featureIdx, columns, 'positional', req.features === null)];
  }
  return { rule: byName ? 'by-name' : 'positional', columns, feeds, keep, fixedBatch: fixedBatchOf(model.inputs) };
}

/** `allColumnsRule`: the columns were picked by the rule (every column but --keep/--ignore), not named by --features. */
function makeFeed(spec: TensorSpec, cols: number[], columns: string[], rule: string, allColumnsRule = false): InputFeed {
  const rank = spec.shape.length;
  const declaredWidth = rank >= 2 ? spec.shape.slice(1).reduce<number | null>((w, d) => (w !== null && isFixed(d) ? w * (d as number) : null), 1) : 1;
  if (rank > 2 && declaredWidth === null) {
    throw new RunError('MAPPING', `model input ${describeSpec(spec)} has rank ${rank} with unknown inner dimensions; batch-score feeds rank 1 or 2 inputs`);
  }
  const fromArray = rule === 'by-name' && declaredWidth !== null && declaredWidth > 1;
  const width = fromArray ? (declaredWidth as number) : cols.length;
  if (declaredWidth !== null && declaredWidth !== width) {
    throw new RunError('MAPPING', widthMessage(spec, declaredWidth, cols, columns, rule, allColumnsRule));
  }
  return {
    spec,
    type: spec.type as ElementType,
    columns: cols,
    width,
    fromArray,
    shapeFor: (n) => (rank <= 1 ? [n] : [n, ...(rank === 2 ? [width] : (spec.shape.slice(1) as number[]))]),
  };
}

function isFixed(d: number | string): boolean {
  return typeof d === 'number' && d > 0;
}

/**
 * The batch dimension the inputs fix, if any. Inputs that fix different ones (`a[2,1]`, `b[3,1]`) cannot be fed
 * one row per record at all: a MODEL error before scoring.
 */
function fixedBatchOf(inputs: TensorSpec[]): number | null {
  const fixed = inputs.filter((spec) => spec.shape.length > 0 && isFixed(spec.shape[0]));
  const other = fixed.find((spec) => spec.shape[0] !== fixed[0].shape[0]);
  if (other !== undefined) {
    throw new RunError(
      'MODEL',
      `model inputs ${describeSpec(fixed[0])} and ${describeSpec(other)} declare different batch dimensions; batch-score feeds every input one row per record`,
    );
  }
  return fixed.length > 0 ? (fixed[0].shape[0] as number) : null;
}

/** A mapping error that lists the input's columns (once). */
function mappingError(what: string, columns: string[]): RunError {
  const hint = delimiterHint(columns);
  return new RunError('MAPPING', `${what}. Columns found: ${someNames(columns, { quoted: false }) || '(none)'}${hint ? `; ${hint}` : ''}`);
}

/**
 * A header read as one column whose name holds another delimiter (`a;b;c` from a spreadsheet in a comma-decimal
 * locale, a TSV file named .csv): the delimiter to give.
 */
function delimiterHint(columns: string[]): string | null {
  if (columns.length !== 1) return null;
  const found = [';', ',', '\t', '|'].find((d) => columns[0].includes(d));
  if (found === undefined) return null;
  const flag = found === '\t' ? 'tab' : `'${found}'`;
  return `the header was read as one column: if its fields are separated by ${found === '\t' ? 'tabs' : `'${found}'`}, give --delimiter ${flag}`;
}

/**
 * The feature count does not match: names the input, the columns picked (each once) and, when the fix is obvious
 * — leaving out the columns that look like an id or an index makes the count right — the flag that does it.
 */
function widthMessage(spec: TensorSpec, expected: number, cols: number[], columns: string[], rule: string, allColumnsRule: boolean): string {
  const picked = cols.map((i) => columns[i]);
  const from = picked.length === columns.length ? 'the input has' : `the ${rule} rule picks`;
  const listed = `${from} ${picked.length.toLocaleString('en-US')} column${picked.length === 1 ? '' : 's'}: ${someNames(picked.map(showColumn), { quoted: false }) || '(none)'}`;
  const base = `model input ${describeSpec(spec)} expects ${expected} feature${expected === 1 ? '' : 's'} per record, but ${listed}`;
  const delimiter = delimiterHint(columns);
  if (delimiter !== null) return `${base}; ${delimiter}`;
  const suspects = allColumnsRule ? picked.filter(looksLikeIdOrIndex) : [];
  if (suspects.length === 0 || picked.length - suspects.length !== expected) return base;
  return `${base}; ${suspects.map(hintFor).join('; ')}`;
}

/** Column names that are almost never features: an id, a key, or a dataframe's written-out index. */
const ID_LIKE = /^(id|ids|key|uuid|guid|index|idx|row_?id|record_?id|.*[_\- ]id)$/i;
const CAMEL_ID = /[a-z](Id|ID)$/;

function looksLikeIdOrIndex(name: string): boolean {
  return name === '' || /^Unnamed: \d+$/.test(name) || ID_LIKE.test(name.trim()) || CAMEL_ID.test(name.trim());
}

function hintFor(name: string): string {
  const arg = name === '' ? '""' : shellWord(name);
  if (name === '' || /^Unnamed: \d+$/.test(name)) {
    return `column ${showColumn(name)} looks like the index pandas writes by default (to_csv without index=False): drop it with --ignore ${arg}`;
  }
  return `column ${showColumn(name)} looks like an id: copy it to the output with --keep ${arg}, or drop it with --ignore ${arg}`;
}

function showColumn(name: string): string {
  return name === '' ? '(unnamed)' : name;
}

/** A column name as typed in a shell. */
function shellWord(name: string): string {
  return /^[\w.\-]+$/.test(name) ? name : `'${name.replace(/'/g, "'\\''")}'`;
}
