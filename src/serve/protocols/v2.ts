/**
 * The Open Inference Protocol (KServe V2 REST): server and model metadata, and infer with tensors
 * `{name, shape, datatype, data}` (data row-major, flat or nested). Row i of every input tensor is record i,
 * fed to the model by input name and checked like any record; outputs come back as tensors `[N, ...]`.
 * V2 has no per-row errors: a request with a failed row is a 400 naming each failed row.
 */
import type { OutputRow } from '../engine.js';
import { valueJson, type Engine, type RawRecord } from '../engine.js';
import { badRequest, HttpError } from '../httpErrors.js';
import { checkRecordCount, failedList, type Reply, type ScoringService } from './service.js';

const DATATYPE: Record<string, string> = {
  float32: 'FP32', float64: 'FP64', float16: 'FP16', int8: 'INT8', int16: 'INT16', int32: 'INT32', int64: 'INT64',
  uint8: 'UINT8', uint16: 'UINT16', uint32: 'UINT32', uint64: 'UINT64', bool: 'BOOL', string: 'BYTES',
};

export function datatypeOf(type: string): string {
  return DATATYPE[type] ?? type.toUpperCase();
}

/** Symbolic and unknown dimensions are -1 (dynamic), as the protocol spells them. */
const dims = (shape: ReadonlyArray<number | string>): number[] => shape.map((d) => (typeof d === 'number' && d >= 0 ? d : -1));

export function modelMetadata(engine: Engine, name: string): object {
  const specs = engine.outputs.specs;
  return {
    name,
    versions: [],
    platform: 'onnxruntime_onnx',
    inputs: engine.info.inputs.map((s) => ({ name: s.name, datatype: datatypeOf(s.type), shape: dims(s.shape) })),
    outputs: specs.map((s) => ({ name: s.name, datatype: datatypeOf(s.type), shape: dims(s.shape) })),
  };
}

interface InferInput {
  name: string;
  shape: number[];
  datatype: string;
  data: unknown[];
}

export async function infer(body: unknown, modelName: string, service: ScoringService): Promise<Reply> {
  const request = asObject(body, 'the request');
  const inputs = readInputs(request.inputs, service.engine);
  const rows = inputs[0].shape[0] ?? 1;
  checkRecordCount(rows, service);
  const wanted = requestedOutputs(request.outputs, service.engine);
  const plan = service.engine.plan('json', [], true);
  const records: RawRecord[] = [];
  for (let i = 0; i < rows; i++) {
    const value: Record<string, unknown> = {};
    for (const input of inputs) value[input.name] = rowOf(input, i, plan.ctx.plan.feeds.find((f) => f.spec.name === input.name)!.fromArray);
    records.push({ row: i + 1, line: 1, text: '', value });
  }
  const scored = await service.submit(plan, records);
  if (scored.errors.size > 0) {
    const failed = failedList(scored);
    const [first, message] = failed[0];
    throw new HttpError(400, `${failed.length} of ${rows} rows could not be scored; row ${first}: ${message}`, { errors: Object.fromEntries(failed.map(([i, m]) => [String(i), m])) });
  }
  const outputs = wanted.map((k) => outputTensor(service.engine, k, scored.rows, scored.recordShapes?.[k] ?? []));
  const id = typeof request.id === 'string' ? `,"id":${JSON.stringify(request.id)}` : '';
  const text = `{"model_name":${JSON.stringify(modelName)}${id},"outputs":[${outputs.join(',')}]}`;
  return { status: 200, type: 'application/json', body: text, records: rows, failed: 0 };
}

function asObject(value: unknown, what: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw badRequest(`${what} must be a JSON object`);
  return value as Record<string, unknown>;
}

