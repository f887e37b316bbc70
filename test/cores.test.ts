/**
 * The cores a run may use (src/commands/cores.ts): the CPUs, or fewer under a container's CPU quota. The parsing is
 * tested on the files cgroup v1 and v2 hosts and containers show; the quota itself on this machine's cgroup v1 CPU
 * controller, where it is mounted writable (as root): a run in a cgroup allowed half a core may start at most 4
 * workers (4 × 1 core).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { cpuCgroupDirs, quotaCores, v1Quota, v2Quota } from '../src/commands/cores.js';
import { BIN, model, workdir } from './helpers.js';

const V2_MOUNTS = '30 23 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n';
const V1_MOUNTS = [
  '32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct',
  '33 31 0:30 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset',
].join('\n');

test('cpu.max and cfs quota values: a quota over a period, none for "max" or -1', () => {
  assert.equal(v2Quota('200000 100000\n'), 2);
  assert.equal(v2Quota('50000 100000'), 0.5);
  assert.equal(v2Quota('max 100000\n'), null);
  assert.equal(v2Quota(null), null);
  assert.equal(v1Quota('150000\n', '100000\n'), 1.5);
  assert.equal(v1Quota('-1\n', '100000\n'), null);
});

test("the process's CPU cgroup and its parents are found under the right mount", () => {
  assert.deepEqual(cpuCgroupDirs('0::/kubepods/pod1/c1\n', V2_MOUNTS).map((d) => d.path), ['/sys/fs/cgroup/kubepods/pod1/c1', '/sys/fs/cgroup/kubepods/pod1', '/sys/fs/cgroup/kubepods', '/sys/fs/cgroup']);
  // Inside a container the mount's root is the container's cgroup: the path is counted from there.
  const inContainer = '1722 1719 0:26 /kubepods/pod1/c1 /sys/fs/cgroup ro - cgroup2 cgroup2 rw\n';
  assert.deepEqual(cpuCgroupDirs('0::/kubepods/pod1/c1\n', inContainer).map((d) => d.path), ['/sys/fs/cgroup']);
  assert.deepEqual(cpuCgroupDirs('4:cpu,cpuacct:/job\n3:cpuset:/\n', V1_MOUNTS), [{ path: '/sys/fs/cgroup/cpu,cpuacct/job', v2: false }, { path: '/sys/fs/cgroup/cpu,cpuacct', v2: false }]);
});

test('the smallest quota of the cgroup and its parents counts, rounded up to whole cores', () => {
  const files: Record<string, string> = {
    '/proc/self/cgroup': '0::/pod/c1\n',
    '/proc/self/mountinfo': V2_MOUNTS,
    '/sys/fs/cgroup/pod/c1/cpu.max': 'max 100000\n',
    '/sys/fs/cgroup/pod/cpu.max': '250000 100000\n',
    '/sys/fs/cgroup/cpu.max': 'max 100000\n',
  };
  const read = (f: string) => files[f] ?? null;
  assert.equal(quotaCores(read), 3);
  files['/sys/fs/cgroup/pod/cpu.max'] = 'max 100000\n';
  assert.equal(quotaCores(read), null);
  assert.equal(quotaCores(() => null), null);
});

test('a run in a cgroup allowed half a core counts one core (its --workers bound is 4)', (t) => {
  const controller = '/sys/fs/cgroup/cpu';
  if (!existsSync(`${controller}/cgroup.procs`)) return t.skip(`no cgroup v1 CPU controller mounted at ${controller} on this machine`);
  const group = `${controller}/batch-score-test-${process.pid}`;
  try {
    mkdirSync(group);
    writeFileSync(`${group}/cpu.cfs_period_us`, '100000');
    writeFileSync(`${group}/cpu.cfs_quota_us`, '50000');
  } catch (err) {
    return t.skip(`cannot make a cgroup here (needs root and a writable cgroup file system): ${(err as Error).message}`);
  }
  try {
    const dir = workdir({ 'in.csv': 'a,b,c,d\n1,2,3,4\n' });
    // The shell moves itself into the cgroup, then becomes the CLI.
    const run = (workers: number) => spawnSync('sh', ['-c', `echo $$ > ${group}/cgroup.procs && exec "$0" "$@"`, process.execPath, BIN, 'in.csv', '-m', model('linear.onnx'), '-q', '--workers', String(workers)], { cwd: dir, encoding: 'utf8' });
    const over = run(5);
    assert.equal(over.status, 2, over.stderr);
    assert.match(over.stderr, /--workers must be at most 4 \(4 × the 1 core this process may use\), got 5/);
    assert.equal(run(4).status, 0);
  } finally {
    rmdirSync(group);
  }
});
