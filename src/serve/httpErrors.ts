/** Failures over HTTP: a status and a one-line JSON `{"error": "..."}` body, never a stack trace or a path. */
import { RunError, oneLine, type RunErrorCode } from '../errors.js';

/** A request the server refuses, with the status that says why. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/**
 * Run error codes → HTTP statuses: the request's own fault (its columns do not fit the model, its document is
 * malformed) is a 400; the model failing as a whole is a 500; a stopping server is a 503.
 */
const STATUS_OF: Record<RunErrorCode, number> = {
  USAGE: 400,
  INPUT: 400,
  MAPPING: 400,
  THRESHOLD: 422,
  MODEL: 500,
  OUTPUT: 500,
  INTERNAL: 500,
  HANGUP: 503,
  INTERRUPTED: 503,
  TERMINATED: 503,
};

export function httpStatusOf(code: RunErrorCode): number {
  return STATUS_OF[code];
}

export function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof RunError) return new HttpError(httpStatusOf(err.code), oneLine(err), { code: err.code });
  return new HttpError(500, 'internal error (see the server log)');
}

export function badRequest(message: string, extra: Record<string, unknown> = {}): HttpError {
  return new HttpError(400, message, extra);
}
