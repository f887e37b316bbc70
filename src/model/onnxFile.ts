/**
 * What the onnxruntime session API does not expose, read straight from the ONNX protobuf:
 * producer, opsets, metadata_props, the operators used and the class labels classifiers declare.
 *
 * The weights are never decoded. ModelProto and GraphProto are walked field by field with a
 * protobuf Reader; initializers and sparse initializers are skipped by their length (O(1)), and a
 * node's attributes are only decoded when they are class labels. A node is NOT decoded whole with
 * onnx.NodeProto.decode on purpose: a big tree ensemble keeps its weights in node attributes
 * (millions of ints and floats, the int64 ones as one Long object each), not in initializers.
 * The small messages read (graph outputs, opset ids, metadata entries, class-label attributes) are
 * decoded field by field too, for the few fields used: the generated classes of the whole ONNX schema
 * (onnx-proto) took longer to load than the rest of the program's start-up.
 */
import protobuf from 'protobufjs/minimal.js';

type Reader = protobuf.Reader;

export interface OnnxFileInfo {
  irVersion: number;
  /** "skl2onnx 1.16" = producer_name + ' ' + producer_version when a version exists. */
  producer: string;
  domain: string;
  modelVersion: number;
  docString: string;
  /** opset_import; the default domain '' is shown as 'ai.onnx'. */
  opsets: Array<{ domain: string; version: number }>;
  /** metadata_props. */
  metadata: Record<string, string>;
  /** Class labels a classifier node declares, keyed by the graph OUTPUT name they label. */
  classLabels: Record<string, string[]>;
  /** Operators used, with counts (e.g. {"LinearRegressor": 1}), handy for `inspect`. Subgraphs (If, Loop…) included. */
  operators: Record<string, number>;
}

// Wire types.
const VARINT = 0;
const LEN = 2;

const ML = 'ai.onnx.ml';
/** Classifiers whose second output is the [N,K] scores/probabilities, in the order of the labels. */
const CLASSIFIERS = new Set(['TreeEnsembleClassifier', 'LinearClassifier', 'SVMClassifier']);
const LABEL_ATTRIBUTES = new Set(['classlabels_strings', 'classlabels_int64s', 'classlabels_ints']);
/** Single-input ops that keep an [N,K] tensor [N,K] with its columns in place. */
const PASS_THROUGH_DEFAULT = new Set(['Identity', 'Cast', 'Softmax']);
const PASS_THROUGH_ML = new Set(['Normalizer']);
/** If/Loop/Scan bodies nested deeper than this are taken for garbage (and would blow the stack). */
const MAX_GRAPH_DEPTH = 32;

/** A structural problem found while walking; its message follows "not an ONNX model: ". */
class NotOnnx extends Error {}

interface NodeInfo {
  opType: string;
  domain: string;
  input: string[];
  output: string[];
  labels?: string[];
}

interface GraphInfo {
  nodes: NodeInfo[];
  outputs: string[];
}

/**
 * Reads the model-level information of an ONNX file without decoding its weights.
 * Throws an Error "not an ONNX model: …" for anything that is not a well-formed ModelProto.
 */
export function readOnnxFile(bytes: Uint8Array): OnnxFileInfo {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('readOnnxFile: expected the bytes of a file (Uint8Array)');
  if (bytes.length === 0) throw new Error('not an ONNX model: the file is empty');
  try {
    return readModel(bytes);
  } catch (err) {
    throw new Error(`not an ONNX model: ${reason(err)}`, { cause: err });
  }
}

function reason(err: unknown): string {
  if (err instanceof NotOnnx) return err.message;
  const message = err instanceof Error ? err.message : String(err);
  // protobufjs: "index out of range: 1234 + 10 > 1240" when a field runs past the end of the buffer
  if (err instanceof RangeError && /index out of range/.test(message)) {
    return `truncated or corrupt protobuf (a field runs past the end of the data: ${message})`;
  }
  if (err instanceof RangeError && /call stack/i.test(message)) return 'corrupt protobuf (nested too deeply)';
  return `corrupt protobuf (${message.replace(/\s*\n\s*/g, ' ')})`;
}

