/**
 * The cores this process may use, for the defaults of --workers and --threads: the CPUs it may run on, or fewer
 * when its container has a CPU quota (a Kubernetes pod with `limits.cpu: 2` on a 32-core node may use 2 cores' time,
 * and 31 workers would only queue for it, each holding a model session). Node 20's availableParallelism() counts
 * the CPUs and not the quota, so the quota is read here from the process's cgroup: v2 `cpu.max`, or v1
 * `cpu.cfs_quota_us` / `cpu.cfs_period_us`, in its own cgroup and every parent (the smallest counts), rounded up.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';

let cached: number | null = null;

export function usableCores(): number {
  return (cached ??= Math.max(1, Math.min(availableParallelism(), quotaCores(readText) ?? Infinity)));
}

type Read = (file: string) => string | null;

function readText(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/** The quota in cores (rounded up), or null when there is none or it cannot be read. */
export function quotaCores(read: Read): number | null {
  const cgroups = read('/proc/self/cgroup');
  const mounts = read('/proc/self/mountinfo');
  if (cgroups === null || mounts === null) return null;
  let least: number | null = null;
  for (const dir of cpuCgroupDirs(cgroups, mounts)) {
    const quota = dir.v2 ? v2Quota(read(path.join(dir.path, 'cpu.max'))) : v1Quota(read(path.join(dir.path, 'cpu.cfs_quota_us')), read(path.join(dir.path, 'cpu.cfs_period_us')));
    if (quota !== null && (least === null || quota < least)) least = quota;
  }
  return least === null ? null : Math.max(1, Math.ceil(least));
}

/** `cpu.max`: "<quota> <period>" or "max <period>". */
export function v2Quota(text: string | null): number | null {
  const [quota, period] = (text ?? '').trim().split(/\s+/);
  return ratio(quota, period);
}

/** v1: a quota of -1 is none. */
export function v1Quota(quota: string | null, period: string | null): number | null {
  return ratio(quota?.trim(), period?.trim());
}

function ratio(quota: string | undefined, period: string | undefined): number | null {
  const q = Number(quota);
  const p = Number(period);
  return Number.isFinite(q) && q > 0 && Number.isFinite(p) && p > 0 ? q / p : null;
}

/**
 * The directories of the process's CPU cgroup and of its parents up to the mount's root, on the file system: each
 * cgroup line of /proc/self/cgroup (`id:controllers:path`; v2 is `0::path`) is found under the mount of its
 * hierarchy (from /proc/self/mountinfo), whose root may be a part of the path (inside a container).
 */
export function cpuCgroupDirs(cgroups: string, mountinfo: string): Array<{ path: string; v2: boolean }> {
  const mounts = cgroupMounts(mountinfo);
  const dirs: Array<{ path: string; v2: boolean }> = [];
  for (const line of cgroups.split('\n')) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line.trim());
    if (!m) continue;
    const [controllers, cgroupPath] = [m[1]!, m[2]!];
    const v2 = controllers === '';
    if (!v2 && !controllers.split(',').includes('cpu')) continue;
    const mount = mounts.find((x) => (v2 ? x.v2 : !x.v2 && x.options.includes('cpu')));
    if (!mount) continue;
    const relative = path.posix.relative(mount.root, cgroupPath);
    if (relative.startsWith('..')) continue; // the process's cgroup is outside what is mounted here
    for (let rel = relative; ; rel = path.posix.dirname(rel)) {
      dirs.push({ path: path.posix.join(mount.point, rel === '.' ? '' : rel), v2 });
      if (rel === '.' || rel === '' || rel === '/') break;
    }
  }
  return dirs;
}

/** cgroup file systems of /proc/self/mountinfo: root, mount point, v2 or not, and v1's controllers. */
function cgroupMounts(mountinfo: string): Array<{ root: string; point: string; v2: boolean; options: string[] }> {
  const out: Array<{ root: string; point: string; v2: boolean; options: string[] }> = [];
  for (const line of mountinfo.split('\n')) {
    // id parent major:minor root mount-point options [optional fields] - fstype source super-options
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const fields = left.split(' ');
    const [fstype, , superOptions] = right.split(' ');
    if (fstype !== 'cgroup' && fstype !== 'cgroup2') continue;
    out.push({ root: fields[3]!, point: fields[4]!, v2: fstype === 'cgroup2', options: (superOptions ?? '').split(',') });
  }
  return out;
}
