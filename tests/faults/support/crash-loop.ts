import { Agent } from 'node:http';
import { startService, type ServiceProcess } from '../../support/service-process';
import { httpGet } from './http-get';
import type { Random } from './random';

export interface CrashLoopOptions {
  dataDir: string;
  rounds: number;
  /** Concurrent clients, each sending one visit after another over keep-alive. */
  concurrency: number;
  random: Random;
  /** SIGKILL this many ms after the load begins (drawn anew each round). */
  killAfterMs: (random: Random) => number;
  /** If set, the clock above starts only once this many visits were acknowledged in the round. */
  killAfterAcks?: number;
  /** Another build of the service (the deliberately broken copy). */
  main?: string;
  env?: NodeJS.ProcessEnv;
}

export interface RoundResult {
  round: number;
  countBefore: number;
  countAfter: number;
  attempted: number;
  acknowledged: number;
  /** Answers other than 200 while the process was alive. */
  refused: number;
  /** The highest visit number an acknowledged answer carried. */
  highestAcked: number;
  killedAfterMs: number;
}

export interface CrashLoopReport {
  kills: number;
  attempted: number;
  acknowledged: number;
  refused: number;
  finalCount: number;
  rounds: RoundResult[];
  /** Every broken promise, in words: an empty list is the pass condition. */
  violations: string[];
}

/**
 * Drives visits against the built service, SIGKILLs it at a random moment and restarts it on
 * the same data directory, `rounds` times. After each restart the count must cover every
 * visit acknowledged with 200 and exceed no visit that was attempted.
 */
export async function runCrashLoop(options: CrashLoopOptions): Promise<CrashLoopReport> {
  const { dataDir, main, env } = options;
  const report: CrashLoopReport = { kills: 0, attempted: 0, acknowledged: 0, refused: 0, finalCount: 0, rounds: [], violations: [] };
  let service: ServiceProcess | undefined = await startService({ dataDir, main, env });
  try {
    let count = await readCount(service);
    for (let round = 1; round <= options.rounds; round++) {
      const result = await crashOnce(service, round, count, options);
      report.kills += 1;
      service = undefined;
      try {
        service = await startService({ dataDir, main, env });
      } catch (err) {
        report.violations.push(`round ${round}: the service did not come back after SIGKILL: ${(err as Error).message}`);
        break;
      }
      result.countAfter = await readCount(service);
      report.rounds.push(result);
      report.attempted += result.attempted;
      report.acknowledged += result.acknowledged;
      report.refused += result.refused;
      report.violations.push(...checkRound(result));
      count = result.countAfter;
    }
    report.finalCount = count;
    return report;
  } finally {
    await service?.cleanup();
  }
}

function checkRound(r: RoundResult): string[] {
  const found: string[] = [];
  const floor = Math.max(r.countBefore + r.acknowledged, r.highestAcked);
  if (r.countAfter < floor) {
    found.push(
      `round ${r.round}: lost visits: count ${r.countAfter} after restart, but ${r.acknowledged} acknowledged on top of ${r.countBefore} (highest acknowledged number ${r.highestAcked})`,
    );
  }
  if (r.countAfter > r.countBefore + r.attempted) {
    found.push(
      `round ${r.round}: invented visits: count ${r.countAfter} after restart, but only ${r.attempted} attempted on top of ${r.countBefore}`,
    );
  }
  return found;
}

async function crashOnce(service: ServiceProcess, round: number, countBefore: number, options: CrashLoopOptions): Promise<RoundResult> {
  const result: RoundResult = {
    round,
    countBefore,
    countAfter: -1,
    attempted: 0,
    acknowledged: 0,
    refused: 0,
    highestAcked: 0,
    killedAfterMs: 0,
  };
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
  let killed = false;
  let ackTarget: (() => void) | undefined;
  const enoughAcks = new Promise<void>((resolve) => (ackTarget = resolve));

  const client = async (): Promise<void> => {
    while (!killed) {
      // Counted before it is sent: a request the server might have seen is an attempt.
      result.attempted += 1;
      try {
        const reply = await httpGet(`${service.url}/`, agent);
        // An answer that raced the kill still counts below: it was acknowledged.
        if (reply.status === 200) {
          result.acknowledged += 1;
          result.highestAcked = Math.max(result.highestAcked, (JSON.parse(reply.body) as { visits: number }).visits);
          if (options.killAfterAcks !== undefined && result.acknowledged >= options.killAfterAcks) ackTarget?.();
        } else if (!killed) {
          result.refused += 1;
        }
      } catch {
        if (!killed) await new Promise((r) => setTimeout(r, 5)); // a reset before the kill: try again
      }
    }
  };
  const clients = Array.from({ length: options.concurrency }, client);

  if (options.killAfterAcks !== undefined) {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([enoughAcks, new Promise((r) => (timer = setTimeout(r, 10_000)))]);
    clearTimeout(timer);
  }
  result.killedAfterMs = options.killAfterMs(options.random);
  await new Promise((r) => setTimeout(r, result.killedAfterMs));
  service.child.kill('SIGKILL');
  await service.exited;
  killed = true;
  await Promise.all(clients);
  agent.destroy();
  return result;
}

async function readCount(service: ServiceProcess): Promise<number> {
  const agent = new Agent({ keepAlive: false });
  try {
    const reply = await httpGet(`${service.url}/visits`, agent);
    if (reply.status !== 200) throw new Error(`GET /visits answered ${reply.status}: ${reply.body}`);
    return (JSON.parse(reply.body) as { visits: number }).visits;
  } finally {
    agent.destroy();
  }
}
