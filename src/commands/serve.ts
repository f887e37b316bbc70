/**
 * `batch-score serve`: the Batch Processing API and the Open Inference Protocol over HTTP, with micro-batching
 * across requests. Usage on top; startup, signals and drain below. Run errors (bad flags, a model that will not
 * load) end it with their exit code, as for a run; a first SIGTERM/SIGINT drains and exits 0.
 */
import { Command, Option } from 'commander';
import { RunError, printable, oneLine } from '../errors.js';
import { Batcher } from '../serve/batcher.js';
import { Engine } from '../serve/engine.js';
import { Metrics, ShadowMetrics } from '../serve/metrics.js';
import { SERVE_DEFAULTS, resolveServeOptions, type ServeFlags } from './serveOptions.js';
import type { ServeOptions } from '../serve/options.js';
import { buildServer, type ServerState } from '../serve/server.js';
import { Shadow } from '../serve/shadow.js';

export function buildServe(): Command {
  return new Command('serve')
    .description('serve predictions over HTTP: POST /predict (Batch Processing API, ForestFlow, CSV, NDJSON), the Open Inference Protocol (KServe V2) and /metrics')
    .option('-m, --model <path>', 'the ONNX model (required)')
    .option('--host <address>', 'address to listen on', SERVE_DEFAULTS.host)
    .option('--port <n>', 'port to listen on (0: any free port; the address is printed as "listening on http://HOST:PORT")', SERVE_DEFAULTS.port)
    .option('--name <name>', "the model's name in /v2/models/{name} (default: the model file's base name)")
    .option('--features <names>', 'as for scoring')
    .option('--keep <names>', 'as for scoring')
    .option('--outputs <names>', 'as for scoring')
    .addOption(new Option('--missing <mode>', 'as for scoring').choices(['error', 'nan']).default('error'))
    .option('--workers <n>', 'worker threads scoring batches off the thread that serves HTTP, each with its own model session (0: the main thread scores)', SERVE_DEFAULTS.workers)
    .option('--threads <n>', 'onnxruntime intra-op threads per session (default: cores / (workers + 1))')
    .option('--retries <n>', 'as for scoring', '0')
    .option('--retry-delay <ms>', 'as for scoring', '1000')
    .option('--max-record-bytes <n>', 'as for scoring (CSV and NDJSON bodies)', String(1024 * 1024))
    .option('--max-batch-size <n>', 'records scored together, gathered across requests', SERVE_DEFAULTS.maxBatchSize)
    .option('--max-wait-ms <ms>', 'longest a record waits for a batch to fill', SERVE_DEFAULTS.maxWaitMs)
    .option('--max-queue <n>', 'records waiting at most; more are refused with 503 and Retry-After (also the most records per request)', SERVE_DEFAULTS.maxQueue)
    .option('--max-body-bytes <n>', 'a larger request body is refused with 413', SERVE_DEFAULTS.maxBodyBytes)
    .option('--request-timeout <ms>', 'a request must arrive whole within this time (408)', SERVE_DEFAULTS.requestTimeout)
    .option('--headers-timeout <ms>', "a request's headers must arrive within this time", SERVE_DEFAULTS.headersTimeout)
    .option('--shadow <path>', 'also score every batch with this model after responding; agreement in /metrics')
    .option('--shadow-log <path>', 'append both predictions of every record here (JSONL)')
    .option('-q, --quiet', 'no request log lines')
    .option('--verbose', 'details of internal errors on stderr');
}

