/**
 * --output-dir: the inputs (or a shard's whole inputs) scored one after the other, each into its own output and
 * sidecar (output/dirOutputs.ts), with one model session and one summary for the run.
 */
import type { Options, RecordFormat } from '../options.js';
import { openInput } from '../input/inputCheck.js';
import type { InputPart } from '../input/shardPlan.js';
import type { DirOutputs } from '../output/dirOutputs.js';
import type { WorkerPool } from '../score/workerPool.js';
import { newCounts, runPipeline, type RunCounts, type RunSettings } from './runner.js';

/** The output format of each input: --output-format, else the input's own (told as a run tells it). */
export async function outputFormatsOf(parts: InputPart[], options: Options): Promise<RecordFormat[]> {
  const formats: RecordFormat[] = [];
  for (const part of parts) {
    if (options.outputFormat !== null) {
      formats.push(options.outputFormat);
      continue;
    }
    const opened = await openInput(part.name, options);
    opened.source.close();
    formats.push(opened.format.name);
  }
  return formats;
}

export async function runEachInput(
  settings: Omit<RunSettings, 'sink' | 'sidecar' | 'parts' | 'pool'>,
  parts: InputPart[],
  outputs: DirOutputs,
  counts: RunCounts,
  pool: WorkerPool | null,
): Promise<void> {
  for (const [i, part] of parts.entries()) {
    const files = outputs.forInput(i);
    const own = newCounts();
    try {
      const before = { scored: counts.scored, failed: counts.failed };
      await runPipeline({
        ...settings,
        // The progress of the whole run: the inputs before this one counted in.
        onProgress: (p) => settings.onProgress?.({ ...p, scored: before.scored + p.scored, failed: before.failed + p.failed }),
        onRead: undefined,
        options: { ...settings.options, inputs: [part.name] },
        sink: files.sink,
        sidecar: files.sidecar,
        parts: [part],
        pool: i === 0 ? pool : null, // the pipeline closes its pool when it ends
      }, own);
    } finally {
      counts.scored += own.scored;
      counts.failed += own.failed;
      counts.written += own.written;
      counts.modelCalls += own.modelCalls;
    }
  }
}
