/**
 * POST /predict and POST /v2/models/{name}/infer on node:http directly, ahead of fastify. Why by hand (the house
 * prefers libraries): a one-record request is almost all HTTP work, and fastify's request and reply machinery
 * (routing, hooks, content-type parsing, async resources, reply headers) was, measured, a larger share of it than the
 * model call that batching saves; see the README's "Serving figures". This path takes only the requests it reads
 * exactly as fastify would: POST on these two routes, a plain path, no content type or one from a fixed list.
 * Every other request (other routes and methods, other or invalid content types, encoded names) goes on to
 * fastify, whose routes answer it as before with the same route logic (scoringRoutes.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Overloaded } from './batcher.js';
import { HttpError } from './httpErrors.js';
import type { Metrics } from './metrics.js';
import type { ServeOptions } from './options.js';
import type { Reply } from './protocols/service.js';
import { INFER_ROUTE, PREDICT_ROUTE, errorBody, errorOf, notReady, tooLarge, type ScoringRoutes, type Watch } from './scoringRoutes.js';
import type { ServerState } from './server.js';

/** Content types taken here, exactly as sent; any other, valid or not, is left to fastify's parser. */
const TAKEN_TYPES = new Set([
  'application/json', 'application/json; charset=utf-8', 'application/json;charset=utf-8', 'application/json; charset=UTF-8',
  'text/csv', 'text/tab-separated-values', 'application/x-ndjson', 'application/jsonl', 'application/x-www-form-urlencoded',
]);
const MODELS = '/v2/models/';
const INFER = '/infer';
/** A model name as --name allows it; anything else (percent-encoded, empty) is left to fastify's router. */
const PLAIN_NAME = /^[A-Za-z0-9._-]+$/;

interface Target {
  route: string;
  /** The V2 model name; null for /predict. */
  name: string | null;
}
const PREDICT: Target = { route: PREDICT_ROUTE, name: null };

/** Handles the request and returns true, or returns false and leaves it to fastify. */
export type LeanHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

export function leanRoutes(routes: ScoringRoutes, watch: Watch, options: ServeOptions, metrics: Metrics, state: ServerState): LeanHandler {
  const fail = (res: ServerResponse, url: string, err: unknown, close = false): void => {
    if (err instanceof Overloaded) metrics.shed.inc();
    const http = errorOf(err, options);
    // After a body error the connection is closed: the client may still be sending (as fastify does).
    write(res, http.status, 'application/json', errorBody(http, url, options), close ? { ...http.headers, connection: 'close' } : http.headers);
  };
  return (req, res) => {
    if (req.method !== 'POST') return false;
    const url = req.url ?? '';
    const target = targetOf(url);
    const type = req.headers['content-type'];
    if (target === null || (type !== undefined && !TAKEN_TYPES.has(type))) return false;
    watch('POST', url, res, () => target.route);
    if (state.draining) {
      fail(res, url, new HttpError(503, notReady(state), {}, { 'retry-after': '1' }), true);
      return true;
    }
    const full = routes.shedWhenFull(); // before the body is read
    if (full) {
      fail(res, url, full);
      return true;
    }
    readBody(req, options.maxBodyBytes, (err, body) => {
      if (err) return fail(res, url, err === TOO_LARGE ? tooLarge(options) : err, true);
      const answer = target.name === null ? routes.predict(body, type) : routes.infer(body, target.name);
      answer.then((reply) => send(res, reply), (e: unknown) => fail(res, url, e));
    });
    return true;
  };
}

function targetOf(url: string): Target | null {
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  if (path === PREDICT_ROUTE) return PREDICT;
  if (!path.startsWith(MODELS) || !path.endsWith(INFER)) return null;
  const name = path.slice(MODELS.length, -INFER.length);
  return PLAIN_NAME.test(name) ? { route: INFER_ROUTE, name } : null;
}

const TOO_LARGE = new HttpError(413, 'too large');

/**
 * The body as text, decoded once at the end; past `limit` bytes (declared, or as a chunked body arrives) it stops
 * reading and reports TOO_LARGE.
 */
function readBody(req: IncomingMessage, limit: number, done: (err: HttpError | null, body: string) => void): void {
  if (Number(req.headers['content-length']) > limit) return done(TOO_LARGE, '');
  const chunks: Buffer[] = [];
  let size = 0;
  const stop = (): void => {
    req.off('data', onData);
    req.off('end', onEnd);
    req.off('error', onError);
  };
  const onData = (chunk: Buffer): void => {
    size += chunk.length;
    if (size <= limit) chunks.push(chunk);
    else {
      stop();
      done(TOO_LARGE, '');
    }
  };
  const onEnd = (): void => {
    stop();
    done(null, chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks, size).toString('utf8'));
  };
  const onError = (err: Error): void => {
    stop();
    done(new HttpError(400, err.message), '');
  };
  req.on('data', onData);
  req.on('end', onEnd);
  req.on('error', onError);
}

function send(res: ServerResponse, reply: Reply): void {
  res.scoreCounts = { records: reply.records, failed: reply.failed };
  write(res, reply.status, reply.type, reply.body, reply.headers);
}

/** One writeHead and one end: the headers as a flat list, with the length known (and a JSON type's charset). */
function write(res: ServerResponse, status: number, type: string, body: string | Uint8Array, headers?: Record<string, string>): void {
  const head: string[] = [];
  if (headers) for (const name of Object.keys(headers)) head.push(name, headers[name]);
  head.push('content-type', contentType(type), 'content-length', String(typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength));
  res.writeHead(status, head);
  res.end(body);
}

const typeHeaders = new Map<string, string>();
/** The content-type header fastify would send for a type: JSON types get `; charset=utf-8`. */
function contentType(type: string): string {
  let header = typeHeaders.get(type);
  if (header === undefined) typeHeaders.set(type, (header = type.includes('json') && !type.includes('charset') ? `${type}; charset=utf-8` : type));
  return header;
}
