/**
 * The drift report as one self-contained HTML page (inline CSS and SVG; no scripts, fonts or anything fetched):
 * a summary table, then one section per column sorted by PSI with the baseline's and this run's histograms
 * overlaid, the verdict and the numbers. The page a person opens the morning after.
 */
import { fmt, type ColumnDrift, type DriftReport, type Verdict } from './drift.js';
import type { AgreementReport } from './agreement.js';

const COLORS: Record<Verdict, string> = { ok: '#2e7d32', watch: '#b26a00', drift: '#c62828' };
const W = 640;
const H = 200;
const PAD = { left: 44, right: 12, top: 12, bottom: 42 };

export function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * A count with its thousands grouped, as toLocaleString('en-US') writes it, without the locale machinery (whose
 * first use costs a run tens of milliseconds).
 */
export function grouped(n: number): string {
  if (!Number.isSafeInteger(n) || Object.is(n, -0)) return n.toLocaleString('en-US');
  const digits = String(Math.abs(n));
  let out = digits.slice(0, ((digits.length - 1) % 3) + 1);
  for (let i = out.length; i < digits.length; i += 3) out += `,${digits.slice(i, i + 3)}`;
  return n < 0 ? `-${out}` : out;
}

const pct = (x: number): string => `${(x * 100).toFixed(x !== 0 && Math.abs(x) < 0.001 ? 3 : 1)}%`;
const badge = (v: Verdict): string => `<span class="badge" style="background:${COLORS[v]}">${v}</span>`;
const anchor = (i: number): string => `col-${i}`;

