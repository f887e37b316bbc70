/**
 * A run's monitoring, in the main thread: what every unit needs to profile (made once from the plan, sent to
 * workers with it), the units' partials merged as they are written, and at the end the profile and, against a
 * baseline, the drift report. Knows nothing of streams or threads.
 */
import { readFile } from 'node:fs/promises';
import { RunError, oneLine, readReason } from '../errors.js';
import type { FeaturePlan } from '../model/featurePlan.js';
import { declaredRecordShape, outputColumnNames } from '../model/outputPlan.js';
import type { TensorSpec } from '../model/session.js';
import { PROFILE_SCHEMA, PROFILE_VERSION, RunProfile, finalizeProfile, type Profile } from './profile.js';
import type { ProfilePartial, ProfileSetup } from './profiler.js';
import { baselineBins, oversizedColumn } from './baselineBins.js';
import { RunAgreement, comparedOutputs, type AgreementPartial, type AgreementReport } from './agreement.js';
import { compareProfiles, type DriftReport } from './drift.js';

/** What a unit of work needs to monitor: plain data, sent to workers. */
export interface MonitorSetup {
  profile: ProfileSetup;
  /** --ood: name each record's features outside the baseline's [min, max] (in an output column). */
  ood: boolean;
  /** --challenger: the two models' output types, to compare their predictions. */
  agreement: { main: Array<{ type: string }>; challenger: Array<{ type: string }> } | null;
}

/** What a unit of work gives back. */
export interface MonitorPartial {
  profile: ProfilePartial;
  agreement: AgreementPartial | null;
}

/**
 * What a run has merged so far, as partials (a --resume checkpoint keeps it): merged into the monitor of a new run
 * of the same job, they make it the same, exactly. The profile only when the run uses it (a baseline, or
 * `batch-score profile`): a run with only a challenger profiles for nothing.
 */
export interface MonitorKept {
  profile: ProfilePartial | null;
  agreement: AgreementPartial | null;
}

export interface MonitorSettings {
  baseline: Profile | null;
  /** The run writes its profile (batch-score profile): keep full histograms even with a baseline. */
  profile: boolean;
  baselinePath: string | null;
  bins: number;
  ood: boolean;
  /** The challenger's outputs (their own names, not prefixed), when there is one. */
  challenger: TensorSpec[] | null;
}

