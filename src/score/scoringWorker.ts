/**
 * A scoring worker: its own model session, the run's plan as the main thread made it, and the same unit function
 * (processBlock + formatBatch), so results are byte-identical to a single-threaded run.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ModelSession, setRuntimeLogging } from '../model/session.js';
import type { FormattedBlock } from '../output/orderedWriter.js';
import { formatBatch } from './formatBatch.js';
import type { BatchResult } from './processBatch.js';
import { processBlock } from './processBlock.js';
import { scoringFor, type Scoring } from './plan.js';
import { toWorkerError, type ToWorker, type WorkerSetup, type WorkMessage } from './workerPool.js';

const setup = workerData as WorkerSetup;
const { options } = setup;
setRuntimeLogging(options.verbose);
const session = await ModelSession.fromBytes(setup.model, options.threads, false);
// The session holds its own copy of the model: this thread's copy of the bytes can go.
setup.model.bytes = new Uint8Array(0);
let scoring: Scoring | null = null;

// Messages are handled one after another, so 'close' never releases the session while a block is being scored.
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
  if ('plan' in message) {
    scoring = scoringFor(message.plan, options, session);
    return;
  }
  try {
    const result = await score(message);
    const texts = result.batches.map((p) => p.text);
    parentPort!.postMessage({ id: message.id, result }, texts.flatMap((t) => (typeof t === 'string' ? [] : [t.buffer as ArrayBuffer])));
  } catch (err) {
    parentPort!.postMessage({ id: message.id, error: toWorkerError(err) });
  }
}

async function score({ work, layout }: WorkMessage): Promise<FormattedBlock> {
  const { ctx, formatter } = scoring!;
  const format = (result: BatchResult) => formatBatch(result, formatter, layout);
  return processBlock(work, ctx, format);
}
parentPort!.postMessage('ready');
