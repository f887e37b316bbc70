/**
 * `batch-score serve`: the Batch Processing API and the Open Inference Protocol over HTTP, with micro-batching
 * across requests. Usage on top; startup, signals and drain below. Run errors (bad flags, a model that will not
 * load) end it with their exit code, as for a run; a first SIGTERM/SIGINT drains and exits 0.
 */
import { Command } from 'commander';
import { flag } from './helpFlag.js';
import { DEFAULTS } from './resolveOptions.js';
import { RunError, printable, oneLine } from '../errors.js';
import type { Batcher } from '../serve/batcher.js';
import { prepareRuntime } from '../model/session.js';
import type { Shadow } from '../serve/shadow.js';
import { SERVE_DEFAULTS, resolveServeOptions, type ServeFlags } from './serveOptions.js';
import type { ServeOptions } from '../serve/options.js';
import type { buildServer, ServerState } from '../serve/server.js';

const SERVE_HELP = `
Examples:
  $ batch-score serve -m fixtures/models/linear.onnx                # listens on 127.0.0.1:8080
  $ batch-score serve -m model.onnx --host 0.0.0.0 --port 0         # any free port: stderr names it
  $ curl -s localhost:8080/predict -d '{"inputs": [[3, 120.5, 12, 4.2]]}'
  $ curl -s localhost:8080/predict -H 'Content-Type: text/csv' --data-binary @fixtures/houses.csv
  $ curl -s localhost:8080/v2/health/ready

Exit codes: 0 stopped by SIGTERM/SIGINT/SIGHUP after answering every request in flight · 2 could not start
(usage, a port in use, a model that will not load) · 129/130/143 a second signal stopped it at once ·
1 internal error
`;

const asForScoring = 'as for scoring';

export function buildServe(): Command {
  const d = SERVE_DEFAULTS;
  return new Command('serve')
    .description('serve predictions over HTTP: POST /predict (Batch Processing API, ForestFlow, CSV, NDJSON), the Open Inference Protocol (KServe V2) and /metrics')
    .helpOption('-h, --help', 'this help')
    .addOption(flag('-m, --model <path>', 'the ONNX model (required)'))
    .addOption(flag('--host <address>', 'address to listen on', d.host))
    .addOption(flag('--port <n>', 'port to listen on (0: any free port; the address is printed as "listening on http://HOST:PORT")', d.port))
    .addOption(flag('--name <name>', "the model's name in /v2/models/{name}", "the model file's base name"))
    .addOption(flag('--features <names>', asForScoring))
    .addOption(flag('--keep <names>', asForScoring))
    .addOption(flag('--outputs <names>', asForScoring))
    .addOption(flag('--missing <mode>', `${asForScoring}: error or nan`, DEFAULTS.missing))
    .addOption(flag('--workers <n>', 'worker threads scoring batches off the thread that serves HTTP, each with its own model session (0: the main thread scores)', d.workers))
    .addOption(flag('--threads <n>', 'onnxruntime intra-op threads per session', 'cores / (workers + 1)'))
    .addOption(flag('--retries <n>', asForScoring, DEFAULTS.retries))
    .addOption(flag('--retry-delay <ms>', asForScoring, DEFAULTS.retryDelayMs))
    .addOption(flag('--max-record-bytes <n>', `${asForScoring} (CSV and NDJSON bodies)`, `${DEFAULTS.maxRecordBytes} (1 MiB)`))
    .addOption(flag('--max-batch-size <n>', 'records scored together, gathered across requests', d.maxBatchSize))
    .addOption(flag('--max-wait-ms <ms>', 'longest a record waits for a batch to fill', d.maxWaitMs))
    .addOption(flag('--max-queue <n>', 'records waiting at most; more are refused with 503 and Retry-After (also the most records per request)', d.maxQueue))
    .addOption(flag('--max-body-bytes <n>', 'a larger request body is refused with 413', `${d.maxBodyBytes} (4 MiB)`))
    .addOption(flag('--request-timeout <ms>', 'a request must arrive whole within this time (408)', d.requestTimeout))
    .addOption(flag('--headers-timeout <ms>', "a request's headers must arrive within this time", d.headersTimeout))
    .addOption(flag('--shadow <path>', 'also score every batch with this model after responding; agreement in /metrics'))
    .addOption(flag('--shadow-log <path>', 'append both predictions of every record here (JSONL)'))
    .addOption(flag('-q, --quiet', 'no request log lines'))
    .addOption(flag('--verbose', "details of internal errors on stderr, and onnxruntime's own log lines"))
    .addHelpText('after', SERVE_HELP);
}

/** Starts the server and resolves with the exit code once it has stopped. */
export async function runServe(flags: ServeFlags, fail: (err: unknown) => number, version: string): Promise<number> {
  let options: ServeOptions;
  try {
    options = resolveServeOptions(flags);
  } catch (err) {
    return fail(err);
  }
  prepareRuntime(options.verbose);
  const { Batcher, Engine, Metrics, ShadowMetrics, buildServer, Shadow } = await serverModules();
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

/**
 * The server's modules (the HTTP framework, the metrics registry, the batcher), loaded when `serve` runs: a scoring
 * run never loads them.
 */
async function serverModules() {
  const [batcher, engine, metrics, server, shadow] = await Promise.all([
    import('../serve/batcher.js'), import('../serve/engine.js'), import('../serve/metrics.js'), import('../serve/server.js'), import('../serve/shadow.js'),
  ]);
  return { ...batcher, ...engine, ...metrics, ...server, ...shadow };
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
