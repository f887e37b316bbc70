/**
 * The progress bar on stderr while running, only on a terminal (never on a pipe, or with --quiet/--no-progress).
 * cli-progress draws and redraws it; the line itself is ours (progressLine), so that it says what is known:
 * - input files of known size: the bytes read of all the inputs together, the records written and how many
 *   failed, the rate and the time left;
 * - standard input (or any input of unknown size): the counts and the rate, with no percentage and no ETA.
 * It fits the terminal's width (80 columns when unknown), dropping the bar before any number.
 * The total is what the run reads (plan): a shard's parts, a resumed run's rest, every input of --output-dir.
 */
import { statSync } from 'node:fs';
import { isS3Url } from '../storage/s3.js';

/** What a run reads of one input: all of it, or a byte range of it (a shard's part, a resumed run's rest). */
export interface PartRead {
  name: string;
  range: { head: number; start: number; end: number; inflated?: boolean } | null;
}

export interface ProgressBar {
  /**
   * Before reading: what the run will read, and the records a resumed run counts from its checkpoint (shown in
   * the counts, left out of the rate).
   */
  plan(parts: PartRead[], recordsBefore?: number): void;
  /** After each batch is written: the source being read (bytesRead so far) and the run's counts. */
  update(p: { source: { bytesRead: number }; scored: number; failed: number }): void;
  stop(): void;
}

/** What the line shows. */
export interface ProgressState {
  bytes: number;
  /** Bytes of all the inputs, or null when one of them has no known size (standard input). */
  total: number | null;
  records: number;
  failed: number;
  seconds: number;
  /** Seconds left as cli-progress estimates them from recent progress; null while unknown. */
  eta: number | null;
  /** Records a resumed run counts from its checkpoint: in `records`, not in the rate. */
  recordsBefore?: number;
}

export async function progressBar(enabled: boolean, stream: NodeJS.WriteStream = process.stderr): Promise<ProgressBar> {
  if (!enabled || !stream.isTTY) return { plan() {}, update() {}, stop() {} };
  // Loaded only for a terminal: most runs (cron, pipes) never draw a bar.
  const { default: cliProgress } = await import('cli-progress');
  let total: number | null = null;
  let recordsBefore = 0;
  const started = Date.now();
  const layout = { bar: MAX_BAR };
  const bar = new cliProgress.SingleBar({
    stream,
    hideCursor: true,
    clearOnComplete: true,
    fps: 5,
    // The line is built from the state: counts from the payload, the time left from cli-progress's estimate.
    format: (_options, params, payload: { records: number; failed: number }) =>
      progressLine(
        {
          bytes: params.value,
          total,
          records: payload.records,
          failed: payload.failed,
          seconds: (Date.now() - started) / 1000,
          eta: total !== null && Number.isFinite(params.eta) && params.value > 0 ? params.eta : null,
          recordsBefore,
        },
        params.maxWidth,
        layout,
      ),
  });
  // Bytes read per source (a source object per input opened): the sum is the bytes read of all inputs so far.
  const read = new Map<object, number>();
  let began = false;
  return {
    plan(parts, before = 0) {
      total = totalBytes(parts);
      recordsBefore = before;
    },
    update({ source, scored, failed }) {
      read.set(source, source.bytesRead);
      let bytes = 0;
      for (const b of read.values()) bytes += b;
      const payload = { records: scored + failed, failed };
      if (!began) {
        bar.start(total ?? 0, 0, payload);
        began = true;
      }
      bar.update(bytes, payload);
    },
    stop() {
      if (began) bar.stop();
    },
  };
}

/**
 * The bytes a run reads: each file's size, or its part's (a shard's head and range, a resumed run's rest); null when
 * one is standard input, a pipe or a device, an s3:// object, or cannot be sized (the run reports it when it opens
 * it). A gzip file's part is read from the file's start (its range counts inflated bytes): its whole size counts.
 */
export function totalBytes(parts: Array<PartRead | string>): number | null {
  let total = 0;
  for (const entry of parts) {
    const part = typeof entry === 'string' ? { name: entry, range: null } : entry;
    if (part.name === '-' || isS3Url(part.name)) return null;
    const r = part.range;
    if (r !== null && !r.inflated) {
      total += r.head + Math.max(0, r.end - r.start);
      continue;
    }
    try {
      const st = statSync(part.name);
      if (!st.isFile()) return null; // a FIFO or a device: no size to measure against
      total += st.size;
    } catch {
      return null;
    }
  }
  return total;
}

const n = (x: number): string => Math.round(x).toLocaleString('en-US');

/** `1:05` or `2:03:07`. */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const mm = String(Math.floor(s / 60) % 60);
  const ss = String(s % 60).padStart(2, '0');
  return s >= 3600 ? `${Math.floor(s / 3600)}:${mm.padStart(2, '0')}:${ss}` : `${mm}:${ss}`;
}

const MAX_BAR = 30;

/**
 * One line, at most `width - 1` columns (the last column would make some terminals wrap). `layout.bar` is the bar's
 * width: it only ever shrinks as the numbers grow, so the bar does not jump back and forth between redraws.
 */
export function progressLine(s: ProgressState, width: number, layout = { bar: MAX_BAR }): string {
  const rate = s.seconds > 0 ? (s.records - (s.recordsBefore ?? 0)) / s.seconds : 0;
  const counts = [`${n(s.records)} records`, `${n(s.failed)} failed`, `${n(rate)} rec/s`];
  const room = Math.max(20, width) - 1;
  if (s.total === null) return fit([...counts, `${duration(s.seconds)} elapsed`], room);
  const fraction = s.total > 0 ? Math.min(1, s.bytes / s.total) : 1;
  const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
  const text = fit([percent, ...counts, s.eta === null ? 'ETA –' : `ETA ${duration(s.eta)}`], room);
  const barWidth = (layout.bar = Math.min(layout.bar, room - text.length - 3));
  if (barWidth < 10) return text.trimStart();
  const done = Math.round(fraction * barWidth);
  return `[${'█'.repeat(done)}${'░'.repeat(barWidth - done)}] ${text}`;
}

/** The parts joined by ` · `, leaving out the last ones while the line is too long. */
function fit(parts: string[], room: number): string {
  for (let k = parts.length; k > 1; k--) {
    const line = parts.slice(0, k).join(' · ');
    if (line.length <= room) return line;
  }
  return parts[0].slice(0, room);
}