/** ModelProto's fields as read so far. */
interface ModelFields {
  irVersion: number | undefined;
  producerName: string;
  producerVersion: string;
  domain: string;
  modelVersion: number;
  docString: string;
  opsets: Array<{ domain: string; version: number }>;
  metadata: Record<string, string>;
  graphs: GraphInfo[];
  operators: Map<string, number>;
}

function readModel(bytes: Uint8Array): OnnxFileInfo {
  const r = protobuf.Reader.create(bytes);
  const end = r.len;
  const m: ModelFields = {
    irVersion: undefined, producerName: '', producerVersion: '', domain: '', modelVersion: 0, docString: '',
    opsets: [], metadata: {}, graphs: [], operators: new Map(),
  };
  while (r.pos < end) readModelField(r, end, m);
  expectEnd(r, end, 'model');

  const { irVersion, graphs } = m;
  if (irVersion === undefined) throw new NotOnnx('no ir_version field (is this an ONNX file?)');
  if (!(irVersion >= 1)) throw new NotOnnx(`invalid ir_version ${irVersion}`);
  if (graphs.length === 0) throw new NotOnnx('no graph');

  return {
    irVersion,
    producer: [m.producerName, m.producerVersion].filter((s) => s !== '').join(' '),
    domain: m.domain,
    modelVersion: m.modelVersion,
    docString: m.docString,
    opsets: m.opsets,
    metadata: m.metadata,
    classLabels: classLabelsOf(graphs),
    operators: toRecord(m.operators),
  };
}

/** Reads one field of ModelProto (ending at `end`) into `m`. */
function readModelField(r: Reader, end: number, m: ModelFields): void {
  const { field, wireType, at } = readTag(r);
  switch (field) {
    case 1: // ir_version
      m.irVersion = int64ToNumber(varintField(r, 'ir_version', wireType, at));
      break;
    case 2:
      m.producerName = stringField(r, 'producer_name', wireType, at);
      break;
    case 3:
      m.producerVersion = stringField(r, 'producer_version', wireType, at);
      break;
    case 4:
      m.domain = stringField(r, 'domain', wireType, at);
      break;
    case 5: // model_version
      m.modelVersion = int64ToNumber(varintField(r, 'model_version', wireType, at));
      break;
    case 6:
      m.docString = stringField(r, 'doc_string', wireType, at);
      break;
    case 7: {
      // graph
      expectWireType('graph', wireType, LEN, at);
      const graphEnd = messageEnd(r, end, 'graph', at);
      m.graphs.push(readGraph(r, graphEnd, m.operators, 0, true));
      break;
    }
    case 8: {
      // opset_import
      expectWireType('opset_import', wireType, LEN, at);
      const entryEnd = messageEnd(r, end, 'opset_import', at);
      const opset = readOpset(r, entryEnd);
      expectEnd(r, entryEnd, 'opset_import');
      m.opsets.push({ domain: opset.domain === '' ? 'ai.onnx' : opset.domain, version: opset.version });
      break;
    }
    case 14: {
      // metadata_props
      expectWireType('metadata_props', wireType, LEN, at);
      const entryEnd = messageEnd(r, end, 'metadata_props', at);
      const entry = readEntry(r, entryEnd);
      expectEnd(r, entryEnd, 'metadata_props');
      setOwn(m.metadata, entry.key, entry.value);
      break;
    }
    default: // training_info, functions, fields of later ONNX versions
      r.skipType(wireType);
  }
}

/**
 * GraphProto: nodes (1), outputs (12) and, through node attributes, nested subgraphs (for the
 * operator counts). initializer (5), sparse_initializer (15), inputs, value_info… are skipped.
 */
