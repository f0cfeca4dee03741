import { randomBytes, randomInt } from 'node:crypto';
import { runOrThrow } from './run-command';

/**
 * A network namespace of its own, joined to this one by a veth pair on a private /30: a process
 * started in it has a pod's own network stack (its own namespaced sysctls, such as
 * net.ipv4.tcp_rmem), and is reached from here at `address`. Packets stay on this machine.
 * Root only; remove() deletes the namespace and, with it, both ends of the pair.
 */
export interface NetworkNamespace {
  readonly name: string;
  /** The namespace's own address, reachable from the test process. */
  readonly address: string;
  /** The command prefix that runs a program inside: ['ip', 'netns', 'exec', name]. */
  readonly exec: string[];
  sysctl(key: string, value: string): Promise<void>;
  remove(): Promise<void>;
}

const ip = (...args: string[]): Promise<string> => runOrThrow('ip', args, { timeoutMs: 10_000 });

export async function createNetworkNamespace(prefix: string): Promise<NetworkNamespace> {
  if (process.getuid?.() !== 0) throw new Error('a network namespace needs root: run this suite as root');
  const id = randomBytes(3).toString('hex');
  const name = `${prefix}-${id}`;
  const [hostEnd, nsEnd] = [`vh${id}`, `vn${id}`];
  // 10.253.0.0/16 is used by nothing else here (the local cluster takes 10.244/16 and 10.96/12).
  const subnet = `10.253.${randomInt(0, 256)}.${4 * randomInt(0, 64)}`;
  const base = subnet.split('.').map(Number);
  const [hostAddress, address] = [1, 2].map((n) => `${base[0]}.${base[1]}.${base[2]}.${base[3]! + n}`);
  await ip('netns', 'add', name);
  const remove = async (): Promise<void> => {
    await ip('netns', 'del', name);
    await ip('link', 'del', hostEnd).catch(() => undefined); // gone with the namespace, normally
  };
  try {
    await ip('link', 'add', hostEnd, 'type', 'veth', 'peer', 'name', nsEnd, 'netns', name);
    await ip('addr', 'add', `${hostAddress}/30`, 'dev', hostEnd);
    await ip('link', 'set', hostEnd, 'up');
    await ip('-n', name, 'addr', 'add', `${address}/30`, 'dev', nsEnd);
    await ip('-n', name, 'link', 'set', nsEnd, 'up');
    await ip('-n', name, 'link', 'set', 'lo', 'up');
  } catch (err) {
    await remove();
    throw err;
  }
  return {
    name,
    address,
    exec: ['ip', 'netns', 'exec', name],
    async sysctl(key, value) {
      await ip('netns', 'exec', name, 'sysctl', '-q', '-w', `${key}=${value}`);
    },
    remove,
  };
}
