// Running commands and taking medians.
//
// Peak RSS comes from GNU time (`/usr/bin/time -f %M -o <file>`): it reads the
// child's ru_maxrss from wait4(), so it is exact (no polling can miss the peak),
// costs nothing, works for node and python alike, and writes to a file so the
// child's own stderr stays untouched. Without /usr/bin/time the RSS is "n/a".

import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const GNU_TIME = '/usr/bin/time';
export const HAS_GNU_TIME = existsSync(GNU_TIME);

/**
 * Runs `cmd args` to completion; resolves { code, seconds, rssMB, stdout, stderr }.
 * `seconds` is the wall time seen from here (process start-up included).
 */
export async function runCommand(cmd, args, { cwd } = {}) {
  const rssFile = join(tmpdir(), `bench-rss-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const [file, argv] = HAS_GNU_TIME ? [GNU_TIME, ['-f', '%M', '-o', rssFile, cmd, ...args]] : [cmd, args];
  const start = performance.now();
  const child = spawn(file, argv, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  const seconds = (performance.now() - start) / 1000;
  return { code, seconds, rssMB: readRss(rssFile), stdout, stderr };
}

/** GNU time's %M (KiB) in MB, or null; the file's last line, since time prepends a note when the child fails. */
function readRss(file) {
  if (!existsSync(file)) return null;
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  rmSync(file);
  const kib = Number(lines[lines.length - 1]);
  return Number.isFinite(kib) ? kib / 1024 : null;
}

function median(values) {
  const v = [...values].sort((a, b) => a - b);
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/**
 * Runs `once()` `runs` times, one after the other (the machine is small and
 * shared). `once` resolves a runCommand()-like result; a non-zero `code` ends
 * the series as failed: { ok: false, last }. Otherwise resolves
 * { ok: true, seconds, rssMB, last } with the medians over the runs.
 */
export async function repeat(runs, once) {
  const [series] = await interleave(runs, [once]);
  return series;
}

/**
 * Runs several commands in turns, A B C A B C …, `runs` rounds: each gets the same share of the machine's
 * changing load, so their ratios hold better than those of series run one after another. Resolves one
 * repeat()-style series per command; a command whose run fails drops out of the later rounds.
 */
export async function interleave(runs, onces) {
  const results = onces.map(() => []);
  const failed = onces.map(() => null);
  for (let i = 0; i < runs; i++) {
    for (let k = 0; k < onces.length; k++) {
      if (failed[k]) continue;
      const r = await onces[k]();
      if (r.code) failed[k] = r;
      else results[k].push(r);
    }
  }
  return results.map((rs, k) => {
    if (failed[k]) return { ok: false, last: failed[k] };
    const rss = rs.map((r) => r.rssMB).filter((x) => x != null);
    return {
      ok: true,
      seconds: median(rs.map((r) => r.seconds)),
      rounds: rs.map((r) => r.seconds),
      rssMB: rss.length ? median(rss) : null,
      last: rs[rs.length - 1],
    };
  });
}

/**
 * The ratio a/b of two series run in turns (interleave), as the median of each round's ratio: on this shared
 * machine the speed drifts between rounds, and a round's two runs share its load, so the ratio of two medians taken
 * from different rounds moved by ±15% where the round-by-round ratio moved by a few percent. null if either failed.
 */
export function pairedRatio(a, b) {
  if (!a.ok || !b.ok || a.rounds.length !== b.rounds.length) return null;
  return median(a.rounds.map((x, i) => x / b.rounds[i]));
}

/** Rounds for a goal that is a ratio of runs in turns (monitoring, checkpointing): more than a figure's own runs. */
export const RATIO_ROUNDS = 7;
export const ratioRuns = (ctx) => (ctx.smoke ? ctx.runs : Math.max(ctx.runs, RATIO_ROUNDS));
