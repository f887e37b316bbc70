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
import { planChallenger } from './challenger.js';
import { toWorkerError, type ScoringSetup, type ServeWork, type ToWorker, type WorkerSetup } from './workerPool.js';
import type { RowFormatter } from '../output/formatters.js';

const setup = workerData as WorkerSetup;
const { options } = setup;
setRuntimeLogging(options.verbose);
const session = await ModelSession.fromBytes(setup.model, options.threads, false);
const challenger = setup.challenger ? await ModelSession.fromBytes(setup.challenger, options.threads, false) : null;
// The session holds its own copy of the model: this thread's copy of the bytes can go.
setup.model.bytes = new Uint8Array(0);
if (setup.challenger) setup.challenger.bytes = new Uint8Array(0);
let scoring: { ctx: ChunkContext; formatter: RowFormatter } | null = null;

function configure(setup: ScoringSetup): void {
  const plan = planFeatures(setup.columns, session.info, { features: options.features, keep: options.keep, ignore: options.ignore });
  const outputs = planOutputs(session.info, options.outputs);
  const format = inputFormat(setup.inputFormat, formatSettings(options));
  const monitoring = { monitor: setup.monitor, challenger: challenger ? planChallenger(setup.columns, plan, challenger, options) : null };
  scoring = { ctx: makeContext(plan, outputs, format, options, session, monitoring), formatter: rowFormatter(setup.outputFormat, setup.parquet) };
}

const servePlans = new Map<string, ChunkContext>();

/** The context of an HTTP server's plan, made as the server makes it (src/serve/engine.ts), once per plan key. */
function serveContext(plan: ServeWork['plan']): ChunkContext {
  let ctx = servePlans.get(plan.key);
  if (!ctx) {
    const request = plan.named ? { features: null, keep: [] } : { features: options.features, keep: options.keep };
    const features = planFeatures(plan.columns, session.info, request);
    const settings = { ...formatSettings(options), delimiter: plan.form === 'tsv' ? '\t' : ',', header: true };
    const format = inputFormat(plan.form === 'json' ? 'jsonl' : plan.form, settings);
    ctx = makeContext(features, planOutputs(session.info, options.outputs), format, { ...options, onError: 'null' }, session);
    if (servePlans.size < 64) servePlans.set(plan.key, ctx);
  }
  return ctx;
}

// Messages are handled one after another, so 'close' never releases the session while a chunk is being scored.
let queue: Promise<void> = Promise.resolve();
parentPort!.on('message', (message: ToWorker) => {
  queue = queue.then(() => handle(message));
});

async function handle(message: ToWorker): Promise<void> {
  if (message === 'close') {
    await session.release();
    await challenger?.release();
    parentPort!.close();
    return;
  }
  if ('setup' in message) return configure(message.setup);
  if ('serve' in message.work) {
    const { plan, records } = message.work.serve;
    try {
      parentPort!.postMessage({ id: message.id, result: await processChunk({ source: 'request', records }, serveContext(plan)) });
    } catch (err) {
      parentPort!.postMessage({ id: message.id, error: toWorkerError(err) });
    }
    return;
  }
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