function readGraph(r: Reader, end: number, operators: Map<string, number>, depth: number, top: boolean): GraphInfo {
  if (depth > MAX_GRAPH_DEPTH) throw new NotOnnx(`subgraphs nested more than ${MAX_GRAPH_DEPTH} deep`);
  const graph: GraphInfo = { nodes: [], outputs: [] };
  while (r.pos < end) {
    const { field, wireType, at } = readTag(r);
    switch (field) {
      case 1: {
        // node
        expectWireType('graph.node', wireType, LEN, at);
        const nodeEnd = messageEnd(r, end, 'graph.node', at);
        const node = readNode(r, nodeEnd, operators, depth);
        operators.set(node.opType, (operators.get(node.opType) ?? 0) + 1);
        if (top) graph.nodes.push(node);
        break;
      }
      case 12: {
        // output
        expectWireType('graph.output', wireType, LEN, at);
        const outputEnd = messageEnd(r, end, 'graph.output', at);
        if (top) {
          graph.outputs.push(readValueInfoName(r, outputEnd));
          expectEnd(r, outputEnd, 'graph.output');
        } else {
          r.pos = outputEnd;
        }
        break;
      }
      case 5: // initializer: the weights
      case 15: // sparse_initializer
        expectWireType(field === 5 ? 'graph.initializer' : 'graph.sparse_initializer', wireType, LEN, at);
        r.pos = messageEnd(r, end, field === 5 ? 'graph.initializer' : 'graph.sparse_initializer', at);
        break;
      default: // name, doc_string, input, value_info, quantization_annotation…
        r.skipType(wireType);
    }
  }
  expectEnd(r, end, 'graph');
  return graph;
}

/** NodeProto: input (1), output (2), op_type (4), domain (7); attributes (5) only for labels and subgraphs. */
function readNode(r: Reader, end: number, operators: Map<string, number>, depth: number): NodeInfo {
  const node: NodeInfo = { opType: '', domain: '', input: [], output: [] };
  const labelAttributes: Array<{ name: string; start: number; end: number }> = [];
  while (r.pos < end) {
    const { field, wireType, at } = readTag(r);
    switch (field) {
      case 1:
        expectWireType('node.input', wireType, LEN, at);
        node.input.push(r.string());
        break;
      case 2:
        expectWireType('node.output', wireType, LEN, at);
        node.output.push(r.string());
        break;
      case 4:
        expectWireType('node.op_type', wireType, LEN, at);
        node.opType = r.string();
        break;
      case 7:
        expectWireType('node.domain', wireType, LEN, at);
        node.domain = r.string();
        break;
      case 5: {
        // attribute: read its name and walk its subgraphs; its values stay undecoded
        expectWireType('node.attribute', wireType, LEN, at);
        const attrEnd = messageEnd(r, end, 'node.attribute', at);
        const attrStart = r.pos;
        const name = readAttribute(r, attrEnd, operators, depth);
        if (LABEL_ATTRIBUTES.has(name)) labelAttributes.push({ name, start: attrStart, end: attrEnd });
        break;
      }
      default: // name, doc_string, overload…
        r.skipType(wireType);
    }
  }
  expectEnd(r, end, 'node');
  if (node.domain === ML && CLASSIFIERS.has(node.opType) && labelAttributes.length > 0) {
    node.labels = decodeLabels(r, labelAttributes);
  }
  return node;
}

/** AttributeProto: returns its name (1); descends into g (6) and graphs (11); skips everything else. */
function readAttribute(r: Reader, end: number, operators: Map<string, number>, depth: number): string {
  let name = '';
  while (r.pos < end) {
    const { field, wireType, at } = readTag(r);
    if (field === 1) {
      expectWireType('attribute.name', wireType, LEN, at);
      name = r.string();
    } else if (field === 6 || field === 11) {
      expectWireType(field === 6 ? 'attribute.g' : 'attribute.graphs', wireType, LEN, at);
      const graphEnd = messageEnd(r, end, 'subgraph', at);
      readGraph(r, graphEnd, operators, depth + 1, false);
    } else {
      r.skipType(wireType);
    }
  }
  expectEnd(r, end, 'attribute');
  return name;
}