/** The request's tensors, checked against the model: one per model input, its datatype, rank, inner dims and size. */
function readInputs(value: unknown, engine: Engine): InferInput[] {
  if (!Array.isArray(value) || value.length === 0) throw badRequest('"inputs" must be a non-empty list of tensors {name, shape, datatype, data}');
  const specs = new Map(engine.info.inputs.map((s) => [s.name, s]));
  const inputs = value.map((v, j) => readTensor(asObject(v, `inputs[${j}]`), j));
  for (const input of inputs) {
    const spec = specs.get(input.name);
    if (!spec) throw badRequest(`the model has no input ${JSON.stringify(input.name)}; its inputs are ${[...specs.keys()].join(', ')}`);
    if (input.datatype !== datatypeOf(spec.type)) throw badRequest(`input ${JSON.stringify(input.name)}: datatype ${input.datatype}, the model's is ${datatypeOf(spec.type)}`);
    const declared = dims(spec.shape);
    const rankOk = input.shape.length === declared.length || (declared.length === 1 && input.shape.length === 2 && input.shape[1] === 1);
    const innerOk = rankOk && declared.slice(1).every((d, k) => d < 0 || d === input.shape[k + 1]);
    if (!innerOk) throw badRequest(`input ${JSON.stringify(input.name)}: shape [${input.shape}] does not fit the model's [${declared}]`);
    input.data = flatten(input.data, input.shape, input.shape.reduce((a, b) => a * b, 1), input.name);
  }
  for (const name of specs.keys()) if (!inputs.some((i) => i.name === name)) throw badRequest(`input ${JSON.stringify(name)} is missing`);
  if (new Set(inputs.map((i) => i.name)).size !== inputs.length) throw badRequest('an input is given more than once');
  if (inputs.some((i) => i.shape[0] !== inputs[0].shape[0])) throw badRequest('the inputs disagree on the batch size (their first dimension)');
  return inputs;
}

function readTensor(t: Record<string, unknown>, j: number): InferInput {
  const { name, shape, datatype, data } = t;
  if (typeof name !== 'string') throw badRequest(`inputs[${j}].name must be a string`);
  if (typeof datatype !== 'string') throw badRequest(`inputs[${j}].datatype must be a string such as "FP32"`);
  if (!Array.isArray(shape) || shape.length === 0 || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw badRequest(`inputs[${j}].shape must be a list of whole numbers ≥ 0`);
  }
  if (!Array.isArray(data)) throw badRequest(`inputs[${j}].data must be a list`);
  return { name, shape: shape as number[], datatype, data };
}

/** Row-major data, flat or nested exactly as the shape says; anything else is a 400. */
function flatten(data: unknown[], shape: number[], size: number, name: string): unknown[] {
  if (!data.some(Array.isArray)) {
    if (data.length !== size) throw badRequest(`input ${JSON.stringify(name)}: shape [${shape}] needs ${size} values, data has ${data.length}`);
    return data;
  }
  const out: unknown[] = [];
  const walk = (value: unknown, depth: number): void => {
    if (depth === shape.length) {
      if (Array.isArray(value)) throw badRequest(`input ${JSON.stringify(name)}: data nests deeper than its shape [${shape}]`);
      out.push(value);
      return;
    }
    if (!Array.isArray(value) || value.length !== shape[depth]) throw badRequest(`input ${JSON.stringify(name)}: nested data does not match its shape [${shape}]`);
    for (const v of value) walk(v, depth + 1);
  };
  walk(data, 0);
  return out;
}

/** Record i's value of an input: its row (an array) when the input is fed K values per record, else the one value. */
function rowOf(input: InferInput, i: number, asArray: boolean): unknown {
  const width = input.shape.slice(1).reduce((a, b) => a * b, 1);
  if (asArray) return input.data.slice(i * width, (i + 1) * width);
  if (width !== 1) throw badRequest(`input ${JSON.stringify(input.name)}: ${width} values per row, the model takes 1`);
  return input.data[i];
}

/** Indices (into the engine's outputs) of the outputs asked for; all when the request names none. */
function requestedOutputs(value: unknown, engine: Engine): number[] {
  const names = engine.outputs.names;
  if (value === undefined) return names.map((_, k) => k);
  if (!Array.isArray(value)) throw badRequest('"outputs" must be a list of {name}');
  return value.map((o, j) => {
    const k = names.indexOf(String((o as { name?: unknown } | null)?.name));
    if (k < 0) throw badRequest(`outputs[${j}]: no output ${JSON.stringify((o as { name?: unknown } | null)?.name)}; the outputs are ${names.join(', ')}`);
    return k;
  });
}

function outputTensor(engine: Engine, k: number, rows: OutputRow[], recordShape: number[]): string {
  const type = engine.outputs.specs[k].type;
  const text = valueJson(type);
  const size = recordShape.reduce((a, b) => a * b, 1);
  const values: string[] = [];
  for (const row of rows) {
    const o = row.scored![k];
    for (let j = 0; j < size; j++) values.push(text(o.data[row.at * o.size + j]));
  }
  const shape = [rows.length, ...recordShape];
  return `{"name":${JSON.stringify(engine.outputs.names[k])},"datatype":"${datatypeOf(type)}","shape":[${shape.join(',')}],"data":[${values.join(',')}]}`;
}
