/**
 * V8 compiles typed-array code without checks for a detached ArrayBuffer for as long as no ArrayBuffer of the
 * thread has been detached. The first transfer (a block posted to a worker, a result posted back) detaches one,
 * and V8 then throws away every optimised function that relied on it: in a run, the parser, the formatter and the
 * monitor's loop of both threads at once, a few hundred milliseconds into the run, all warmed up again (seen with
 * --trace-deopt: "marking dependent code … reason: code dependencies"). Detaching a small buffer first, before
 * anything is optimised, spares that second warm-up. Each thread calls this once as it starts.
 */
export function detachOneArrayBuffer(): void {
  const buffer = new ArrayBuffer(8);
  structuredClone(buffer, { transfer: [buffer] });
}