/** Decodes the class-label attributes of a classifier (strings first, then int64s, then ints). */
function decodeLabels(r: Reader, attributes: Array<{ name: string; start: number; end: number }>): string[] | undefined {
  const saved = r.pos;
  const byName = new Map<string, string[]>();
  for (const a of attributes) {
    r.pos = a.start;
    const attr = readLabelValues(r, a.end);
    expectEnd(r, a.end, a.name);
    const labels = a.name === 'classlabels_strings' ? attr.strings.map((s) => utf8.decode(s)) : attr.ints;
    if (labels.length > 0) byName.set(a.name, labels);
  }
  r.pos = saved;
  return byName.get('classlabels_strings') ?? byName.get('classlabels_int64s') ?? byName.get('classlabels_ints');
}

const utf8 = new TextDecoder('utf-8');

/**
 * For each classifier of the main graph, its second output (the [N,K] scores) followed through
 * Identity/Cast/Softmax/Normalizer to every graph output it reaches. A ZipMap stops the trace
 * (its output is a sequence of maps, not a tensor).
 */
function classLabelsOf(graphs: GraphInfo[]): Record<string, string[]> {
  const result: Record<string, string[]> = {};
  const nodes = graphs.flatMap((g) => g.nodes);
  const graphOutputs = new Set(graphs.flatMap((g) => g.outputs));
  const passThrough = new Map<string, NodeInfo[]>();
  for (const node of nodes) {
    const isPassThrough =
      ((node.domain === '' || node.domain === 'ai.onnx') && PASS_THROUGH_DEFAULT.has(node.opType)) ||
      (node.domain === ML && PASS_THROUGH_ML.has(node.opType));
    if (!isPassThrough || node.input.length !== 1 || !node.input[0] || !node.output[0]) continue;
    const list = passThrough.get(node.input[0]) ?? [];
    list.push(node);
    passThrough.set(node.input[0], list);
  }
  for (const node of nodes) {
    const scores = node.output[1];
    if (!node.labels || !scores) continue;
    const pending = [scores];
    const seen = new Set<string>();
    for (let tensor = pending.pop(); tensor !== undefined; tensor = pending.pop()) {
      if (seen.has(tensor)) continue;
      seen.add(tensor);
      if (graphOutputs.has(tensor)) setOwn(result, tensor, [...node.labels]);
      for (const next of passThrough.get(tensor) ?? []) pending.push(next.output[0]!);
    }
  }
  return result;
}

// ---------------------------------------------------------------- small messages

/** OperatorSetIdProto: domain (1), version (2). */
function readOpset(r: Reader, end: number): { domain: string; version: number } {
  const opset = { domain: '', version: 0 };
  eachField(r, end, (field, wireType, at) => {
    if (field === 1) opset.domain = stringField(r, 'opset_import.domain', wireType, at);
    else if (field === 2) opset.version = int64ToNumber(varintField(r, 'opset_import.version', wireType, at));
    else return false;
    return true;
  });
  return opset;
}

/** StringStringEntryProto: key (1), value (2). */
function readEntry(r: Reader, end: number): { key: string; value: string } {
  const entry = { key: '', value: '' };
  eachField(r, end, (field, wireType, at) => {
    if (field === 1) entry.key = stringField(r, 'metadata_props.key', wireType, at);
    else if (field === 2) entry.value = stringField(r, 'metadata_props.value', wireType, at);
    else return false;
    return true;
  });
  return entry;
}

/** ValueInfoProto: its name (1); the type is skipped. */
function readValueInfoName(r: Reader, end: number): string {
  let name = '';
  eachField(r, end, (field, wireType, at) => {
    if (field !== 1) return false;
    name = stringField(r, 'graph.output.name', wireType, at);
    return true;
  });
  return name;
}

