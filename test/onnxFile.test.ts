import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import fc from 'fast-check';
import onnxProto from 'onnx-proto';
import protobuf from 'protobufjs/minimal.js';

import { readOnnxFile, type OnnxFileInfo } from '../src/model/onnxFile.js';

const { onnx } = onnxProto;
fc.configureGlobal({ includeErrorInReport: true });
const { DataType } = onnx.TensorProto;
const { AttributeType } = onnx.AttributeProto;

const FIXTURES = new URL('../../fixtures/models/', import.meta.url);
const fixture = (name: string): Buffer => readFileSync(new URL(name, FIXTURES));

/** assert.throws tests a RegExp against String(error), i.e. "Error: not an ONNX model: …". */
const NOT_ONNX = /not an ONNX model: /;

// ---------------------------------------------------------------- in-memory models

/** An int64 attribute value as protobufjs holds it (a long.js Long), from its decimal string. */
const long = (decimal: string): unknown =>
  (protobuf.util.Long as unknown as { fromString(s: string): unknown }).fromString(decimal);
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const node = (opType: string, input: string[], output: string[], domain = '', attribute: object[] = []): object => ({
  opType,
  input,
  output,
  name: `${opType}_${output[0] ?? ''}`,
  domain,
  attribute,
});
const floatInfo = (name: string): object => ({ name, type: { tensorType: { elemType: DataType.FLOAT } } });

/** A ModelProto encoded by onnx-proto; `graph` fields are merged into a minimal valid graph. */
function encodeModel(graph: Record<string, unknown>, model: Record<string, unknown> = {}): Uint8Array {
  const object = {
    irVersion: 9,
    producerName: 'test',
    opsetImport: [
      { domain: '', version: 19 },
      { domain: 'ai.onnx.ml', version: 3 },
    ],
    ...model,
    graph: { name: 'g', input: [floatInfo('x')], output: [], node: [], ...graph },
  };
  const err = onnx.ModelProto.verify(object);
  if (err) throw new Error(`invalid test model: ${err}`);
  return onnx.ModelProto.encode(onnx.ModelProto.fromObject(object)).finish();
}

/** Seeded random bytes (fast-check's generator), the same on every run. */
function randomBytes(seed: number, length: number): Uint8Array {
  return fc.sample(fc.uint8Array({ minLength: length, maxLength: length }), { seed, numRuns: 1 })[0];
}

/** readOnnxFile either returns or throws an Error "not an ONNX model: …"; nothing else. */
function readOrReject(bytes: Uint8Array): OnnxFileInfo | Error {
  try {
    return readOnnxFile(bytes);
  } catch (err) {
    assert.ok(err instanceof Error, `threw a non-Error: ${String(err)}`);
    assert.ok(err.message.startsWith('not an ONNX model: '), err.message);
    assert.doesNotMatch(err.message, /\n/, 'the message is one line');
    return err;
  }
}

// ---------------------------------------------------------------- fixtures

test('linear.onnx: metadata, IR version, opsets, producer, operators', () => {
  const info = readOnnxFile(fixture('linear.onnx'));
  assert.deepEqual(info.metadata, { author: 'batch-score fixtures', target: 'price' });
  assert.equal(info.irVersion, 8);
  assert.ok(info.producer.startsWith('skl2onnx'), info.producer);
  assert.equal(info.producer, 'skl2onnx 1.17.0');
  assert.deepEqual(
    info.opsets.find((o) => o.domain === 'ai.onnx.ml'),
    { domain: 'ai.onnx.ml', version: 1 },
  );
  assert.deepEqual(
    info.opsets.find((o) => o.domain === 'ai.onnx'),
    { domain: 'ai.onnx', version: 17 },
    "the default domain '' is shown as ai.onnx",
  );
  assert.equal(info.domain, 'ai.onnx');
  assert.equal(info.modelVersion, 0);
  assert.match(info.docString, /batch-score test fixture/);
  assert.deepEqual(info.operators, { LinearRegressor: 1 });
  assert.deepEqual(info.classLabels, {});
});

test('linear_classifier.onnx: int labels (classlabels_ints) label the probabilities output', () => {
  const info = readOnnxFile(fixture('linear_classifier.onnx'));
  assert.deepEqual(info.classLabels, { probabilities: ['0', '1', '2'] });
  assert.deepEqual(info.operators, { LinearClassifier: 1 });
});

