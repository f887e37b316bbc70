/** A progress bar on stderr while running, only on a terminal (never on a pipe, or with --quiet/--no-progress). */
import cliProgress from 'cli-progress';

export interface ProgressBar {
  update(bytes: number, total: number | null, records: number): void;
  stop(): void;
}

export function progressBar(enabled: boolean, stream: NodeJS.WriteStream = process.stderr): ProgressBar {
  if (!enabled || !stream.isTTY) return { update() {}, stop() {} };
  const started = Date.now();
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: 'scoring [{bar}] {percentage}% | {records} records | {rate} rec/s',
      hideCursor: true,
      clearOnComplete: true,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  let began = false;
  return {
    update(bytes, total, records) {
      const rate = Math.round(records / Math.max((Date.now() - started) / 1000, 0.001));
      if (!began) {
        bar.start(total ?? 0, 0, { records, rate });
        began = true;
      }
      if (total !== null) bar.setTotal(total);
      bar.update(bytes, { records, rate });
    },
    stop() {
      if (began) bar.stop();
    },
  };
}
