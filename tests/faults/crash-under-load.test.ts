import { rm } from 'node:fs/promises';
import { makeTempDir } from '../support/service-process';
import { buildAckBeforeFsyncCopy } from './support/broken-build';
import { runCrashLoop } from './support/crash-loop';
import { seededRandom } from './support/random';

/**
 * Crash under load: SIGKILL the real service at random moments while visits pour in, restart
 * it on the same data directory, and check after every restart that no acknowledged visit was
 * lost and no visit was invented. A second case runs the same loop against a copy of the build
 * that acknowledges before it persists, to prove the loop catches that regression.
 */
jest.setTimeout(120_000);

const KILLS = 22;
const temps: string[] = [];

afterAll(async () => {
  await Promise.all(temps.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function tempDir(prefix: string): Promise<string> {
  const dir = await makeTempDir(prefix);
  temps.push(dir);
  return dir;
}

test(`the count survives ${KILLS} SIGKILLs under load: >= acknowledged, <= attempted`, async () => {
  const random = seededRandom();
  const report = await runCrashLoop({
    dataDir: await tempDir('visits-crash-'),
    rounds: KILLS,
    concurrency: 16,
    random,
    killAfterMs: (r) => r.int(30, 600),
  });
  console.log(
    `crash suite (seed ${random.seed}): ${report.kills} SIGKILLs survived, ${report.attempted} visits attempted, ` +
      `${report.acknowledged} acknowledged with 200, ${report.finalCount} persisted, ${report.refused} refused while alive, ` +
      `${report.violations.length} violations`,
  );
  expect(report.violations).toEqual([]);
  expect(report.kills).toBeGreaterThanOrEqual(20);
  expect(report.rounds).toHaveLength(KILLS);
  expect(report.refused).toBe(0);
  // The load was real: most rounds acknowledged visits before the kill.
  expect(report.acknowledged).toBeGreaterThan(KILLS * 10);
  expect(report.rounds.filter((r) => r.acknowledged > 0).length).toBeGreaterThanOrEqual(KILLS - 2);
});

test('the same loop catches a build that acknowledges before fsync and rename', async () => {
  const broken = await buildAckBeforeFsyncCopy(await tempDir('visits-broken-build-'));
  const random = seededRandom();
  const report = await runCrashLoop({
    dataDir: await tempDir('visits-crash-broken-'),
    rounds: 3,
    concurrency: 16,
    random,
    // Kill within a few ms of the 50th acknowledgement: the broken copy has written nothing yet.
    killAfterAcks: 50,
    killAfterMs: (r) => r.int(0, 20),
    main: broken.main,
    env: broken.env,
  });
  console.log(
    `crash suite vs ack-before-fsync build: ${report.kills} SIGKILLs, ${report.acknowledged} acknowledged, ` +
      `${report.finalCount} persisted, ${report.violations.length} violations detected`,
  );
  expect(report.acknowledged).toBeGreaterThanOrEqual(50);
  expect(report.violations.length).toBeGreaterThan(0);
  expect(report.violations.join('\n')).toMatch(/lost visits/);
});