test('tree_classifier.onnx: string labels (classlabels_strings) label the probabilities output', () => {
  const info = readOnnxFile(fixture('tree_classifier.onnx'));
  assert.deepEqual(info.classLabels, { probabilities: ['setosa', 'versicolor', 'virginica'] });
  assert.deepEqual(info.operators, { TreeEnsembleClassifier: 1 });
});

test('zipmap_classifier.onnx: no labels for output_probability (a ZipMap output is not a tensor)', () => {
  const info = readOnnxFile(fixture('zipmap_classifier.onnx'));
  assert.equal(info.classLabels.output_probability, undefined);
  assert.deepEqual(info.classLabels, {});
  assert.deepEqual(info.operators, { LinearClassifier: 1, Cast: 1, ZipMap: 1 });
});

test('every fixture model reads, with the metadata weights.mjs documents', async () => {
  // weights.mjs is plain JS outside the TypeScript project: import it by URL, untyped.
  const weights = (await import(new URL('weights.mjs', FIXTURES).href)) as {
    models: Record<string, { file: string; metadata?: Record<string, string> }>;
  };
  const entries = Object.values(weights.models);
  assert.ok(entries.length >= 13);
  for (const m of entries) {
    const info = readOnnxFile(fixture(m.file));
    assert.equal(info.irVersion, 8, m.file);
    assert.deepEqual(info.metadata, m.metadata ?? {}, m.file);
    assert.ok(Object.keys(info.operators).length > 0, m.file);
    assert.ok(/^(skl2onnx|pytorch) /.test(info.producer), `${m.file}: ${info.producer}`);
  }
});

test('a plain Uint8Array (not a Buffer) reads the same', () => {
  const bytes = fixture('tree_classifier.onnx');
  assert.deepEqual(readOnnxFile(new Uint8Array(bytes)), readOnnxFile(bytes));
});

// ---------------------------------------------------------------- class labels in built graphs

test('labels follow the scores through Identity/Cast/Softmax/Normalizer to every graph output they reach', () => {
  const labels = {
    name: 'classlabels_int64s',
    type: AttributeType.INTS,
    // beyond 2^53 and negative: must come back exact (int64 values are Longs in protobufjs)
    ints: ['9007199254740993', '-1', '9223372036854775807'].map(long),
  };
  const bytes = encodeModel({
    node: [
      node('SVMClassifier', ['x'], ['label', 'scores'], 'ai.onnx.ml', [labels]),
      node('Identity', ['scores'], ['p1']),
      node('Cast', ['p1'], ['p2'], '', [{ name: 'to', type: AttributeType.INT, i: DataType.DOUBLE }]),
      node('Softmax', ['p2'], ['p3']),
      node('Normalizer', ['p3'], ['p4'], 'ai.onnx.ml'),
      node('ZipMap', ['scores'], ['zipped'], 'ai.onnx.ml', [labels]),
      node('Mul', ['scores', 'x'], ['scaled']), // not a pass-through op: stops the trace
      node('Identity', ['label'], ['label_out']), // the label output is [N], never labelled
    ],
    output: ['label_out', 'p1', 'p4', 'zipped', 'scaled'].map(floatInfo),
  });
  const info = readOnnxFile(bytes);
  const expected = ['9007199254740993', '-1', '9223372036854775807'];
  assert.deepEqual(info.classLabels, { p1: expected, p4: expected });
  assert.deepEqual(info.operators, { SVMClassifier: 1, Identity: 2, Cast: 1, Softmax: 1, Normalizer: 1, ZipMap: 1, Mul: 1 });
});

