/**
 * A scoring worker: its own model session, the same plan and formatter as the main thread, and the same chunk
 * function (processChunk + formatChunk), so results are byte-identical to a single-threaded run.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { planFeatures } from '../model/featurePlan.js';
import { planOutputs } from '../model/outputPlan.js';
import { ModelSession, setRuntimeLogging } from '../model/session.js';
import { formatSettings, inputFormat } from '../input/inputFormat.js';
import { rowFormatter } from '../output/formatters.js';
import { formatChunk } from './formatChunk.js';
import { processChunk, type ChunkContext, type ChunkResult } from './processChunk.js';
import { processBlock } from './processBlock.js';
import { makeContext } from './context.js';
import { scoreParquetUnit } from '../input/parquetSource.js';
import { unitBatches } from '../input/parquetInput.js';
import { toWorkerError, type ScoringSetup, type ToWorker, type WorkerSetup } from './workerPool.js';
import type { RowFormatter } from '../output/formatters.js';

const setup = workerData as WorkerSetup;
const { options } = setup;
setRuntimeLogging(options.verbose);
const session = await ModelSession.fromBytes(setup.model, options.threads, false);
// The session holds its own copy of the model: this thread's copy of the bytes can go.
setup.model.bytes = new Uint8Array(0);
let scoring: { ctx: ChunkContext; formatter: RowFormatter } | null = null;

function configure(setup: ScoringSetup): void {
  const plan = planFeatures(setup.columns, session.info, { features: options.features, keep: options.keep, ignore: options.ignore });
  const outputs = planOutputs(session.info, options.outputs);
  const format = inputFormat(setup.inputFormat, formatSettings(options));
  scoring = { ctx: makeContext(plan, outputs, format, options, session), formatter: rowFormatter(setup.outputFormat, setup.parquet) };
}

// Messages are handled one after another, so 'close' never releases the session while a chunk is being scored.
let queue: Promise<void> = Promise.resolve();
parentPort!.on('message', (message: ToWorker) => {
  queue = queue.then(() => handle(message));
});

async function handle(message: ToWorker): Promise<void> {
  if (message === 'close') {
    await session.release();
    parentPort!.close();
    return;
  }
  if ('setup' in message) return configure(message.setup);
  try {
    const { ctx, formatter } = scoring!;
    const { work } = message;
    const format = (result: ChunkResult) => formatChunk(result, formatter, message.layout, false);
    const groupFor = formatter.groupBuilder && ((_first: ChunkResult, capacity: number) => formatter.groupBuilder!(message.layout, capacity));
    const result =
      'block' in work ? await processBlock(work.block, ctx, format)
      : 'parquet' in work ? await scoreParquetUnit(unitBatches(work.parquet, ctx.plan, ctx.batchSize), ctx, format, groupFor)
      : format(await processChunk(work.chunk, ctx));
    const texts = ('parts' in result ? result.parts : [result]).map((p) => p.text);
    parentPort!.postMessage({ id: message.id, result }, texts.flatMap((t) => (typeof t === 'string' ? [] : [t.buffer as ArrayBuffer])));
  } catch (err) {
    parentPort!.postMessage({ id: message.id, error: toWorkerError(err) });
  }
}
parentPort!.postMessage('ready');
