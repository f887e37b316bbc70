// cold vs warm per-block cost in one thread: N blocks cold (first pass), the same N warm (third pass)
import { readFileSync } from 'node:fs';
const build = process.cwd(), csv = 'bench/data/records-1000000.csv', model = 'bench/data/mlp-13-64-1.onnx';
const N = Number(process.argv[2] ?? 150);
const load = (p) => import(`${build}/dist/src/${p}`);
const t0 = performance.now();
const { ModelSession, prepareRuntime } = await load('model/session.js');
const { planFeatures } = await load('model/featurePlan.js');
const { planOutputs } = await load('model/outputPlan.js');
const { resolveOptions } = await load('commands/resolveOptions.js');
const { formatSettings, inputFormat } = await load('input/inputFormat.js');
const { rowFormatter, loadFormatter } = await load('output/formatters.js');
const { makeContext, makeLayout } = await load('score/context.js');
const { processBlock } = await load('score/processBlock.js');
const { formatBatch } = await load('score/formatBatch.js');
const { BLOCK_BYTES } = await load('input/sourceReader.js');
prepareRuntime(false);
const session = await ModelSession.load(model, 1, false);
const t1 = performance.now();
const options = resolveOptions([csv], { model, keep: 'id', workers: '0' });
const fd = readFileSync(csv).subarray(0, BLOCK_BYTES * (N + 2));
const all = fd;
const header = all.subarray(0, all.indexOf(10)).toString().split(',');
const plan = planFeatures(header, session.info, { features: null, keep: ['id'] });
const outputs = planOutputs(session.info, null);
const ctx = makeContext(plan, outputs, inputFormat('csv', formatSettings(options)), options, session);
const layout = makeLayout(['id'], outputs, null, {});
if (loadFormatter) await loadFormatter('csv');
const formatter = rowFormatter('csv');
const blocks = [];
for (let p = all.indexOf(10) + 1; blocks.length < N; ) {
  const end = all.lastIndexOf(10, Math.min(all.length - 1, p + BLOCK_BYTES)) + 1;
  blocks.push(all.subarray(p, end)); p = end;
}
const passes = [];
for (let pass = 0; pass < 1; pass++) {
  const times = [];
  for (const b of blocks) {
    const s = performance.now();
    await processBlock({ source: csv, bytes: new Uint8Array(b), offset: 0 }, ctx, (r) => formatBatch(r, formatter, layout));
    times.push(performance.now() - s);
  }
  passes.push(times);
}
const sum = (a) => a.reduce((x, y) => x + y, 0);
const cold = passes[0], warm = passes[0];
const q = (a, i, j) => sum(a.slice(i, j)).toFixed(0);
console.log(`load+session ${(t1 - t0).toFixed(0)} ms; cold ${sum(cold).toFixed(0)} ms, warm ${sum(warm).toFixed(0)} ms, extra ${(sum(cold) - sum(warm)).toFixed(0)} ms over ${N} blocks; cold by tens: ${[0,10,20,30,40,60,80,100,120].map((i,k,a)=>q(cold,i,a[k+1]??N)).join(' ')} | first 5: ${cold.slice(0,5).map(x=>x.toFixed(1)).join(' ')}`);
const per = []; for (let i = 0; i < cold.length; i += 100) per.push((sum(cold.slice(i, i + 100)) / 100).toFixed(2));
console.log('mean ms per block, by hundreds:', per.join(' '));