test('labels: strings win over ints, UTF-8 is decoded, only ai.onnx.ml classifiers count', () => {
  const bytes = encodeModel({
    node: [
      node('TreeEnsembleClassifier', ['x'], ['l1', 'probs'], 'ai.onnx.ml', [
        { name: 'classlabels_int64s', type: AttributeType.INTS, ints: [1, 2] },
        { name: 'classlabels_strings', type: AttributeType.STRINGS, strings: ['chat', 'bœuf', '猫'].map(utf8) },
        { name: 'nodes_values', type: AttributeType.FLOATS, floats: [0.5, 1.5] },
      ]),
      // same op name in another domain: not the ONNX-ML classifier
      node('LinearClassifier', ['x'], ['l2', 'custom_probs'], 'com.example', [
        { name: 'classlabels_ints', type: AttributeType.INTS, ints: [7, 8] },
      ]),
      // a classifier without labels declares nothing
      node('LinearClassifier', ['x'], ['l3', 'bare_probs'], 'ai.onnx.ml'),
    ],
    output: ['l1', 'probs', 'custom_probs', 'bare_probs'].map(floatInfo),
  });
  assert.deepEqual(readOnnxFile(bytes).classLabels, { probs: ['chat', 'bœuf', '猫'] });
});

test('property: opsets, metadata and class labels read field by field equal what onnx-proto encoded (ints packed or not)', () => {
  // onnx-proto drops an empty bytes value and writes int64s packed; Python's onnx (proto2) writes them one by one.
  const text = fc.string({ unit: 'grapheme' });
  const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String);
  fc.assert(
    fc.property(
      fc.array(fc.record({ domain: text, version: fc.integer({ min: 0, max: 2 ** 31 }) }), { maxLength: 3 }),
      fc.array(fc.tuple(text, text), { maxLength: 4 }),
      fc.oneof(
        fc.record({ kind: fc.constant('strings' as const), labels: fc.array(text.filter((t) => t !== ''), { minLength: 1, maxLength: 5 }) }),
        fc.record({ kind: fc.constantFrom('packed' as const, 'unpacked' as const), labels: fc.array(int64, { minLength: 1, maxLength: 5 }) }),
      ),
      (opsets, metadata, { kind, labels }) => {
        const attribute =
          kind === 'strings'
            ? { name: 'classlabels_strings', type: AttributeType.STRINGS, strings: labels.map(utf8) }
            : { name: 'classlabels_int64s', type: AttributeType.INTS, ints: kind === 'packed' ? labels.map(long) : [] };
        const bytes = encodeModel(
          { node: [node('LinearClassifier', ['x'], ['label', 'probs'], 'ai.onnx.ml', [attribute])], output: ['label', 'probs'].map(floatInfo) },
          { opsetImport: opsets.map((o) => ({ ...o })), metadataProps: metadata.map(([key, value]) => ({ key, value })) },
        );
        const read = readOnnxFile(kind === 'unpacked' ? withUnpackedInts(bytes, labels) : bytes);
        assert.deepEqual(read.opsets, opsets.map((o) => ({ domain: o.domain === '' ? 'ai.onnx' : o.domain, version: o.version })));
        const wantMetadata: Record<string, string> = {};
        for (const [key, value] of metadata) Object.defineProperty(wantMetadata, key, { value, enumerable: true, writable: true, configurable: true });
        assert.deepEqual(read.metadata, wantMetadata);
        assert.deepEqual(read.classLabels, { probs: labels });
      },
    ),
    { numRuns: 200 },
  );
});

/** The model with its (empty) classlabels_int64s attribute's ints written one field each, as proto2 writers do. */
function withUnpackedInts(bytes: Uint8Array, ints: string[]): Uint8Array {
  const model = onnx.ModelProto.decode(bytes);
  const attribute = model.graph!.node![0]!.attribute![0]!;
  const w = protobuf.Writer.create();
  w.uint32((1 << 3) | 2).string(attribute.name!);
  w.uint32((20 << 3) | 0).int32(AttributeType.INTS);
  for (const i of ints) w.uint32((8 << 3) | 0).int64(long(i) as number);
  const packedAttribute = w.finish();
  // Fields may come in any order: each message is encoded without the part replaced, then that part appended.
  model.graph!.node![0]!.attribute = [];
  const nodeBytes = onnx.NodeProto.encode(model.graph!.node![0]!).finish();
  const nodeWithAttr = Buffer.concat([nodeBytes, protobuf.Writer.create().uint32((5 << 3) | 2).bytes(packedAttribute).finish()]);
  model.graph!.node = [];
  const graphBytes = Buffer.concat([
    onnx.GraphProto.encode(model.graph!).finish(),
    protobuf.Writer.create().uint32((1 << 3) | 2).bytes(nodeWithAttr).finish(),
  ]);
  model.graph = null;
  return Buffer.concat([onnx.ModelProto.encode(model).finish(), protobuf.Writer.create().uint32((7 << 3) | 2).bytes(graphBytes).finish()]);
}