/** Starts the server and resolves with the exit code once it has stopped. */
export async function runServe(flags: ServeFlags, fail: (err: unknown) => number, version: string): Promise<number> {
  let options: ServeOptions;
  try {
    options = resolveServeOptions(flags);
  } catch (err) {
    return fail(err);
  }
  const metrics = new Metrics();
  const state: ServerState = { engine: null, batcher: null as unknown as Batcher, ready: false, draining: false };
  let shadow: Shadow | null = null;
  state.batcher = new Batcher(
    // One batch per session at a time; with workers, two each, so a worker never idles between batches.
    { maxBatchSize: options.maxBatchSize, maxWaitMs: options.maxWaitMs, maxQueue: options.maxQueue, concurrency: Math.max(1, 2 * options.scoring.workers) },
    (plan, records) => plan.engine.score(plan, records),
    (event) => {
      metrics.calls.inc(event.result.calls);
      metrics.batches.observe(event.records.length);
      metrics.scored.inc(event.result.scored);
      for (const e of event.result.errors) metrics.failed.inc({ code: e.code });
      shadow?.observe(event);
    },
  );
  metrics.queueDepth = () => state.batcher.depth;
  const app = buildServer(options, state, metrics, version);
  const stopped = onStopSignals(() => drain(app, state));
  try {
    // Listening first: liveness answers while the model loads, readiness says 503 until it has.
    const address = await app.listen({ host: options.host, port: options.port }).catch((err: NodeJS.ErrnoException) => {
      const why = err.code === 'EADDRINUSE' ? 'the address is in use (another server? try --port 0)' : err.code === 'EACCES' ? 'permission denied (ports below 1024 need privileges)' : oneLine(err);
      throw new RunError('USAGE', `cannot listen on ${options.host}:${options.port}: ${why}`);
    });
    process.stderr.write(`batch-score: listening on ${address}\n`);
    state.engine = await Engine.load(options.scoring.model, options.scoring, options.scoring.workers);
    state.engine.plan('json', [], true); // a model whose inputs cannot be fed at all fails now, not per request
    if (options.shadow) {
      const other = await Engine.load(options.shadow, options.scoring);
      shadow = new Shadow(other, new ShadowMetrics(metrics.registry), options.shadowLog);
    }
    if (!state.draining) state.ready = true;
    await stopped.promise;
  } catch (err) {
    stopped.remove();
    await app.close().catch(() => undefined);
    await state.engine?.release();
    return fail(err);
  }
  stopped.remove();
  await shadow?.close();
  await state.engine?.release();
  if (!options.quiet) process.stderr.write('batch-score: stopped; every request in flight was answered\n');
  return 0;
}

/** Readiness turns 503, the listener closes, waiting records are scored at once, requests in flight are answered. */
async function drain(app: Awaited<ReturnType<typeof buildServer>>, state: ServerState): Promise<void> {
  state.ready = false;
  state.draining = true;
  state.batcher.flush();
  await app.close();
}

/**
 * The first SIGTERM/SIGINT/SIGHUP drains (what Kubernetes expects of a pod before it kills it); a second exits at
 * once with 128 + the signal's number.
 */
function onStopSignals(drainAll: () => Promise<void>): { promise: Promise<void>; remove(): void } {
  let stopping = false;
  let resolveStop: () => void = () => undefined;
  let rejectStop: (err: unknown) => void = () => undefined;
  const promise = new Promise<void>((resolve, reject) => {
    resolveStop = resolve;
    rejectStop = reject;
  });
  const codes: Record<string, number> = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 };
  const handler = (signal: NodeJS.Signals): void => {
    if (stopping) {
      process.stderr.write(printable(`batch-score: error [${signal === 'SIGINT' ? 'INTERRUPTED' : 'TERMINATED'}] stopped at once by a second ${signal}; requests in flight were not answered`) + '\n');
      process.exit(codes[signal]);
    }
    stopping = true;
    process.stderr.write(`batch-score: ${signal}: draining (readiness 503, no new connections, answering requests in flight)\n`);
    drainAll().then(resolveStop, (err: unknown) => rejectStop(new RunError('INTERNAL', `could not drain: ${oneLine(err)}`)));
  };
  for (const s of Object.keys(codes)) process.on(s, handler);
  return { promise, remove: () => Object.keys(codes).forEach((s) => process.off(s, handler)) };
}
