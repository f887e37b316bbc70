// The bench model: a torch.onnx-style MLP 13 -> 64 -> 1 (MatMul, Add, Relu,
// MatMul, Add), float32, input "input" [N,13], output "output" [N,1], with
// seeded weights. Same proto conventions as fixtures/models/build.mjs.

import { existsSync, writeFileSync } from 'node:fs';
import onnxProto from 'onnx-proto'; // CommonJS protobufjs module: { onnx: { ModelProto, ... } }
import { N_FEATURES, prng } from './data.mjs';

const { onnx } = onnxProto;
const FLOAT = onnx.TensorProto.DataType.FLOAT;
const HIDDEN = 64;
const WEIGHT_SEED = 7;

/** Uniform(-limit, limit) with Glorot's limit, so activations stay in a sane range. */
function glorot(rand, fanIn, fanOut) {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  return Array.from({ length: fanIn * fanOut }, () => (rand() * 2 - 1) * limit);
}

const floatTensor = (name, dims, floatData) => ({ name, dataType: FLOAT, dims, floatData });

const valueInfo = (name, dims) => ({
  name,
  type: { tensorType: { elemType: FLOAT, shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } },
});

const node = (opType, input, output) => ({ opType, input, output, name: `/${output[0]}`, domain: '' });

function mlpModelBytes() {
  const rand = prng(WEIGHT_SEED);
  const model = {
    irVersion: 8,
    producerName: 'batch-score-bench',
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'bench_mlp',
      initializer: [
        // weights stored pre-transposed ([in, out]) as torch.onnx emits them for MatMul
        floatTensor('fc1.weight_t', [N_FEATURES, HIDDEN], glorot(rand, N_FEATURES, HIDDEN)),
        floatTensor('fc1.bias', [HIDDEN], Array.from({ length: HIDDEN }, () => rand() * 0.2 - 0.1)),
        floatTensor('fc2.weight_t', [HIDDEN, 1], glorot(rand, HIDDEN, 1)),
        floatTensor('fc2.bias', [1], [0.5]),
      ],
      node: [
        node('MatMul', ['input', 'fc1.weight_t'], ['fc1_mm']),
        node('Add', ['fc1_mm', 'fc1.bias'], ['fc1_out']),
        node('Relu', ['fc1_out'], ['relu_out']),
        node('MatMul', ['relu_out', 'fc2.weight_t'], ['fc2_mm']),
        node('Add', ['fc2_mm', 'fc2.bias'], ['output']),
      ],
      input: [valueInfo('input', ['N', N_FEATURES])],
      output: [valueInfo('output', ['N', 1])],
    },
  };
  const err = onnx.ModelProto.verify(model);
  if (err) throw new Error(`bench model: invalid ModelProto: ${err}`);
  return onnx.ModelProto.encode(onnx.ModelProto.fromObject(model)).finish();
}

/** Path of the bench model in `dir`, written on first use (the bytes are deterministic). */
export function ensureModel(dir) {
  const path = `${dir}/mlp-13-64-1.onnx`;
  if (!existsSync(path)) writeFileSync(path, mlpModelBytes());
  return path;
}
