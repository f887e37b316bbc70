/**
 * The HTTP server (fastify): routes, body limits, timeouts, errors as `{"error": "..."}`, one JSON log line per
 * request, metrics. Scoring goes through the batcher; routes are thin adapters (src/serve/protocols/).
 */
import http from 'node:http';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { Batcher, Overloaded } from './batcher.js';
import type { Engine } from './engine.js';
import { HttpError, toHttpError } from './httpErrors.js';
import { parseJsonBody } from './jsonLimits.js';
import type { Metrics } from './metrics.js';
import type { ServeOptions } from './options.js';
import { bodyKind, predict } from './protocols/predict.js';
import type { Reply, ScoringService } from './protocols/service.js';
import { infer, modelMetadata } from './protocols/v2.js';

export interface ServerState {
  engine: Engine | null;
  batcher: Batcher;
  /** False until the model is loaded, and again from the first stop signal on. */
  ready: boolean;
  draining: boolean;
}

const GET = ['GET', 'HEAD'];
const ROUTES: Array<[string, string[]]> = [
  ['/predict', ['POST']],
  ['/metrics', GET],
  ['/v2', GET],
  ['/v2/health/live', GET],
  ['/v2/health/ready', GET],
  ['/v2/models/:name', GET],
  ['/v2/models/:name/ready', GET],
  ['/v2/models/:name/infer', ['POST']],
];
const ALL_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'];

export function buildServer(options: ServeOptions, state: ServerState, metrics: Metrics, version: string): FastifyInstance {
  const app = Fastify({
    bodyLimit: options.maxBodyBytes,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    // Node's own limits on slow clients: the headers, and the whole request, must arrive in time.
    serverFactory: (handler) =>
      http.createServer({ headersTimeout: options.headersTimeoutMs, requestTimeout: options.requestTimeoutMs, connectionsCheckingInterval: 1000, keepAliveTimeout: 5000 }, handler),
  });
  // Bodies are read as text (counted against --max-body-bytes as they arrive); each route decides how to parse.
  app.removeAllContentTypeParsers();
  const asText = (_req: unknown, body: string | Buffer, done: (err: null, body: string | Buffer) => void) => done(null, body);
  // The body types the routes read are named (fastify finds a named type at once; '*' is matched the slow way).
  app.addContentTypeParser(['application/json', 'text/csv', 'text/tab-separated-values', 'application/x-ndjson'], { parseAs: 'string' }, asText);
  app.addContentTypeParser('*', { parseAs: 'string' }, asText);
  observe(app, options, metrics);
  app.setErrorHandler((err, request, reply) => {
    if (err instanceof Overloaded) metrics.shed.inc();
    return sendError(reply, errorOf(err, options), request, options);
  });
  app.setNotFoundHandler((request, reply) => sendError(reply, new HttpError(404, `no route ${request.method} ${request.url.split('?')[0]}; see the README's "Serving" for the routes`), request, options));

  const service = (): ScoringService => ({
    engine: loaded(state),
    maxRecords: options.maxQueue,
    submit: (plan, records) => state.batcher.submit(plan, records),
  });
  const model = (request: FastifyRequest): string => {
    const { name } = request.params as { name: string };
    if (name !== options.name) throw new HttpError(404, `no model ${JSON.stringify(name)}; this server serves ${JSON.stringify(options.name)}`);
    return name;
  };
  // A full queue refuses a request before its body is read or parsed (the count after parsing decides the rest).
  const admit = {
    onRequest: (_request: FastifyRequest, _reply: FastifyReply, next: (err?: Error) => void) => {
      const full = shedWhenFull(state, options);
      next(full ?? undefined);
    },
  };
  app.post('/predict', admit, async (request, reply) => send(reply, await predict(String(request.body ?? ''), bodyKind(request.headers['content-type']), service())));
  app.post('/v2/models/:name/infer', admit, async (request, reply) => {
    const name = model(request);
    return send(reply, await infer(parseJsonBody(String(request.body ?? '')), name, service()));
  });
  app.get('/v2/health/live', async () => ({ live: true }));
  app.get('/v2/health/ready', async (_request, reply) => (state.ready ? { ready: true } : reply.code(503).send({ ready: false, error: notReady(state) })));
  app.get('/v2', async () => ({ name: 'batch-score', version, extensions: [] }));
  app.get('/v2/models/:name', async (request) => modelMetadata(loaded(state), model(request)));
  app.get('/v2/models/:name/ready', async (request) => ({ name: model(request), ready: state.ready }));
  app.get('/metrics', async (_request, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()));
  for (const [url, allowed] of ROUTES) {
    const others = ALL_METHODS.filter((m) => !allowed.includes(m));
    app.route({ method: others as never, url, handler: async () => { throw new HttpError(405, `use ${allowed.filter((m) => m !== 'HEAD').join(' or ')} on ${url}`, {}, { allow: allowed.join(', ') }); } });
  }
  return app;
}

