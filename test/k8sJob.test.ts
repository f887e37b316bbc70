/**
 * deploy/k8s/job.yaml, run here as the cluster would run it (no cluster on this machine): the manifest is parsed,
 * its container args expanded for every completion index ($(JOB_COMPLETION_INDEX)), and every index run as a
 * process against an S3-compatible server on loopback, all in parallel; one of them is killed and run again, as a
 * restarted pod would be. The parts concatenated in index order (the CSV header once) must be the bytes of one
 * unsharded run, and the parts' sidecars together its failures.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { BIN, ROOT, model, read, runCli, workdir, type CliResult } from './helpers.js';
import { startS3, type LocalS3 } from './s3Helpers.js';

interface Container {
  name: string;
  args: string[];
  env: Array<{ name: string; valueFrom?: { fieldRef?: { fieldPath: string } } }>;
}
interface Job {
  kind: string;
  spec: {
    completionMode: string;
    completions: number;
    parallelism: number;
    backoffLimitPerIndex: number;
    podFailurePolicy: { rules: Array<{ action: string; onExitCodes?: { containerName: string; operator: string; values: number[] } }> };
    template: { spec: { restartPolicy: string; containers: Container[] } };
  };
}

const job = parse(readFileSync(path.join(ROOT, 'deploy', 'k8s', 'job.yaml'), 'utf8')) as Job;
const container = job.spec.template.spec.containers[0];
const N = job.spec.completions;
const BUCKET = container.args.find((a) => a.startsWith('s3://'))!.slice(5).split('/')[0];

let s3: LocalS3;
before(async () => {
  s3 = await startS3([BUCKET]);
});
after(async () => {
  await s3?.close();
});

test('the Job is Indexed, one pod per shard, and does not retry exit 2 or 4', () => {
  assert.equal(job.kind, 'Job');
  assert.equal(job.spec.completionMode, 'Indexed');
  assert.ok(job.spec.parallelism >= 1 && job.spec.parallelism <= N);
  assert.ok(job.spec.backoffLimitPerIndex >= 1);
  assert.equal(job.spec.template.spec.restartPolicy, 'Never'); // required by podFailurePolicy
  const noRetry = job.spec.podFailurePolicy.rules.find((r) => r.action === 'FailIndex');
  assert.deepEqual(noRetry?.onExitCodes, { containerName: container.name, operator: 'In', values: [2, 4] });
  assert.ok(container.args.includes(`$(JOB_COMPLETION_INDEX)/${N}`), 'the shard count in --shard is the completions');
  const index = container.env.find((e) => e.name === 'JOB_COMPLETION_INDEX');
  assert.equal(index?.valueFrom?.fieldRef?.fieldPath, "metadata.annotations['batch.kubernetes.io/job-completion-index']");
});

/** The container's args for one index, the model path pointed at a fixture. */
function argsFor(index: number): string[] {
  return container.args.map((a) => a.replaceAll('$(JOB_COMPLETION_INDEX)', String(index))).map((a) => (a === '/models/model.onnx' ? model('linear.onnx') : a));
}

/** Runs one index as a pod would; `killAfterMs`: SIGKILL it then (a lost node), resolving with its end. */
function runPod(index: number, killAfterMs?: number): Promise<CliResult> {
  if (killAfterMs === undefined) return runCli(argsFor(index), { env: s3.env });
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...argsFor(index)], { env: { ...process.env, ...s3.env }, stdio: 'ignore' });
    const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: '', stderr: '' });
    });
  });
}

test('every index run as a pod (one killed and rerun): the parts together are one unsharded run', async () => {
  const input = container.args[0];
  const prefix = input.slice(`s3://${BUCKET}/`.length);
  const files: Record<string, string> = {};
  for (let f = 0; f < 3; f++) {
    const rows = ['id,rooms,area,age,distance'];
    for (let i = 0; i < 300; i++) rows.push(i % 37 === 5 ? `"f${f}\nr${i}",1,,3,4` : `f${f}r${i},${i % 9},${(i * 0.37).toFixed(2)},${'1'.repeat(1 + (i % 11))},${i % 4}`);
    files[`day-${f}.csv`] = rows.join('\n') + '\n';
    await s3.put(`${prefix}day-${f}.csv`, files[`day-${f}.csv`], BUCKET);
  }
  const dir = workdir(files);
  const whole = await runCli([...Object.keys(files), '-m', model('linear.onnx'), '--keep', 'id', '-o', 'all.csv', '-q'], { cwd: dir });
  assert.equal(whole.code, 3, whole.stderr);

  const killed = 1;
  const pods = await Promise.all(Array.from({ length: N }, (_, k) => runPod(k, k === killed ? 1500 : undefined)));
  pods.forEach((r, k) => k === killed || assert.equal(r.code, 3, r.stderr));
  const rerun = await runPod(killed);
  assert.equal(rerun.code, 3, rerun.stderr);

  const output = container.args[container.args.indexOf('-o') + 1];
  const key = (k: number) => output.replaceAll('$(JOB_COMPLETION_INDEX)', String(k)).slice(`s3://${BUCKET}/`.length);
  const parts = await Promise.all(Array.from({ length: N }, async (_, k) => (await s3.get(key(k), BUCKET))!.toString()));
  assert.equal(parts.map((p, k) => (k === 0 ? p : p.slice(p.indexOf('\n') + 1))).join(''), read(dir, 'all.csv'));

  const failures = (text: string) => text.split('\n').filter((l) => l !== '').map((l) => {
    const { source, offset, code, record } = JSON.parse(l) as { source: string; offset: number; code: string; record: string };
    return `${path.posix.basename(source)} ${offset} ${code} ${record}`;
  });
  const sidecars = await Promise.all(Array.from({ length: N }, async (_, k) => (await s3.get(key(k).replace(/\.csv$/, '.errors.jsonl'), BUCKET))?.toString() ?? ''));
  assert.deepEqual(sidecars.flatMap(failures).sort(), failures(read(dir, 'all.errors.jsonl')).sort());
});
