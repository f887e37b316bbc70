/**
 * The two kinds of failure, never mixed up (DESIGN.md "Errors"):
 * - record errors are data: a code and a message that end up in the sidecar;
 * - run errors stop the run: one class, one code, one exit code from one table.
 */

/** Stable codes of record errors, as written in the sidecar's `code` field. */
export const RECORD_ERROR_CODES = [
  'PARSE_ERROR',
  'FEATURE_COUNT',
  'INVALID_VALUE',
  'MISSING_VALUE',
  'MODEL_ERROR',
  'RECORD_TOO_LARGE',
] as const;
export type RecordErrorCode = (typeof RECORD_ERROR_CODES)[number];

export interface RecordError {
  code: RecordErrorCode;
  message: string;
}

/** Exit codes, documented in the README. */
export const EXIT = {
  ok: 0,
  internal: 1,
  run: 2,
  someFailed: 3,
  threshold: 4,
  sigint: 130,
  sigterm: 143,
} as const;

/** Stable codes of run errors and the exit code each maps to: the only such table. */
const RUN_ERROR_EXIT = {
  USAGE: EXIT.run,
  MODEL: EXIT.run,
  INPUT: EXIT.run,
  OUTPUT: EXIT.run,
  MAPPING: EXIT.run,
  THRESHOLD: EXIT.threshold,
  INTERRUPTED: EXIT.sigint,
  TERMINATED: EXIT.sigterm,
  INTERNAL: EXIT.internal,
} as const;
export type RunErrorCode = keyof typeof RUN_ERROR_EXIT;

/** The run cannot go on. The message is one line a person can act on. */
export class RunError extends Error {
  constructor(
    readonly code: RunErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'RunError';
  }

  get exitCode(): number {
    return RUN_ERROR_EXIT[this.code];
  }
}

export function exitCodeOf(err: unknown): number {
  return err instanceof RunError ? err.exitCode : EXIT.internal;
}

/** The message of anything thrown, on one line (library errors can be multi-line). */
export function oneLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