test('metadata keys such as __proto__ are plain keys; producer without a version; ops in subgraphs are counted', () => {
  const thenBranch = { name: 'then', node: [node('Identity', ['x'], ['y'])], output: [floatInfo('y')] };
  const elseBranch = {
    name: 'else',
    node: [node('Loop', ['', ''], ['z'], '', [{ name: 'body', type: AttributeType.GRAPH, g: thenBranch }])],
    output: [floatInfo('z')],
  };
  const bytes = encodeModel(
    {
      node: [
        node('If', ['cond'], ['out'], '', [
          { name: 'then_branch', type: AttributeType.GRAPH, g: thenBranch },
          { name: 'else_branch', type: AttributeType.GRAPH, g: elseBranch },
        ]),
      ],
      output: [floatInfo('out')],
    },
    {
      producerName: 'handmade',
      modelVersion: 42,
      metadataProps: [
        { key: '__proto__', value: 'p' },
        { key: 'constructor', value: 'c' },
        { key: 'k', value: 'first' },
        { key: 'k', value: 'last' },
      ],
    },
  );
  const info = readOnnxFile(bytes);
  assert.equal(info.producer, 'handmade');
  assert.equal(info.modelVersion, 42);
  assert.equal(info.irVersion, 9);
  assert.deepEqual(Object.keys(info.metadata), ['__proto__', 'constructor', 'k']);
  assert.equal(info.metadata['__proto__'], 'p');
  assert.equal(Object.getPrototypeOf(info.metadata), Object.prototype);
  assert.equal(info.metadata.k, 'last');
  assert.deepEqual(info.operators, { If: 1, Identity: 2, Loop: 1 });
});

// ---------------------------------------------------------------- not ONNX

test('random bytes are rejected: not an ONNX model', () => {
  for (const length of [1, 2, 16, 100, 1024, 65536]) {
    for (let seed = 1; seed <= 40; seed++) {
      assert.throws(() => readOnnxFile(randomBytes(seed * 7919 + length, length)), NOT_ONNX, `seed ${seed}, ${length} bytes`);
    }
  }
});

test('a truncated model (first 60% of linear.onnx) is rejected', () => {
  const bytes = fixture('linear.onnx');
  assert.throws(() => readOnnxFile(bytes.subarray(0, Math.floor(bytes.length * 0.6))), (err: Error) => {
    assert.match(err.message, NOT_ONNX);
    assert.match(err.message, /truncated/);
    return true;
  });
});

test('every prefix of linear.onnx that cuts into the graph is rejected, and none hangs or crashes', () => {
  const bytes = fixture('linear.onnx');
  const full = readOnnxFile(bytes);
  let rejected = 0;
  for (let n = 0; n < bytes.length; n++) {
    const result = readOrReject(bytes.subarray(0, n));
    if (result instanceof Error) rejected++;
    else {
      // A cut between two top-level fields after the graph is valid protobuf (opset_import and
      // metadata_props come after it): whatever was read must agree with the whole file.
      const { opsets: _o, metadata: _m, ...before } = result;
      const { opsets: _fo, metadata: _fm, ...whole } = full;
      assert.deepEqual(before, whole, `prefix of ${n} bytes`);
    }
  }
  assert.ok(rejected >= bytes.length - 60, `${rejected} of ${bytes.length} prefixes rejected`);
});

