/**
 * Which model outputs become which output columns.
 * `[N]`/`[N,1]` → one column named after the output; `[N,K]` → `<output>_<suffix>` where the suffix is the
 * class label when the graph declares labels for that output, else the 0-based index; higher ranks flatten
 * row-major (`<output>_<i>_<j>`).
 */
import { RunError } from '../errors.js';
import type { ModelInfo, TensorSpec } from './session.js';

export interface OutputPlan {
  specs: TensorSpec[];
  names: string[];
  /** Outputs left out because the Node binding cannot return them (non-tensors). */
  skipped: string[];
}

export function planOutputs(model: ModelInfo, selected: string[] | null): OutputPlan {
  const byName = new Map(model.outputs.map((o) => [o.name, o]));
  const remedy = 'export the model with ZipMap disabled (skl2onnx: options={id(model): {"zipmap": False}})';
  if (selected) {
    const specs = selected.map((name) => {
      const spec = byName.get(name);
      if (spec) return spec;
      if (model.nonTensorOutputs.includes(name)) {
        throw new RunError('MODEL', `output ${JSON.stringify(name)} is not a tensor (e.g. a ZipMap) and cannot be read; ${remedy}`);
      }
      const all = [...model.outputs.map((o) => o.name), ...model.nonTensorOutputs].join(', ');
      throw new RunError('USAGE', `--outputs: the model has no output ${JSON.stringify(name)}; its outputs are ${all}`);
    });
    return { specs, names: selected, skipped: [] };
  }
  if (model.outputs.length === 0) {
    throw new RunError('MODEL', `the model has no tensor output (${model.nonTensorOutputs.join(', ')} cannot be read); ${remedy}`);
  }
  return { specs: model.outputs, names: model.outputs.map((o) => o.name), skipped: model.nonTensorOutputs };
}

/**
 * Column names for one output, given the per-record shape seen at run time (dims after the batch dimension)
 * and the class labels the graph declares for it, if any.
 */
export function outputColumnNames(name: string, recordShape: readonly number[], labels?: readonly string[]): string[] {
  const inner = recordShape.length === 1 && recordShape[0] === 1 ? [] : recordShape;
  if (inner.length === 0) return [name];
  if (inner.length === 1 && labels && labels.length === inner[0]) return labels.map((l) => `${name}_${l}`);
  const names: string[] = [];
  const walk = (prefix: string, depth: number): void => {
    if (depth === inner.length) {
      names.push(prefix);
      return;
    }
    for (let i = 0; i < inner[depth]; i++) walk(`${prefix}_${i}`, depth + 1);
  };
  walk(name, 0);
  return names;
}

/** The per-record shape an output declares, when every inner dimension is fixed; else null (known at run time). */
export function declaredRecordShape(spec: TensorSpec): number[] | null {
  const inner = spec.shape.slice(1);
  return inner.every((d) => typeof d === 'number' && d > 0) ? (inner as number[]) : null;
}
