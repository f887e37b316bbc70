/**
 * The ONNX session wrapper: loads a model once, describes its inputs and outputs, runs feeds.
 * onnxruntime throws untyped errors; they are wrapped here, at the boundary, with our code and its own words.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import ort from 'onnxruntime-node';
import { RunError, oneLine, readReason } from '../errors.js';
import type { OnnxFileInfo } from './onnxFile.js';

export type ElementType = 'float32' | 'float64' | 'int32' | 'int64' | 'bool' | 'string';
export const SUPPORTED_TYPES: readonly string[] = ['float32', 'float64', 'int32', 'int64', 'bool', 'string'];

/** A tensor input or output as the model declares it. Dimensions are numbers (fixed) or strings (symbolic). */
export interface TensorSpec {
  name: string;
  type: string;
  shape: ReadonlyArray<number | string>;
}

export interface ModelInfo {
  path: string;
  sha256: string;
  inputs: TensorSpec[];
  /** Tensor outputs only. */
  outputs: TensorSpec[];
  /** Outputs that are not tensors (e.g. a ZipMap's sequence of maps): the Node binding cannot return them. */
  nonTensorOutputs: string[];
  /** What the session API does not expose (labels, metadata, opsets), read from the protobuf. */
  file: OnnxFileInfo;
}

const NO_FILE_INFO: OnnxFileInfo = { irVersion: 0, producer: '', domain: '', modelVersion: 0, docString: '', opsets: [], metadata: {}, classLabels: {}, operators: {} };

export type FeedData = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array | string[];
export type OutputTensors = Record<string, ort.Tensor>;

/** The session's log level: 4 (fatal only) unless --verbose asks for onnxruntime's own lines. */
let sessionLogLevel: 2 | 4 = 4;

/**
 * Sets onnxruntime up before the first session is created; call it in every thread that creates one.
 *
 * Its telemetry is turned off unless the environment already says otherwise. onnxruntime 1.30's Linux (POSIX)
 * builds collect usage telemetry by default: each process writes a device id and a SQLite database under
 * ~/.cache/Microsoft/DeveloperTools (fsynced as the first session is made and again at exit, ~30 ms each on a
 * 3M-row run), leaves an empty /tmp/mat-debug-<pid>.log behind and queues events to upload. A tool run from cron
 * over private data must not litter /tmp or send anything anywhere. The runtime reads the variable once, for the
 * whole process, when the first session is created (the main thread's: a worker's environment is a copy of it);
 * ORT_TELEMETRY_DISABLED is the name newer runtimes read.
 *
 * Its own log lines reach stderr only with --verbose. Two levels decide them: the process-wide environment's
 * (`env.logLevel`, read when the first session of a thread is created) and each session's (it prints a line for
 * every failed run, whose message ours carries already).
 */
export function prepareRuntime(verbose: boolean): void {
  turnOffTelemetry();
  ort.env.logLevel = verbose ? 'warning' : 'fatal';
  sessionLogLevel = verbose ? 2 : 4;
}

/**
 * Also called as any session is made, for code that makes one without prepareRuntime (tests, the bench's probes).
 * In a worker thread it changes only the thread's copy of the environment: the main thread calls it first.
 */
function turnOffTelemetry(): void {
  process.env.ORT_DISABLE_TELEMETRY ??= '1';
  process.env.ORT_TELEMETRY_DISABLED ??= '1';
}

/** The onnxruntime version in use (for the run summary). */
export function runtimeVersion(): string {
  return ort.env.versions.node ?? ort.env.versions.common;
}

/** A model file as read once at the start of a run: every session of the run is made from these bytes. */
export interface ModelBytes {
  path: string;
  bytes: Uint8Array;
  /** Of these bytes: the summary names the model that scored, even if the file is replaced during the run. */
  sha256: string;
}

export async function readModel(modelPath: string): Promise<ModelBytes> {
  let bytes: Buffer;
  try {
    bytes = await readFile(modelPath);
  } catch (err) {
    throw new RunError('MODEL', `cannot read model ${modelPath}: ${readReason(err)}`, { cause: err });
  }
  return { path: modelPath, bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
}

export class ModelSession {
  private constructor(
    private readonly session: ort.InferenceSession,
    readonly info: ModelInfo,
  ) {}

  /**
   * Reads the model file and creates a session from its bytes. A run reads the file once (readModel) and makes
   * every session from the same bytes with `fromBytes`; this is for one-session commands (inspect).
   */
  static async load(modelPath: string, threads = 1, withFileInfo = true): Promise<ModelSession> {
    return ModelSession.fromBytes(await readModel(modelPath), threads, withFileInfo);
  }

  /**
   * `withFileInfo`: also read labels and metadata from the protobuf. Scoring workers do not need them, and skip
   * loading the protobuf library (≈ 10 MB per thread, measured).
   */
  static async fromBytes(model: ModelBytes, threads = 1, withFileInfo = true): Promise<ModelSession> {
    const { path: modelPath, bytes } = model;
    let file: OnnxFileInfo = NO_FILE_INFO;
    try {
      if (withFileInfo) file = (await import('./onnxFile.js')).readOnnxFile(bytes);
    } catch (err) {
      throw new RunError('MODEL', `cannot load model ${modelPath}: ${oneLine(err)}`, { cause: err });
    }
    let session: ort.InferenceSession;
    turnOffTelemetry();
    try {
      session = await ort.InferenceSession.create(bytes, {
        intraOpNumThreads: threads,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
        logSeverityLevel: sessionLogLevel,
        // Idle runtime threads sleep instead of spinning: between calls the CPU is needed for parsing (measured:
        // with --workers 0 and 2 intra-op threads, spinning burnt 0.8-1.5 s of CPU over a 2 s run).
        extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
      });
    } catch (err) {
      throw new RunError('MODEL', `cannot load model ${modelPath}: ${oneLine(err)} (is it an ONNX model?)`, { cause: err });
    }
    return new ModelSession(session, describe(modelPath, model.sha256, session, file));
  }

  /** Runs the model; throws the runtime's error (callers decide whether it is a record or a run error). */
  async run(feeds: Record<string, ort.Tensor>, outputNames: string[]): Promise<OutputTensors> {
    return this.session.run(feeds, outputNames);
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

function describe(modelPath: string, sha256: string, session: ort.InferenceSession, file: OnnxFileInfo): ModelInfo {
  const tensors = (meta: readonly ort.InferenceSession.ValueMetadata[]): TensorSpec[] =>
    meta.flatMap((m) => (m.isTensor ? [{ name: m.name, type: m.type, shape: m.shape }] : []));
  return {
    path: modelPath,
    sha256,
    inputs: tensors(session.inputMetadata),
    outputs: tensors(session.outputMetadata),
    nonTensorOutputs: session.outputMetadata.filter((m) => !m.isTensor).map((m) => m.name),
    file,
  };
}

/** `float32[N,4]` — how specs are named in messages. */
export function describeSpec(spec: TensorSpec): string {
  return `${spec.name} (${spec.type}[${spec.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : d || '?')).join(',')}])`;
}