/** The refusal of a request that arrives while the queue is full (null: there is room). */
function shedWhenFull(state: ServerState, options: ServeOptions): Overloaded | null {
  if (state.batcher.depth < options.maxQueue) return null;
  return new Overloaded(`the server is at capacity (${state.batcher.depth} records queued, --max-queue ${options.maxQueue}); retry shortly`);
}

function loaded(state: ServerState): Engine {
  if (!state.engine || !state.ready) throw new HttpError(503, notReady(state), {}, { 'retry-after': '1' });
  return state.engine;
}

function notReady(state: ServerState): string {
  return state.draining ? 'the server is shutting down' : 'the model is still loading';
}

function send(reply: FastifyReply, r: Reply): FastifyReply {
  reply.raw.scoreCounts = { records: r.records, failed: r.failed };
  return reply.code(r.status).headers(r.headers ?? {}).type(r.type).send(r.body);
}

/** Any failure → the status and message a client can act on; fastify's own errors keep their status. */
function errorOf(err: unknown, options: ServeOptions): HttpError {
  if (err instanceof Overloaded) return new HttpError(503, err.message, {}, { 'retry-after': '1' });
  const fst = err as { statusCode?: number; code?: string; message?: string };
  if (!(err instanceof HttpError) && typeof fst.statusCode === 'number' && fst.statusCode < 500) {
    if (fst.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new HttpError(413, `the body is larger than --max-body-bytes ${options.maxBodyBytes}`);
    return new HttpError(fst.statusCode, String(fst.message ?? 'bad request'));
  }
  return toHttpError(err);
}

function sendError(reply: FastifyReply, err: HttpError, request: FastifyRequest, options: ServeOptions): FastifyReply {
  if (err.status >= 500 && err.status !== 503 && options.verbose) process.stderr.write(`${JSON.stringify({ level: 'error', url: request.url, error: err.message })}\n`);
  return reply.code(err.status).headers(err.headers).type('application/json').send(JSON.stringify({ error: err.message, ...err.extra }));
}

declare module 'node:http' {
  interface ServerResponse {
    scoreCounts?: { records: number; failed: number };
  }
}

/** Metrics for every request, and one JSON line per request on stderr (unless --quiet). */
function observe(app: FastifyInstance, options: ServeOptions, metrics: Metrics): void {
  // Each label set's series, found once: prom-client hashes the labels object on every call otherwise.
  const series = new Map<string, { requests: { inc(): void }; latency: { observe(v: number): void } }>();
  const seriesOf = (route: string, method: string, status: number) => {
    const key = `${route} ${method} ${status}`;
    let found = series.get(key);
    if (!found) series.set(key, (found = { requests: metrics.requests.labels(route, method, String(status)), latency: metrics.latency.labels(route) }));
    return found;
  };
  app.addHook('onRequest', (request, reply, next) => {
    const started = performance.now();
    metrics.inFlight.inc();
    reply.raw.once('close', () => {
      metrics.inFlight.dec();
      const route = request.routeOptions.url ?? 'unmatched';
      const status = reply.raw.statusCode;
      const seconds = (performance.now() - started) / 1000;
      const { requests, latency } = seriesOf(route, request.method, status);
      requests.inc();
      latency.observe(seconds);
      if (options.quiet) return;
      const line = { time: new Date().toISOString(), method: request.method, url: request.url, status, ms: Math.round(seconds * 10000) / 10, ...reply.raw.scoreCounts, ...(reply.raw.writableFinished ? {} : { aborted: true }) };
      process.stderr.write(`${JSON.stringify(line)}\n`);
    });
    next();
  });
}
