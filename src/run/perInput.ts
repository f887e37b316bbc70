/**
 * --output-dir: the inputs (or a shard's whole inputs) scored one after the other, each into its own output and
 * sidecar (output/dirOutputs.ts), with one model session and one summary for the run.
 */
import type { Options, RecordFormat } from '../options.js';
import { openInput } from '../input/inputCheck.js';
import type { InputPart } from '../input/shardPlan.js';
import { DirOutputs, makeOutputDir } from '../output/dirOutputs.js';
import type { WorkerPool } from '../score/workerPool.js';
import type { AtomicFileSink } from '../output/sinks.js';
import { DirCheckpoints } from './resume/dirCheckpoints.js';
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

/**
 * Each input's output and sidecar under DIR, opened before anything is read, and with --resume the checkpoint
 * beside each (found, or refused, before the outputs are opened: they are opened where it left them).
 */
export async function openDirRun(options: Options, parts: InputPart[], modelSha256: string): Promise<{ outputs: DirOutputs; checkpoints: DirCheckpoints }> {
  const perInput = { ...options, inputs: parts.map((p) => p.name) };
  const formats = await outputFormatsOf(parts, options);
  const each = DirOutputs.plan(perInput, formats);
  await makeOutputDir(options.outputDir!);
  const checkpoints = await DirCheckpoints.find(each, modelSha256);
  return { outputs: await DirOutputs.open(perInput, each, checkpoints.kept), checkpoints };
}

export async function runEachInput(
  settings: Omit<RunSettings, 'sink' | 'sidecar' | 'parts' | 'pool'>,
  parts: InputPart[],
  outputs: DirOutputs,
  counts: RunCounts,
  pool: WorkerPool | null,
  checkpoints: DirCheckpoints | null = null,
): Promise<void> {
  let unusedPool = pool;
  for (const [i, part] of parts.entries()) {
    const files = outputs.forInput(i);
    const checkpoint = checkpoints?.each[i] ?? null;
    const own = newCounts();
    try {
      // With --resume, an input whose output is complete is not read again: its counts are the checkpoint's.
      if (checkpoint?.complete) {
        checkpoint.restoreCompleted(own, files.sidecar);
        continue;
      }
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
        pool: unusedPool, // the pipeline closes its pool when it ends
        resume: (await checkpoint?.start(files.sink as AtomicFileSink, files.sidecar)) ?? null,
      }, own);
      unusedPool = null;
      await checkpoint?.inputDone(own, files.sidecar);
    } finally {
      counts.scored += own.scored;
      counts.failed += own.failed;
      counts.written += own.written;
      counts.modelCalls += own.modelCalls;
    }
  }
}
