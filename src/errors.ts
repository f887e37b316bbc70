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
  /** The run is complete, but a column drifted past --max-drift (a finished run, not a run error). */
  drift: 5,
  sighup: 129,
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
  HANGUP: EXIT.sighup,
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
/** Why a file could not be read, in a few words a person acts on (a system error's own text names no file). */
export function readReason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  const reasons: Record<string, string> = { ENOENT: 'no such file', EISDIR: 'it is a directory', EACCES: 'permission denied', ENOTDIR: 'a part of the path is not a directory' };
  return (code && reasons[code]) ?? oneLine(err);
}

export function oneLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

/**
 * Text made safe for a terminal: control characters (C0, DEL, C1 — an ESC sequence in a header could recolour or
 * clear the screen) and the invisible bidirectional overrides become JSON-style escapes (`\u001b`). Line breaks
 * are escaped too: the result is one line. Escaping is idempotent (an escape contains no control character).
 */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * Names shown in a message: the first `max`, each cut to a readable length, then how many more (a header can have
 * 100,000 columns, and one line must stay readable). Quoted (`"a", "b"`) or plain (`a,b`).
 */
export function someNames(names: readonly string[], { max = 10, quoted = true } = {}): string {
  const cut = (n: string): string => (n.length > 60 ? `${n.slice(0, 60)}…` : n);
  const shown = names.slice(0, max).map((n) => (quoted ? JSON.stringify(cut(n)) : cut(n))).join(quoted ? ', ' : ',');
  return names.length > max ? `${shown} … and ${(names.length - max).toLocaleString('en-US')} more` : shown;
}
