/** The serve command's flags → one resolved ServeOptions (the scoring flags shared with a run, plus the server's). */
import path from 'node:path';
import { RunError } from '../errors.js';
import type { ServeOptions } from '../serve/options.js';
import { positiveInt, resolveOptions, type RawFlags } from './resolveOptions.js';

export interface ServeFlags extends RawFlags {
  host?: string;
  port?: string;
  name?: string;
  maxBatchSize?: string;
  maxWaitMs?: string;
  maxQueue?: string;
  maxBodyBytes?: string;
  requestTimeout?: string;
  headersTimeout?: string;
  shadow?: string;
  shadowLog?: string;
}

/** Defaults chosen by measurement: see bench/RESULTS.md, "Serving". */
export const SERVE_DEFAULTS = {
  host: '127.0.0.1',
  port: '8080',
  maxBatchSize: '1024',
  maxWaitMs: '2',
  maxQueue: '16384',
  maxBodyBytes: String(4 * 1024 * 1024),
  requestTimeout: '30000',
  headersTimeout: '10000',
  workers: '0',
} as const;

export function resolveServeOptions(flags: ServeFlags): ServeOptions {
  // --workers: batches are scored in worker threads, each with its own session; 0 (the default) scores in the main
  // thread beside the HTTP work (see the README's "Serving" for what each costs).
  const scoring = resolveOptions([], { ...flags, workers: flags.workers ?? SERVE_DEFAULTS.workers }, process.env, 'serve');
  const model = scoring.model;
  const port = wholeNumber('--port', flags.port ?? SERVE_DEFAULTS.port);
  if (port > 65535) throw new RunError('USAGE', `--port must be at most 65535, got ${port}`);
  const requestTimeoutMs = positiveInt('--request-timeout', flags.requestTimeout ?? SERVE_DEFAULTS.requestTimeout);
  const headersTimeoutMs = positiveInt('--headers-timeout', flags.headersTimeout ?? SERVE_DEFAULTS.headersTimeout);
  if (headersTimeoutMs > requestTimeoutMs) throw new RunError('USAGE', `--headers-timeout (${headersTimeoutMs}) must not exceed --request-timeout (${requestTimeoutMs})`);
  const name = flags.name ?? path.basename(model).replace(/\.onnx$/i, '');
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) throw new RunError('USAGE', `--name must be letters, digits, '.', '_' or '-', got ${JSON.stringify(name)}`);
  if (flags.shadowLog !== undefined && flags.shadow === undefined) throw new RunError('USAGE', '--shadow-log needs --shadow <model>');
  return {
    scoring,
    host: flags.host ?? SERVE_DEFAULTS.host,
    port,
    name,
    maxBatchSize: positiveInt('--max-batch-size', flags.maxBatchSize ?? SERVE_DEFAULTS.maxBatchSize),
    maxWaitMs: wholeNumber('--max-wait-ms', flags.maxWaitMs ?? SERVE_DEFAULTS.maxWaitMs),
    maxQueue: positiveInt('--max-queue', flags.maxQueue ?? SERVE_DEFAULTS.maxQueue),
    maxBodyBytes: positiveInt('--max-body-bytes', flags.maxBodyBytes ?? SERVE_DEFAULTS.maxBodyBytes),
    requestTimeoutMs,
    headersTimeoutMs,
    shadow: flags.shadow ?? null,
    shadowLog: flags.shadowLog ?? null,
    quiet: flags.quiet === true,
    verbose: scoring.verbose,
  };
}

function wholeNumber(flag: string, value: string): number {
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(Number(value))) throw new RunError('USAGE', `${flag} must be a whole number ≥ 0, got ${JSON.stringify(value)}`);
  return Number(value);
}
