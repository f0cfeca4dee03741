import { randomBytes } from 'node:crypto';
import { createMemoryCgroup, type MemoryCgroup } from './memory-cgroup';
import { createNetworkNamespace, type NetworkNamespace } from './network-namespace';
import { memoryLimitBytes, podSpec } from './pod-spec';
import { startService, type ServiceProcess } from './service-process';

/** The service inside its pod's limits, and how to take it all down again. */
export interface InPodLimits {
  service: ServiceProcess;
  cgroup: MemoryCgroup;
  /** Where the service listens; a flood run from inside (netns.exec) meets the pod's sysctls too. */
  netns: NetworkNamespace;
  /** The StatefulSet's memory limit, which the cgroup enforces. */
  limitBytes: number;
  /** Stops the service, then removes the cgroup and the network namespace; safe to call twice. */
  remove(): Promise<void>;
}

/**
 * Starts the service as its pod runs it, for the suites that flood it and watch its memory: in a
 * memory cgroup with the StatefulSet's limit (running out is a real OOM kill), in a network
 * namespace with the pod's sysctls (the 4 KiB receive buffer), on the pod's port 8080. Needs root
 * (tests/support/suites.js). `name` is short: it prefixes the namespace's interfaces.
 */
export async function startInPodLimits(name: string): Promise<InPodLimits> {
  const spec = await podSpec();
  const limitBytes = memoryLimitBytes(spec);
  let service: ServiceProcess | undefined;
  let cgroup: MemoryCgroup | undefined;
  let netns: NetworkNamespace | undefined;
  const remove = async (): Promise<void> => {
    await service?.cleanup();
    service = undefined;
    await cgroup?.remove();
    cgroup = undefined;
    await netns?.remove();
    netns = undefined;
  };
  try {
    cgroup = await createMemoryCgroup(`${name}-${randomBytes(4).toString('hex')}`, limitBytes);
    netns = await createNetworkNamespace(name);
    for (const { name: sysctl, value } of spec.securityContext.sysctls ?? []) await netns.sysctl(sysctl, value);
    service = await startService({ cgroupProcs: cgroup.procsFile, prefix: netns.exec, host: netns.address, port: 8080 });
    return { service, cgroup, netns, limitBytes, remove };
  } catch (err) {
    await remove();
    throw err;
  }
}
