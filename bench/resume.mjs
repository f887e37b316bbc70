// Resume figures (issue 17), for bench/run.mjs: the cost of checkpointing (a --resume run against the same run
// without, in turns), and a run on 3R rows killed (kill -9) once 60% of its output is written (60% of the records),
// then resumed: the resumed run's time against the uninterrupted one's. Also killed at 60% of the uninterrupted
// run's time, which counts the start-up in the 60% (fewer records are done by then); and the same kill on 9R rows, to
// show how the share moves with the job's size (the two threads' warm-up lasts seconds, so it is not a third of 3R's).
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { interleave, pairedRatio, ratioRuns, runCommand } from './measure.mjs';

/** The CSV `times` times over (the header once): times × R rows with nothing new to read. */
async function repeated(csv, file, times) {
  const out = createWriteStream(file);
  for (let k = 0; k < times; k++) {
    let header = k > 0;
    for await (const piece of createReadStream(csv)) {
      let bytes = piece;
      if (header) {
        const nl = bytes.indexOf(10);
        if (nl < 0) continue;
        bytes = bytes.subarray(nl + 1);
        header = false;
      }
      if (!out.write(bytes)) await once(out, 'drain');
    }
  }
  out.end();
  await once(out, 'close');
}

/** Starts `args` and kills it (kill -9) after `seconds`. */
async function killedAfter(args, seconds) {
  const child = spawn(process.execPath, args, { stdio: 'ignore' });
  const timer = setTimeout(() => child.kill('SIGKILL'), seconds * 1000);
  await once(child, 'close');
  clearTimeout(timer);
}

/** Starts `args` and kills it (kill -9) once `partial` (its checkpoint's partial output) holds `bytes`. */
async function killedOnceWritten(args, partial, bytes) {
  const child = spawn(process.execPath, args, { stdio: 'ignore' });
  const size = () => {
    try {
      return statSync(partial).size;
    } catch {
      return 0;
    }
  };
  const poll = setInterval(() => size() >= bytes && child.kill('SIGKILL'), 10);
  await once(child, 'close');
  clearInterval(poll);
}

/**
 * `ctx`: rows, runs, smoke, cli (the built CLI), model, data ({ csv }), outDir, resume (the build has --resume).
 * `figure(label, rows, series)` and `skipped(label, why)` make report rows. Returns { figures, goals(row) }.
 */
export async function resumeFigures(ctx, { figure, skipped }) {
  const labels = {
    plain: 'batch-score CSV→CSV (for --resume)',
    resume: 'batch-score CSV→CSV --resume (a checkpoint every second)',
    whole: 'batch-score on 3R rows, uninterrupted (--resume)',
    resumed: 'batch-score on 3R rows: the run resumed after a kill -9 once 60% of its records were written',
    resumedByTime: 'batch-score on 3R rows: the run resumed after a kill -9 at 60% of the uninterrupted time',
    whole9: 'batch-score on 9R rows, uninterrupted (--resume)',
    resumed9: 'batch-score on 9R rows: the run resumed after a kill -9 once 60% of its records were written',
  };
  if (ctx.smoke || !ctx.resume) {
    const why = ctx.smoke ? 'skipped (--smoke)' : 'n/a (no --resume in this build)';
    return { figures: Object.values(labels).map((l) => skipped(l, why)), goals: () => undefined };
  }
  const args = (input, output, more = []) => [ctx.cli, input, '-m', ctx.model, '--keep', 'id', '-q', '-o', output, ...more];
  const run = (a) => runCommand(process.execPath, a);
  const out = (name) => join(ctx.outDir, name);
  const [plain, resume] = await interleave(ratioRuns(ctx), [
    () => run(args(ctx.data.csv, out('resume-plain.csv'))),
    () => run(args(ctx.data.csv, out('resume-on.csv'), ['--resume'])),
  ]);
  const runs = Math.min(ctx.runs, 3);
  const [whole, resumed, resumedByTime] = await killedAndResumed(ctx, run, args, out, 3, runs, true);
  const [whole9, resumed9] = await killedAndResumed(ctx, run, args, out, 9, runs, false);
  const figures = [
    figure(labels.plain, ctx.rows, plain),
    figure(labels.resume, ctx.rows, resume),
    figure(labels.whole, 3 * ctx.rows, whole),
    figure(labels.resumed, 3 * ctx.rows, resumed),
    figure(labels.resumedByTime, 3 * ctx.rows, resumedByTime),
    figure(labels.whole9, 9 * ctx.rows, whole9),
    figure(labels.resumed9, 9 * ctx.rows, resumed9),
  ];
  const goals = (row) => {
    const ok = (f) => f && !f.failed;
    const [p, r, w, k, t] = figures;
    const overhead = ok(p) && ok(r) ? pairedRatio(r.series, p.series) : null;
    row('--resume: checkpointing costs ≤ 3% (CSV→CSV, runs in turns)', overhead === null ? 'n/a' : `${((overhead - 1) * 100).toFixed(1)}%`, overhead === null ? null : overhead <= 1.03);
    const part = ok(w) && ok(k) ? k.seconds / w.seconds : null;
    row('--resume: killed at 60% of a 3R-row run (of its records), the resumed run takes ≤ 50% of the uninterrupted time', part === null ? 'n/a' : `${(part * 100).toFixed(0)}%`, part === null ? null : part <= 0.5);
    const byTime = ok(w) && ok(t) ? t.seconds / w.seconds : null;
    row('--resume: killed at 60% of the uninterrupted time instead (start-up counted in the 60%)', byTime === null ? 'n/a' : `${(byTime * 100).toFixed(0)}%`, null);
    const [w9, k9] = figures.slice(5);
    const part9 = ok(w9) && ok(k9) ? k9.seconds / w9.seconds : null;
    row('--resume: the same kill on a 9R-row run (how the share moves with the size of the job)', part9 === null ? 'n/a' : `${(part9 * 100).toFixed(0)}%`, null);
  };
  return { figures, goals };
}

/**
 * A run on `times` × R rows, uninterrupted, then killed once 60% of its records are written and resumed (and, with
 * `byTime`, killed at 60% of the uninterrupted time and resumed), in turns: [whole, resumed, resumedByTime?].
 */
async function killedAndResumed(ctx, run, args, out, times, runs, byTime) {
  const big = out(`resume-${times}r.csv`);
  await repeated(ctx.data.csv, big, times);
  const complete = out(`resume-${times}r-whole.csv`);
  const [whole] = await interleave(runs, [() => run(args(big, complete, ['--resume']))]);
  let killedRuns = Array(byTime ? 2 : 1).fill({ ok: false, last: { code: 'n/a', stderr: 'the uninterrupted run failed' } });
  if (whole.ok) {
    const killed = out(`resume-${times}r-killed.csv`);
    const a = args(big, killed, ['--resume']);
    const outputBytes = statSync(complete).size;
    const kills = [
      async () => {
        await killedOnceWritten(a, `${killed}.resume.partial`, 0.6 * outputBytes);
        return run(a);
      },
      async () => {
        await killedAfter(a, 0.6 * whole.seconds);
        return run(a);
      },
    ];
    killedRuns = await interleave(runs, kills.slice(0, byTime ? 2 : 1));
  }
  rmSync(big, { force: true });
  return [whole, ...killedRuns];
}
