/**
 * The HTTP server: node:http with two handlers. The scoring routes' common requests (POST /predict and V2 infer
 * with a usual content type) are answered by the lean path (leanRoutes.ts); everything else by fastify: the other
 * routes, 404/405, body limits and errors as `{"error": "..."}`. Both count every request in the metrics and log it
 * (one JSON line). Scoring goes through the batcher; routes are thin adapters (src/serve/protocols/).
 */
import http from 'node:http';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { Overloaded, type Batcher } from './batcher.js';
import type { Engine } from './engine.js';
import { HttpError } from './httpErrors.js';
import { leanRoutes } from './leanRoutes.js';
import type { Metrics } from './metrics.js';
import type { ServeOptions } from './options.js';
import type { Reply } from './protocols/service.js';
import { modelMetadata } from './protocols/v2.js';
import { errorBody, errorOf, notReady, requestWatcher, scoringRoutes, type Watch } from './scoringRoutes.js';

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
  const routes = scoringRoutes(options, state);
  const watch = requestWatcher(options, metrics);
  // The scoring routes' common requests are answered by the lean path; everything else by fastify.
  const lean = leanRoutes(routes, watch, options, metrics, state);
  const app = Fastify({
    bodyLimit: options.maxBodyBytes,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    // Node's own limits on slow clients: the headers, and the whole request, must arrive in time.
    serverFactory: (handler) =>
      http.createServer({ headersTimeout: options.headersTimeoutMs, requestTimeout: options.requestTimeoutMs, connectionsCheckingInterval: 1000, keepAliveTimeout: 5000 }, (req, res) => {
        if (!lean(req, res)) handler(req, res);
      }),
  });
  // Bodies are read as text (counted against --max-body-bytes as they arrive); each route decides how to parse.
  app.removeAllContentTypeParsers();
  const asText = (_req: unknown, body: string | Buffer, done: (err: null, body: string | Buffer) => void) => done(null, body);
  app.addContentTypeParser('*', { parseAs: 'string' }, asText);
  observe(app, watch);
  app.setErrorHandler((err, request, reply) => {
    if (err instanceof Overloaded) metrics.shed.inc();
    return sendError(reply, errorOf(err, options), request, options);
  });
  app.setNotFoundHandler((request, reply) => sendError(reply, new HttpError(404, `no route ${request.method} ${request.url.split('?')[0]}; see the README's "Serving" for the routes`), request, options));

  const model = (request: FastifyRequest): string => routes.model((request.params as { name: string }).name);
  // A full queue refuses a request before its body is read or parsed (the count after parsing decides the rest).
  const admit = {
    onRequest: (_request: FastifyRequest, _reply: FastifyReply, next: (err?: Error) => void) => next(routes.shedWhenFull() ?? undefined),
  };
  const body = (request: FastifyRequest): string => String(request.body ?? '');
  app.post('/predict', admit, async (request, reply) => send(reply, await routes.predict(body(request), request.headers['content-type'])));
  app.post('/v2/models/:name/infer', admit, async (request, reply) => send(reply, await routes.infer(body(request), (request.params as { name: string }).name)));
  app.get('/v2/health/live', async () => ({ live: true }));
  app.get('/v2/health/ready', async (_request, reply) => (state.ready ? { ready: true } : reply.code(503).send({ ready: false, error: notReady(state) })));
  app.get('/v2', async () => ({ name: 'batch-score', version, extensions: [] }));
  app.get('/v2/models/:name', async (request) => modelMetadata(routes.loaded(), model(request)));
  app.get('/v2/models/:name/ready', async (request) => ({ name: model(request), ready: state.ready }));
  app.get('/metrics', async (_request, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()));
  for (const [url, allowed] of ROUTES) {
    const others = ALL_METHODS.filter((m) => !allowed.includes(m));
    app.route({ method: others as never, url, handler: async () => { throw new HttpError(405, `use ${allowed.filter((m) => m !== 'HEAD').join(' or ')} on ${url}`, {}, { allow: allowed.join(', ') }); } });
  }
  return app;
}

function send(reply: FastifyReply, r: Reply): FastifyReply {
  reply.raw.scoreCounts = { records: r.records, failed: r.failed };
  return reply.code(r.status).headers(r.headers ?? {}).type(r.type).send(r.body);
}

function sendError(reply: FastifyReply, err: HttpError, request: FastifyRequest, options: ServeOptions): FastifyReply {
  return reply.code(err.status).headers(err.headers).type('application/json').send(errorBody(err, request.url, options));
}

/** Metrics for every request fastify answers, and its log line. */
function observe(app: FastifyInstance, watch: Watch): void {
  app.addHook('onRequest', (request, reply, next) => {
    watch(request.method, request.url, reply.raw, () => request.routeOptions.url);
    next();
  });
}
