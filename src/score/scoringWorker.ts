/**
 * A scoring worker: its own model session (and challenger's), the run's plan as the main thread made it, and the
 * same unit function (processBlock + formatBatch), so results are byte-identical to a single-threaded run. It also
 * scores an HTTP server's batches (serve --workers), answering with the unit function's result itself.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ModelSession, prepareRuntime } from '../model/session.js';
import { planFeatures } from '../model/featurePlan.js';
import { planOutputs } from '../model/outputPlan.js';
import { formatSettings, inputFormat } from '../input/inputFormat.js';
import type { FormattedBlock } from '../output/orderedWriter.js';
import { makeContext } from './context.js';
import { formatBatch } from './formatBatch.js';
import { processBatch, recordsBatch, type BatchResult, type ScoringContext } from './processBatch.js';
import { processBlock } from './processBlock.js';
import { scoringFor, type Scoring } from './plan.js';
import { toWorkerError, type ServeWork, type ToWorker, type WorkerSetup } from './workerPool.js';
import type { Block } from '../input/blocks.js';
import { loadFormatter, type OutputLayout } from '../output/formatters.js';
import { detachOneArrayBuffer } from './detachProtector.js';

detachOneArrayBuffer();

const setup = workerData as WorkerSetup;
const { options } = setup;
prepareRuntime(options.verbose);
const session = await ModelSession.fromBytes(setup.model, options.threads, false);
const challenger = setup.challenger ? await ModelSession.fromBytes(setup.challenger, options.threads, false) : null;
// The sessions hold their own copies of the models: this thread's copies of the bytes can go.
setup.model.bytes = new Uint8Array(0);
if (setup.challenger) setup.challenger.bytes = new Uint8Array(0);
let scoring: Scoring | null = null;

// Messages are handled one after another, so 'close' never releases the session while a block is being scored.
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
  if ('plan' in message) {
    await loadFormatter(message.plan.outputFormat);
    scoring = scoringFor(message.plan, options, session, challenger);
    return;
  }
  try {
    const { work } = message;
    if ('serve' in work) {
      const ctx = serveContext(work.serve.plan);
      parentPort!.postMessage({ id: message.id, result: await processBatch(recordsBatch('request', work.serve.records, ctx), ctx) });
      return;
    }
    const result = await score(work, message.layout!);
    const texts = result.batches.map((p) => p.text);
    parentPort!.postMessage({ id: message.id, result }, texts.flatMap((t) => (typeof t === 'string' ? [] : [t.buffer as ArrayBuffer])));
  } catch (err) {
    parentPort!.postMessage({ id: message.id, error: toWorkerError(err) });
  }
}

function score(block: Block, layout: OutputLayout): Promise<FormattedBlock> {
  const { ctx, formatter } = scoring!;
  const format = (result: BatchResult) => formatBatch(result, formatter, layout);
  const groupFor = formatter.groupBuilder ? (_first: BatchResult, capacity: number) => formatter.groupBuilder!(layout, capacity) : null;
  return processBlock(block, ctx, format, groupFor);
}

const servePlans = new Map<string, ScoringContext>();

/** The context of an HTTP server's plan, made as the server makes it (src/serve/engine.ts), once per plan key. */
function serveContext(plan: ServeWork['plan']): ScoringContext {
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
parentPort!.postMessage('ready');
