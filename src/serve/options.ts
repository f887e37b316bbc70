/** The serve command's options, resolved from its flags (commands/serveOptions.ts). */
import type { Options } from '../options.js';

export interface ServeOptions {
  /** The scoring options a run would use (--features, --keep, --outputs, --missing, --threads, --retries…). */
  scoring: Options;
  host: string;
  port: number;
  /** The model's name in V2 routes: --name, else the model file's base name. */
  name: string;
  maxBatchSize: number;
  maxWaitMs: number;
  maxQueue: number;
  maxBodyBytes: number;
  requestTimeoutMs: number;
  headersTimeoutMs: number;
  shadow: string | null;
  shadowLog: string | null;
  quiet: boolean;
  verbose: boolean;
}