/** AttributeProto's repeated values that class labels use: ints (8, packed or not) as exact decimals, strings (9). */
function readLabelValues(r: Reader, end: number): { ints: string[]; strings: Uint8Array[] } {
  const values = { ints: [] as string[], strings: [] as Uint8Array[] };
  eachField(r, end, (field, wireType, at) => {
    if (field === 8 && wireType === LEN) {
      const packedEnd = messageEnd(r, end, 'attribute.ints', at);
      while (r.pos < packedEnd) values.ints.push(int64ToString(r.int64()));
      expectEnd(r, packedEnd, 'attribute.ints');
    } else if (field === 8) values.ints.push(int64ToString(varintField(r, 'attribute.ints', wireType, at)));
    else if (field === 9) {
      expectWireType('attribute.strings', wireType, LEN, at);
      values.strings.push(r.bytes());
    } else return false;
    return true;
  });
  return values;
}

/** Reads the fields of a message ending at `end`: `read` takes the ones it knows (true), the rest are skipped. */
function eachField(r: Reader, end: number, read: (field: number, wireType: number, at: number) => boolean): void {
  while (r.pos < end) {
    const { field, wireType, at } = readTag(r);
    if (!read(field, wireType, at)) r.skipType(wireType);
  }
}

function varintField(r: Reader, what: string, wireType: number, at: number): Int64 {
  expectWireType(what, wireType, VARINT, at);
  return r.int64();
}

function stringField(r: Reader, what: string, wireType: number, at: number): string {
  expectWireType(what, wireType, LEN, at);
  return r.string();
}

// ---------------------------------------------------------------- protobuf helpers

function readTag(r: Reader): { field: number; wireType: number; at: number } {
  const at = r.pos;
  const tag = r.uint32();
  const field = tag >>> 3;
  if (field === 0) throw new NotOnnx(`invalid protobuf field number 0 at byte ${at}`);
  return { field, wireType: tag & 7, at };
}

function expectWireType(what: string, actual: number, expected: number, at: number): void {
  if (actual !== expected) {
    throw new NotOnnx(`field ${what} has protobuf wire type ${actual}, expected ${expected} (byte ${at})`);
  }
}

/** Reads a length prefix; returns where the embedded message ends, which must lie within `end`. */
function messageEnd(r: Reader, end: number, what: string, at: number): number {
  const length = r.uint32();
  const messageEnd = r.pos + length;
  if (messageEnd > end) {
    const room = Math.max(0, end - r.pos);
    throw new NotOnnx(
      `truncated or corrupt: ${what} at byte ${at} is ${length} bytes long but only ${room} bytes are left` +
        (end === r.len ? ' in the file' : ' in the enclosing message'),
    );
  }
  return messageEnd;
}

/** A message's last field must end exactly where the message does. */
function expectEnd(r: Reader, end: number, what: string): void {
  if (r.pos !== end) throw new NotOnnx(`corrupt ${what}: its last field runs past its end (byte ${end})`);
}

/** A protobufjs int64: a Long (low/high 32-bit halves) when long.js is loaded, else a number. */
type Int64 = number | protobuf.Long;

function int64ToBigInt(v: Int64): bigint {
  if (typeof v === 'number') return BigInt(Math.trunc(v));
  const bits = (BigInt(v.high >>> 0) << 32n) | BigInt(v.low >>> 0);
  return v.unsigned ? bits : BigInt.asIntN(64, bits);
}

/** Exact for |v| <= 2^53 (versions are small). */
function int64ToNumber(v: Int64): number {
  return typeof v === 'number' ? v : Number(int64ToBigInt(v));
}

/** Exact decimal string, also beyond 2^53. */
function int64ToString(v: Int64): string {
  return int64ToBigInt(v).toString();
}

/** obj[key] = value, without "__proto__" or "constructor" keys doing anything special. */
function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

function toRecord(map: Map<string, number>): Record<string, number> {
  const obj: Record<string, number> = {};
  for (const [key, value] of map) setOwn(obj, key, value);
  return obj;
}
