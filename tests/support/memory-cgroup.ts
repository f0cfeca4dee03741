import { existsSync } from 'node:fs';
import { mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * A memory cgroup of its own, with the limit a pod would have: a process started in it is
 * OOM-killed by the kernel as the kubelet's cgroup would kill the container. cgroup v2 where the
 * unified hierarchy has the memory controller, else v1 (this project's machines). Root only.
 */
export interface MemoryCgroup {
  /** The cgroup.procs file: a process writes its PID here (before exec) to start inside. */
  readonly procsFile: string;
  /** Highest memory use seen, in bytes. */
  peakBytes(): Promise<number>;
  /** Processes the kernel OOM-killed in this cgroup. */
  oomKills(): Promise<number>;
  /** Removes the cgroup; its processes must have exited. */
  remove(): Promise<void>;
}

const V2_ROOT = '/sys/fs/cgroup';
const V1_ROOT = '/sys/fs/cgroup/memory';

export async function createMemoryCgroup(name: string, limitBytes: number): Promise<MemoryCgroup> {
  if (process.getuid?.() !== 0) throw new Error('a memory cgroup needs root: run this suite as root');
  const unifiedControllers = join(V2_ROOT, 'cgroup.controllers');
  if (existsSync(unifiedControllers) && (await readFile(unifiedControllers, 'utf8')).split(/\s+/).includes('memory')) {
    const dir = join(V2_ROOT, name);
    await mkdir(dir);
    await writeFile(join(dir, 'memory.max'), String(limitBytes));
    await writeFile(join(dir, 'memory.swap.max'), '0').catch(() => undefined);
    return {
      procsFile: join(dir, 'cgroup.procs'),
      peakBytes: async () => Number(await readFile(join(dir, 'memory.peak'), 'utf8')),
      oomKills: async () => Number(/^oom_kill (\d+)$/m.exec(await readFile(join(dir, 'memory.events'), 'utf8'))?.[1] ?? 0),
      remove: () => rmdir(dir),
    };
  }
  if (!existsSync(join(V1_ROOT, 'memory.limit_in_bytes'))) {
    throw new Error(
      `no memory cgroup controller at ${V2_ROOT} (v2) or ${V1_ROOT} (v1): this suite needs one to give the service a pod's memory limit`,
    );
  }
  const dir = join(V1_ROOT, name);
  await mkdir(dir);
  await writeFile(join(dir, 'memory.limit_in_bytes'), String(limitBytes));
  // Without swap accounting a process could page out instead of being killed, as it cannot in a pod.
  await writeFile(join(dir, 'memory.memsw.limit_in_bytes'), String(limitBytes)).catch(() => undefined);
  return {
    procsFile: join(dir, 'cgroup.procs'),
    peakBytes: async () => Number(await readFile(join(dir, 'memory.max_usage_in_bytes'), 'utf8')),
    oomKills: async () => Number(/^oom_kill (\d+)$/m.exec(await readFile(join(dir, 'memory.oom_control'), 'utf8'))?.[1] ?? 0),
    remove: () => rmdir(dir),
  };
}
