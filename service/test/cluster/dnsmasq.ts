import { spawn } from 'node:child_process';
import { userInfo } from 'node:os';
import { collectOutput, hasExited, stopChild } from '@visits/test-support/child-process';
import { isErrno } from '@visits/test-support/errno';
import { freePort } from '@visits/test-support/service-process';
import { waitFor } from '@visits/test-support/wait-for';

/** Debian's dnsmasq (package dnsmasq-base): a real DNS server, run unprivileged-friendly on loopback. */
export const DNSMASQ = '/usr/sbin/dnsmasq';

export interface DnsRecords {
  /** Name → IPv4/IPv6 addresses (A/AAAA records), as Kubernetes publishes a headless Service and its pods. */
  hosts: Record<string, string[]>;
  /** SRV records: `_http._tcp.<service>` → target host name and port. */
  srv?: { name: string; target: string; port: number }[];
}

export interface DnsServer {
  /** "127.0.0.1:port", the form PEER_DNS_SERVER takes. */
  readonly server: string;
  stop(): Promise<void>;
}

function args(port: number, records: DnsRecords): string[] {
  const list = [
    '--no-daemon',
    '--no-resolv',
    '--no-hosts',
    '--no-poll',
    `--port=${port}`,
    '--listen-address=127.0.0.1',
    '--bind-interfaces',
    '--log-facility=-',
    // Names under cluster.local that have no record get NXDOMAIN, as from CoreDNS, not REFUSED.
    '--local=/cluster.local/',
    // Stay the user we are (dnsmasq would otherwise switch to "nobody" when started as root).
    `--user=${userInfo().username}`,
    '--pid-file=',
  ];
  for (const [name, ips] of Object.entries(records.hosts)) for (const ip of ips) list.push(`--host-record=${name},${ip}`);
  for (const { name, target, port: srvPort } of records.srv ?? []) list.push(`--srv-host=${name},${target},${srvPort},0,100`);
  return list;
}

/** Starts dnsmasq on a free port of 127.0.0.1 and resolves once it answers. */
export async function startDnsmasq(records: DnsRecords): Promise<DnsServer> {
  let lastError = '';
  // freePort() checks TCP only; on the rare UDP clash dnsmasq exits at once and we try another port.
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const port = await freePort('127.0.0.1');
    const child = spawn(DNSMASQ, args(port, records), { stdio: ['ignore', 'pipe', 'pipe'] });
    let spawnError = '';
    // A missing binary is an 'error' event with nothing on stderr: say what to install.
    child.once('error', (err) => {
      spawnError = isErrno(err, 'ENOENT') ? `${DNSMASQ} not found: apt-get install dnsmasq-base` : err.message;
    });
    const output = collectOutput(child);
    // Started, or exited (a port clash): either ends the wait; a timeout counts as not started.
    const outcome = await waitFor('dnsmasq to start', { timeoutMs: 10_000, everyMs: 20 }, async () =>
      output().includes('started, version') ? 'started' : hasExited(child) ? 'exited' : undefined,
    ).catch(() => 'timed out');
    if (outcome === 'started') return { server: `127.0.0.1:${port}`, stop: () => stopChild(child) };
    lastError = spawnError + output();
    await stopChild(child);
  }
  throw new Error(`dnsmasq did not start:\n${lastError || '(it printed nothing and did not answer)'}`);
}