/** Reads and checks a baseline profile (--baseline). */
export async function loadBaseline(path: string): Promise<Profile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new RunError('INPUT', `cannot read --baseline ${path}: ${readReason(err)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new RunError('INPUT', `--baseline ${path}: ${oneLine(err)}`);
  }
  const p = parsed as Partial<Profile> | null;
  if (p?.schema !== PROFILE_SCHEMA || !Array.isArray(p.columns)) {
    throw new RunError('INPUT', `--baseline ${path} is not a batch-score profile (make one with batch-score profile … -o ${path})`);
  }
  if (p.version !== PROFILE_VERSION) {
    throw new RunError('INPUT', `--baseline ${path} is a profile of version ${p.version}; this batch-score reads version ${PROFILE_VERSION}: make it again with batch-score profile`);
  }
  const oversized = oversizedColumn(p as Profile);
  if (oversized !== null) {
    throw new RunError('INPUT', `--baseline ${path}: column "${oversized}" has more bins than a profile holds (batch-score profile makes at most 100): make it again with batch-score profile`);
  }
  return p as Profile;
}

export class RunMonitor {
  private profile: RunProfile | null = null;
  private readonly agreement = new RunAgreement();
  private mainOutputs: TensorSpec[] = [];
  /** A resumed run's profile so far, merged once the profile is made (setup()). */
  private restored: ProfilePartial | null = null;

  constructor(private readonly settings: MonitorSettings) {}

  /** The units' setup, from the plan (inputs as fed) and the main model's outputs. */
  setup(plan: FeaturePlan, outputs: TensorSpec[], labels: Record<string, string[]>): MonitorSetup {
    this.mainOutputs = outputs;
    const feeds = plan.feeds.map((f) => ({
      type: f.type,
      names: f.fromArray ? Array.from({ length: f.width }, (_, j) => `${plan.columns[f.columns[0]]}[${j}]`) : f.columns.map((c) => plan.columns[c]),
    }));
    const ranges = this.ranges();
    const bins = this.binned() ? baselineBins(this.settings.baseline!) : null;
    const inputs = feeds.flatMap((f) => f.names.map((n) => `input\u0000${n}`));
    const predictions = outputs.map((o) => predictionNames(o, labels).map((n) => `prediction\u0000${n}`));
    const profile: ProfileSetup = {
      feeds,
      outputs: outputs.map((o) => ({ type: o.type })),
      inputRanges: ranges && inputs.map((k) => ranges.get(k) ?? null),
      outputRanges: ranges && predictions.map((ks) => ks.map((k) => ranges.get(k) ?? null)),
      inputBins: bins && inputs.map((k) => bins.get(k) ?? null),
      outputBins: bins && predictions.map((ks) => ks.map((k) => bins.get(k) ?? null)),
    };
    this.profile = new RunProfile(profile);
    if (this.restored) this.profile.merge(this.restored);
    this.restored = null;
    const { challenger } = this.settings;
    return { profile, ood: this.settings.ood, agreement: challenger ? { main: outputs.map((o) => ({ type: o.type })), challenger: challenger.map((o) => ({ type: o.type })) } : null };
  }

  /** The baseline's [min, max] by role and column name. */
  private ranges(): Map<string, [number, number]> | null {
    const b = this.settings.baseline;
    if (!b) return null;
    const out = new Map<string, [number, number]>();
    for (const c of b.columns) if (c.kind === 'numeric' && c.min !== null && c.max !== null) out.set(`${c.role}\u0000${c.name}`, [c.min, c.max]);
    return out;
  }

  /** A run that only compares (no profile written) counts numeric columns in the baseline's bins. */
  private binned(): boolean {
    return this.settings.baseline !== null && !this.settings.profile;
  }

  /** What is merged so far (see MonitorKept). */
  kept(): MonitorKept {
    const { baseline, profile, challenger } = this.settings;
    return { profile: baseline !== null || profile ? (this.profile?.whole() ?? null) : null, agreement: challenger ? this.agreement.whole() : null };
  }

  /** A resumed run: what the run it continues had merged (before any unit of this one). */
  restore(kept: MonitorKept): void {
    if (kept.agreement) this.agreement.merge(kept.agreement);
    this.restored = kept.profile;
  }

  merge(p: MonitorPartial): void {
    this.profile?.merge(p.profile);
    if (p.agreement) this.agreement.merge(p.agreement);
  }

  /** The profile (when written) and, with a baseline, the drift report; `columnNames` per output as the run wrote them. */
  finish(columnNames: string[][], meta: { sha256: string; records: Profile['records'] }): { profile: Profile | null; drift: DriftReport | null; agreement: AgreementReport | null } {
    const profile = this.profile ?? new RunProfile({ feeds: [], outputs: [], inputRanges: null, outputRanges: null });
    const main = columnNames.slice(0, this.mainOutputs.length);
    const columns = profile.columns(main);
    const agreement = this.settings.challenger ? this.agreementReport(columnNames) : null;
    const { baseline, baselinePath } = this.settings;
    return {
      // Counted in the baseline's bins, the columns have no histogram to make a profile of (none is written).
      profile: this.binned() ? null : finalizeProfile(columns, meta, this.settings.bins),
      drift: baseline ? compareProfiles(baseline, baselinePath ?? '', columns, { ...meta, ...(agreement ? { agreement } : {}) }) : null,
      agreement,
    };
  }

  private agreementReport(columnNames: string[][]): AgreementReport {
    const n = this.mainOutputs.length;
    const pairs = comparedOutputs(this.mainOutputs, this.settings.challenger!).flatMap((k) =>
      columnNames[k].map((name, j): [string, string] => [name, columnNames[n + k]?.[j] ?? `challenger_${name}`]),
    );
    return this.agreement.report(pairs);
  }
}

/** An output's column names as far as the model declares them (its inner shape), for matching a baseline. */
function predictionNames(spec: TensorSpec, labels: Record<string, string[]>): string[] {
  const shape = declaredRecordShape(spec);
  return shape ? outputColumnNames(spec.name, shape, labels[spec.name]) : [spec.name];
}
