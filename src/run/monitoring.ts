/**
 * A run's monitoring from start to end: the baseline and the challenger loaded before scoring, and afterwards the
 * profile (batch-score profile's output), the drift report (--drift, JSON or HTML) and the exit code --max-drift
 * asks for. The monitor's modules are loaded only by a run that monitors (a plain run's start-up is shorter).
 */
import { EXIT } from '../errors.js';
import type { Options } from '../options.js';
import { ModelSession, readModel, type ModelBytes } from '../model/session.js';
import type { RunMonitor } from '../monitor/runMonitor.js';
import type { DriftReport } from '../monitor/drift.js';
import type { AgreementReport } from '../monitor/agreement.js';
import type { Profile } from '../monitor/profile.js';

export interface Monitoring {
  monitor: RunMonitor | null;
  challenger: { session: ModelSession; model: ModelBytes } | null;
}

export interface MonitorResult {
  /** Null when the run writes no profile and compares with a baseline (see RunMonitor.finish). */
  profile: Profile | null;
  drift: DriftReport | null;
  agreement: AgreementReport | null;
}

/** Loads what monitoring needs before any input is read: a bad baseline or challenger stops the run at once. */
export async function startMonitoring(options: Options): Promise<Monitoring> {
  const m = options.monitor;
  if (!m.profile && m.baseline === null && m.challenger === null) return { monitor: null, challenger: null };
  const { RunMonitor, loadBaseline } = await import('../monitor/runMonitor.js');
  const baseline = m.baseline === null ? null : await loadBaseline(m.baseline);
  let challenger: Monitoring['challenger'] = null;
  if (m.challenger !== null) {
    const model = await readModel(m.challenger);
    challenger = { model, session: await ModelSession.fromBytes(model, options.threads) };
  }
  const challengerOutputs = challenger ? challenger.session.info.outputs : null;
  const monitor = new RunMonitor({ baseline, profile: m.profile, baselinePath: m.baseline, bins: m.bins, ood: m.ood !== null, challenger: challengerOutputs });
  return { monitor, challenger };
}

/** The drift report's text: HTML for a .html/.htm path, else JSON. */
export async function reportText(options: Options, drift: DriftReport | null): Promise<string | null> {
  if (drift === null || options.monitor.drift === null) return null;
  if (!/\.html?$/i.test(options.monitor.drift)) return `${JSON.stringify(drift, null, 2)}\n`;
  const { renderHtml } = await import('../monitor/html.js');
  return renderHtml(drift);
}

/** Exit 5 when the worst column's PSI is over --max-drift (the output is complete all the same); else `exitCode`. */
export function driftExit(options: Options, drift: DriftReport | null, exitCode: number): number {
  const max = options.monitor.maxDrift;
  return max !== null && drift?.worst && drift.worst.psi > max ? EXIT.drift : exitCode;
}