test('text, empty input and protobufs that are not models are rejected', () => {
  const texts = [
    'price,sqft\n100,2\n',
    '{"irVersion": 8, "graph": {}}\n',
    '# README\n\nbatch-score scores records.\n',
    'ir_version: 8\ngraph {\n  name: "g"\n}\n', // ONNX's text format is not the binary protobuf
  ];
  for (const text of texts) assert.throws(() => readOnnxFile(Buffer.from(text)), NOT_ONNX, JSON.stringify(text));
  assert.throws(() => readOnnxFile(new Uint8Array(0)), /not an ONNX model: the file is empty/);
  // Valid protobuf, wrong message: a TensorProto, a model without a graph, a model without ir_version.
  const tensor = onnx.TensorProto.encode(onnx.TensorProto.fromObject({ name: 't', dims: [2], floatData: [1, 2] })).finish();
  assert.throws(() => readOnnxFile(tensor), NOT_ONNX);
  const noGraph = onnx.ModelProto.encode(onnx.ModelProto.fromObject({ irVersion: 8, producerName: 'x' })).finish();
  assert.throws(() => readOnnxFile(noGraph), /not an ONNX model: no graph/);
  assert.throws(() => readOnnxFile(encodeModel({}, { irVersion: undefined })), /not an ONNX model: no ir_version/);
  assert.throws(() => readOnnxFile(encodeModel({}, { irVersion: 0 })), /not an ONNX model: invalid ir_version 0/);
});

test('deeply nested protobuf groups do not crash the process', () => {
  // field 100, wire type 3 (start group), a million times: the skip recursion overflows the stack
  const tag = [0xa3, 0x06];
  const bytes = Uint8Array.from({ length: 2_000_000 }, (_, i) => tag[i % 2]!);
  assert.throws(() => readOnnxFile(bytes), NOT_ONNX);
  // and nested subgraphs are bounded too
  let g: Record<string, unknown> = { name: 'leaf', node: [node('Identity', ['x'], ['y'])] };
  for (let i = 0; i < 100; i++) {
    g = { name: `g${i}`, node: [node('If', ['c'], ['y'], '', [{ name: 'then_branch', type: AttributeType.GRAPH, g }])] };
  }
  assert.throws(() => readOnnxFile(encodeModel(g)), /not an ONNX model: subgraphs nested/);
});

test('property: arbitrary bytes either read or are rejected as not an ONNX model', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
      readOrReject(bytes);
    }),
    { numRuns: 2000 },
  );
});

test('property: corrupting bytes of a real model never does worse than "not an ONNX model"', () => {
  const original = fixture('tree_classifier.onnx');
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.nat(original.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
      (edits) => {
        const bytes = Uint8Array.from(original);
        for (const [at, value] of edits) bytes[at] = value;
        readOrReject(bytes);
      },
    ),
    { numRuns: 2000 },
  );
});

// ---------------------------------------------------------------- big initializer

test('a model with a 50 MB initializer reads its metadata without decoding the weights', (t) => {
  const size = 50 * 1024 * 1024;
  const rawData = Buffer.alloc(size, 0x3f);
  const bytes = encodeModel(
    {
      node: [node('MatMul', ['x', 'W'], ['y'])],
      initializer: [{ name: 'W', dataType: DataType.FLOAT, dims: [size / 4 / 1024, 1024], rawData }],
      sparseInitializer: [
        {
          values: { name: 'S', dataType: DataType.FLOAT, dims: [2], floatData: [1, 2] },
          indices: { dataType: DataType.INT64, dims: [2], int64Data: [0, 5] },
          dims: [10],
        },
      ],
      output: [floatInfo('y')],
    },
    {
      producerName: 'pytorch',
      producerVersion: '2.3.0',
      metadataProps: [{ key: 'size', value: String(size) }],
    },
  );
  assert.ok(bytes.length > size);

  const start = performance.now();
  const info = readOnnxFile(bytes);
  const ours = performance.now() - start;
  assert.equal(info.producer, 'pytorch 2.3.0');
  assert.deepEqual(info.metadata, { size: String(size) });
  assert.deepEqual(info.operators, { MatMul: 1 });
  assert.equal(info.irVersion, 9);

  // For comparison only (no assertion on time): the full decode that readOnnxFile avoids.
  const decodeStart = performance.now();
  const decoded = onnx.ModelProto.decode(bytes);
  const full = performance.now() - decodeStart;
  assert.equal(decoded.graph?.initializer?.[0]?.rawData?.length, size);
  t.diagnostic(`${(bytes.length / 1e6).toFixed(1)} MB model: readOnnxFile ${ours.toFixed(2)} ms, ModelProto.decode ${full.toFixed(2)} ms`);

  // The same model truncated inside the initializer is rejected, not misread.
  assert.throws(() => readOnnxFile(bytes.subarray(0, bytes.length - 1000)), /not an ONNX model: truncated/);
});
