/**
 * What the two scoring routes do, whichever HTTP layer carries them (the lean node:http path for the common
 * requests, fastify for the rest): admission against --max-queue, the model name check, and the protocol adapters.
 * Also what every request shares: its metrics and log line, and how a failure becomes a status and a JSON body.
 */
import type { ServerResponse } from 'node:http';
import { Overloaded } from './batcher.js';
import type { Engine } from './engine.js';
import { HttpError, toHttpError } from './httpErrors.js';
import { parseJsonBody } from './jsonLimits.js';
import type { Metrics } from './metrics.js';
import type { ServeOptions } from './options.js';
import { bodyKind, predict } from './protocols/predict.js';
import type { Reply, ScoringService } from './protocols/service.js';
import { infer } from './protocols/v2.js';
import type { ServerState } from './server.js';

export const PREDICT_ROUTE = '/predict';
export const INFER_ROUTE = '/v2/models/:name/infer';

export interface ScoringRoutes {
  /** The refusal of a request that arrives while the queue is full (null: there is room). */
  shedWhenFull(): Overloaded | null;
  predict(body: string, contentType: string | undefined): Promise<Reply>;
  infer(body: string, name: string): Promise<Reply>;
  /** The model's name in V2 routes, or a 404 for another name. */
  model(name: string): string;
  /** The engine once the model is loaded; 503 while it loads or drains. */
  loaded(): Engine;
}

export function scoringRoutes(options: ServeOptions, state: ServerState): ScoringRoutes {
  const loaded = (): Engine => {
    if (!state.engine || !state.ready) throw new HttpError(503, notReady(state), {}, { 'retry-after': '1' });
    return state.engine;
  };
  const service = (): ScoringService => ({ engine: loaded(), maxRecords: options.maxQueue, submit: (plan, records) => state.batcher.submit(plan, records) });
  const model = (name: string): string => {
    if (name !== options.name) throw new HttpError(404, `no model ${JSON.stringify(name)}; this server serves ${JSON.stringify(options.name)}`);
    return name;
  };
  return {
    shedWhenFull: () => {
      if (state.batcher.depth < options.maxQueue) return null;
      return new Overloaded(`the server is at capacity (${state.batcher.depth} records queued, --max-queue ${options.maxQueue}); retry shortly`);
    },
    // Async functions: a throw before the first await is a rejection, as a route handler's would be.
    predict: async (body, contentType) => predict(body, bodyKind(contentType), service()),
    infer: async (body, name) => {
      const known = model(name); // an unknown model is a 404 whatever the body
      return infer(parseJsonBody(body), known, service());
    },
    model,
    loaded,
  };
}

export function notReady(state: ServerState): string {
  return state.draining ? 'the server is shutting down' : 'the model is still loading';
}

/** Any failure → the status and message a client can act on; fastify's own errors keep their status. */
export function errorOf(err: unknown, options: ServeOptions): HttpError {
  if (err instanceof Overloaded) return new HttpError(503, err.message, {}, { 'retry-after': '1' });
  const fst = err as { statusCode?: number; code?: string; message?: string };
  if (!(err instanceof HttpError) && typeof fst.statusCode === 'number' && fst.statusCode < 500) {
    if (fst.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return tooLarge(options);
    return new HttpError(fst.statusCode, String(fst.message ?? 'bad request'));
  }
  return toHttpError(err);
}

export function tooLarge(options: ServeOptions): HttpError {
  return new HttpError(413, `the body is larger than --max-body-bytes ${options.maxBodyBytes}`);
}

/** The JSON body of an error, logging internal errors' details with --verbose. */
export function errorBody(err: HttpError, url: string | undefined, options: ServeOptions): string {
  if (err.status >= 500 && err.status !== 503 && options.verbose) process.stderr.write(`${JSON.stringify({ level: 'error', url, error: err.message })}\n`);
  return JSON.stringify({ error: err.message, ...err.extra });
}

declare module 'node:http' {
  interface ServerResponse {
    scoreCounts?: { records: number; failed: number };
  }
}

/** Counts a request in flight now; once its response closes, its metrics and (unless --quiet) its log line. */
export type Watch = (method: string, url: string, res: ServerResponse, route: () => string | undefined) => void;

export function requestWatcher(options: ServeOptions, metrics: Metrics): Watch {
  // Each label set's series, found once: prom-client hashes the labels object on every call otherwise.
  const series = new Map<string, { requests: { inc(): void }; latency: { observe(v: number): void } }>();
  const seriesOf = (route: string, method: string, status: number) => {
    const key = `${route} ${method} ${status}`;
    let found = series.get(key);
    if (!found) series.set(key, (found = { requests: metrics.requests.labels(route, method, String(status)), latency: metrics.latency.labels(route) }));
    return found;
  };
  return (method, url, res, routeOf) => {
    const started = performance.now();
    metrics.inFlight.inc();
    res.once('close', () => {
      metrics.inFlight.dec();
      const status = res.statusCode;
      const seconds = (performance.now() - started) / 1000;
      const { requests, latency } = seriesOf(routeOf() ?? 'unmatched', method, status);
      requests.inc();
      latency.observe(seconds);
      if (options.quiet) return;
      const line = { time: new Date().toISOString(), method, url, status, ms: Math.round(seconds * 10000) / 10, ...res.scoreCounts, ...(res.writableFinished ? {} : { aborted: true }) };
      process.stderr.write(`${JSON.stringify(line)}\n`);
    });
  };
}