export function renderHtml(report: DriftReport): string {
  const title = `batch-score drift report: ${report.verdict}`;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px;color:#222;max-width:980px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:0 0 6px}
.meta{color:#555;font-size:13px;margin-bottom:16px}
table{border-collapse:collapse;font-size:13px;margin:8px 0}
th,td{padding:3px 8px;border-bottom:1px solid #ddd;text-align:right}
th:first-child,td:first-child{text-align:left}
.badge{color:#fff;border-radius:3px;padding:1px 6px;font-size:12px;font-weight:600}
section{border:1px solid #ddd;border-radius:6px;padding:12px 16px;margin:16px 0}
.cols{display:flex;gap:24px;flex-wrap:wrap;align-items:flex-start}
svg text{font-size:11px;fill:#444;font-family:inherit}
.legend{font-size:12px;color:#444}.facts{font-size:13px;margin:6px 0}.sw{display:inline-block;width:10px;height:10px;margin:0 4px 0 10px;vertical-align:-1px}
</style></head><body>
<h1>Drift: ${badge(report.verdict)}${report.worst ? ` worst PSI ${fmt(report.worst.psi)} (${esc(report.worst.column)})` : ''}</h1>
<div class="meta">Baseline ${esc(report.baseline.path)}: ${grouped(report.baseline.records.scored)} records scored ·
this run: ${grouped(report.current.records.scored)} scored, ${grouped(report.current.records.failed)} failed ·
PSI &lt; ${report.thresholds.watch} ok, &lt; ${report.thresholds.drift} watch, else drift${report.baseline.sha256 !== report.current.sha256 ? ' · <b>the baseline was made with another model</b>' : ''}</div>
${summaryTable(report.columns)}
${report.agreement ? agreementSection(report.agreement) : ''}
${report.columns.map((c, i) => columnSection(c, i)).join('\n')}
${unmatched(report)}
</body></html>
`;
}

function summaryTable(columns: ColumnDrift[]): string {
  const rows = columns.map((c, i) => `<tr><td><a href="#${anchor(i)}">${esc(c.name)}</a></td><td>${c.role}</td><td>${fmt(c.psi)}</td><td>${badge(c.verdict)}</td>` +
    `<td>${c.outsideRange ? pct(c.outsideRange.share) : '–'}</td><td>${signedPct(c.missingRateChange)}</td><td>${c.newCategories ? c.newCategories.length : '–'}</td></tr>`);
  return `<table class="summary"><thead><tr><th>column</th><th>role</th><th>PSI</th><th>verdict</th><th>outside baseline range</th><th>missing rate change</th><th>new categories</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table>`;
}

const signedPct = (x: number): string => `${x > 0 ? '+' : ''}${pct(x)}`;

function columnSection(c: ColumnDrift, i: number): string {
  const stats = (s: ColumnDrift['baseline']) => [grouped(s.count), pct(s.missingRate), fmt(s.min), fmt(s.max), fmt(s.mean), fmt(s.std)];
  const b = stats(c.baseline);
  const cur = stats(c.current);
  const heads = c.kind === 'numeric' ? ['count', 'missing', 'min', 'max', 'mean', 'std'] : ['count', 'missing'];
  const numbers = `<table><thead><tr><th></th>${heads.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>
<tr><td>baseline</td>${b.slice(0, heads.length).map((x) => `<td>${x}</td>`).join('')}</tr>
<tr><td>this run</td>${cur.slice(0, heads.length).map((x) => `<td>${x}</td>`).join('')}</tr></tbody></table>`;
  const extra = [
    c.outsideRange ? `outside the baseline's range: ${pct(c.outsideRange.share)} (${grouped(c.outsideRange.below)} below, ${grouped(c.outsideRange.above)} above)` : null,
    `missing rate change: ${signedPct(c.missingRateChange)}`,
    c.newCategories && c.newCategories.length ? `new categories: ${c.newCategories.map((n) => `${esc(n.value)} (${n.count})`).join(', ')}` : null,
  ].filter(Boolean).map((x) => `<div class="facts">${x}</div>`).join('');
  return `<section id="${anchor(i)}"><h2>${esc(c.name)} <small>(${c.role}, ${c.kind})</small> ${badge(c.verdict)} PSI ${fmt(c.psi)}</h2>
<div class="cols"><div>${c.chart ? numericChart(c.chart, c.verdict) : barsChart(c)}${legend(c.verdict)}</div><div>${numbers}${extra}${binsTable(c)}</div></div></section>`;
}

function legend(v: Verdict): string {
  return `<div class="legend"><span class="sw" style="background:#9e9e9e"></span>baseline<span class="sw" style="background:${COLORS[v]};opacity:.55"></span>this run</div>`;
}

function binsTable(c: ColumnDrift): string {
  const rows = c.bins.map((b) => `<tr><td>${esc(b.label)}</td><td>${pct(b.baseline)}</td><td>${pct(b.current)}</td></tr>`).join('');
  return `<table><thead><tr><th>PSI bin</th><th>baseline</th><th>this run</th></tr></thead><tbody>${rows}</tbody></table>`;
}

/** Overlaid histograms over the baseline's [min, max], with this run's values below and above it as side bars. */
function numericChart(ch: NonNullable<ColumnDrift['chart']>, v: Verdict): string {
  const bt = ch.baseline.reduce((a, b) => a + b, 0) || 1;
  const ct = ch.current.reduce((a, b) => a + b, 0) + ch.below + ch.above || 1;
  const base = ch.baseline.map((n) => n / bt);
  const cur = [ch.below, ...ch.current, ch.above].map((n) => n / ct);
  const n = ch.baseline.length + 2; // a slot each side for below / above
  const top = Math.max(...base, ...cur, 1e-9);
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const slot = plotW / n;
  const y = (s: number) => PAD.top + plotH * (1 - s / top);
  const bar = (i: number, s: number, fill: string, extra = '') =>
    s > 0 ? `<rect x="${(PAD.left + i * slot + 0.5).toFixed(1)}" y="${y(s).toFixed(1)}" width="${Math.max(slot - 1, 1).toFixed(1)}" height="${(PAD.top + plotH - y(s)).toFixed(1)}" fill="${fill}"${extra}/>` : '';
  const bars = [
    ...base.map((s, i) => bar(i + 1, s, '#9e9e9e')),
    ...cur.map((s, i) => bar(i, s, i === 0 || i === n - 1 ? '#c62828' : COLORS[v], ' fill-opacity="0.55"')),
  ].join('');
  const axis = axes(top) +
    `<text x="${PAD.left + slot / 2}" y="${H - PAD.bottom + 14}" text-anchor="middle">below</text>` +
    `<text x="${PAD.left + slot * (n - 0.5)}" y="${H - PAD.bottom + 14}" text-anchor="middle">above</text>` +
    `<text x="${PAD.left + slot}" y="${H - PAD.bottom + 28}" text-anchor="start">${fmt(ch.min)}</text>` +
    `<text x="${PAD.left + slot * (n - 1)}" y="${H - PAD.bottom + 28}" text-anchor="end">${fmt(ch.max)}</text>` +
    `<text x="${PAD.left + plotW / 2}" y="${H - 4}" text-anchor="middle">baseline min … max</text>`;
  return svg(bars + axis);
}

/** Categories (or PSI bins) side by side: baseline and this run. */
function barsChart(c: ColumnDrift): string {
  const bins = c.bins;
  const top = Math.max(...bins.flatMap((b) => [b.baseline, b.current]), 1e-9);
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const slot = plotW / Math.max(bins.length, 1);
  const y = (s: number) => PAD.top + plotH * (1 - s / top);
  const bars = bins.map((b, i) => {
    const x = PAD.left + i * slot;
    const w = Math.max(slot / 2 - 2, 1);
    const rect = (dx: number, s: number, fill: string, op: string) => (s > 0 ? `<rect x="${(x + dx).toFixed(1)}" y="${y(s).toFixed(1)}" width="${w.toFixed(1)}" height="${(PAD.top + plotH - y(s)).toFixed(1)}" fill="${fill}"${op}/>` : '');
    const label = b.label.length > 12 ? `${b.label.slice(0, 11)}…` : b.label;
    return rect(1, b.baseline, '#9e9e9e', '') + rect(slot / 2, b.current, COLORS[c.verdict], ' fill-opacity="0.75"') +
      `<text x="${(x + slot / 2).toFixed(1)}" y="${H - PAD.bottom + 14}" text-anchor="middle">${esc(label)}</text>`;
  }).join('');
  return svg(bars + axes(top));
}

function axes(top: number): string {
  const plotH = H - PAD.top - PAD.bottom;
  return `<line x1="${PAD.left}" y1="${PAD.top + plotH}" x2="${W - PAD.right}" y2="${PAD.top + plotH}" stroke="#888"/>` +
    `<line x1="${PAD.left}" y1="${PAD.top}" x2="${PAD.left}" y2="${PAD.top + plotH}" stroke="#888"/>` +
    `<text x="${PAD.left - 4}" y="${PAD.top + 8}" text-anchor="end">${pct(top)}</text>` +
    `<text x="${PAD.left - 4}" y="${PAD.top + plotH}" text-anchor="end">0</text>`;
}

function svg(body: string): string {
  return `<svg width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img">${body}</svg>`;
}

function agreementSection(a: AgreementReport): string {
  const numeric = a.numeric.length
    ? `<table><thead><tr><th>output</th><th>challenger</th><th>mean |difference|</th><th>max |difference|</th><th>records</th></tr></thead><tbody>${a.numeric
        .map((n) => `<tr><td>${esc(n.column)}</td><td>${esc(n.challengerColumn)}</td><td>${fmt(n.meanAbsDiff)}</td><td>${fmt(n.maxAbsDiff)}</td><td>${grouped(n.compared)}</td></tr>`)
        .join('')}</tbody></table>`
    : '';
  const labels = a.labels
    ? `<div class="facts">label agreement: <b>${pct(a.labels.agreement)}</b> of ${grouped(a.labels.compared)} records</div>
<table><thead><tr><th>champion ↓ / challenger →</th>${a.labels.classes.map((c) => `<th>${esc(c)}</th>`).join('')}</tr></thead><tbody>${a.labels.classes
        .map((c, i) => `<tr><td>${esc(c)}</td>${a.labels!.confusion[i].map((n) => `<td>${grouped(n)}</td>`).join('')}</tr>`)
        .join('')}</tbody></table>`
    : '';
  return `<section id="agreement"><h2>Challenger agreement</h2><div class="facts">${grouped(a.compared)} records scored by both; the challenger failed on ${grouped(a.challengerFailed)}</div>${numeric}${labels}</section>`;
}

function unmatched(r: DriftReport): string {
  const { baselineOnly, currentOnly } = r.unmatched;
  if (!baselineOnly.length && !currentOnly.length) return '';
  const list = (xs: string[]) => xs.map(esc).join(', ') || 'none';
  return `<section><h2>Not compared</h2><div class="facts">only in the baseline: ${list(baselineOnly)}</div><div class="facts">only in this run: ${list(currentOnly)}</div></section>`;
}
