import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * THE ONE PART STANDING IN FOR KUBERNETES in the end-to-end monitoring suite.
 *
 * In the cluster, kube-state-metrics and the kubelet (shipped by kube-prometheus-stack) expose
 * the StatefulSet, pod and volume series that the rules and the dashboard read. Neither can run
 * here, so this small HTTP server serves those series in the same names and labels, computed from
 * the real local replicas where it can: "ready" is each replica's real /health/ready answer (as the
 * kubelet's readiness probe would see it, and like the probe it lets a healed replica retry its
 * write), and each volume is a 128Mi PVC (docs/architecture.md#names) whose used bytes are the real files in that
 * replica's data directory (the host's own disk, shared with everything else, would say nothing
 * about a PVC). Restarts, generations and desired replicas are fixed values. Everything else in
 * the suite is real.
 */
export interface StandInReplica {
  pod: string;
  /** The replica's monitoring listener, where /health/ready is served. */
  monitorUrl: string;
  dataDir: string;
}

export interface KubeStandIn {
  port: number;
  close(): Promise<void>;
}

async function isReady(monitorUrl: string): Promise<boolean> {
  try {
    const response = await fetch(`${monitorUrl}/health/ready`, { signal: AbortSignal.timeout(800) });
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return false;
  }
}

async function kubeStateMetrics(namespace: string, replicas: StandInReplica[]): Promise<string> {
  const ready = (await Promise.all(replicas.map((r) => isReady(r.monitorUrl)))).filter(Boolean).length;
  const sts = `namespace="${namespace}",statefulset="visits"`;
  const lines = [
    '# TYPE kube_statefulset_replicas gauge',
    `kube_statefulset_replicas{${sts}} ${replicas.length}`,
    '# TYPE kube_statefulset_status_replicas_ready gauge',
    `kube_statefulset_status_replicas_ready{${sts}} ${ready}`,
    '# TYPE kube_statefulset_status_replicas_updated gauge',
    `kube_statefulset_status_replicas_updated{${sts}} ${replicas.length}`,
    '# TYPE kube_statefulset_metadata_generation gauge',
    `kube_statefulset_metadata_generation{${sts}} 1`,
    '# TYPE kube_statefulset_status_observed_generation gauge',
    `kube_statefulset_status_observed_generation{${sts}} 1`,
    '# TYPE kube_pod_container_status_restarts_total counter',
    ...replicas.map(
      (r) => `kube_pod_container_status_restarts_total{namespace="${namespace}",pod="${r.pod}",container="visits",uid="uid-${r.pod}"} 0`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}

const PVC_BYTES = 128 * 1024 * 1024;
const BLOCK = 4096;

/** Bytes the files in `dir` occupy, in whole 4 KiB blocks as a filesystem would count them. */
async function usedBytes(dir: string): Promise<number> {
  let used = BLOCK; // the directory itself
  for (const name of await readdir(dir)) {
    const info = await stat(join(dir, name)).catch(() => undefined); // .visits.tmp comes and goes
    if (info) used += Math.max(1, Math.ceil(info.size / BLOCK)) * BLOCK;
  }
  return used;
}

async function kubeletVolumeStats(namespace: string, replicas: StandInReplica[]): Promise<string> {
  const lines = ['# TYPE kubelet_volume_stats_available_bytes gauge', '# TYPE kubelet_volume_stats_capacity_bytes gauge'];
  for (const r of replicas) {
    const labels = `namespace="${namespace}",persistentvolumeclaim="data-${r.pod}",node="local"`;
    lines.push(`kubelet_volume_stats_available_bytes{${labels}} ${PVC_BYTES - (await usedBytes(r.dataDir))}`);
    lines.push(`kubelet_volume_stats_capacity_bytes{${labels}} ${PVC_BYTES}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Serves /kube-state-metrics and /kubelet on 127.0.0.1 at a free port. */
export async function startKubeStandIn(namespace: string, replicas: StandInReplica[]): Promise<KubeStandIn> {
  const server: Server = createServer((request, response) => {
    const render = request.url === '/kube-state-metrics' ? kubeStateMetrics : request.url === '/kubelet' ? kubeletVolumeStats : undefined;
    if (!render) {
      response.writeHead(404).end();
      return;
    }
    render(namespace, replicas).then(
      (body) => response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(body),
      (err: Error) => response.writeHead(500).end(err.message),
    );
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
