import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { K8sObject } from '../support/kustomize';
import { REPO_ROOT } from '../support/repo-root';
import { runCommand } from '../support/run-command';

/**
 * The real Argo CD CLI, built from tools/argocd, judging an object's health offline:
 * `argocd admin settings resource-overrides health <object> --argocd-cm-path <argocd-cm>` runs the
 * same settings code and health checks (Lua or built-in) as the application controller.
 */
export interface Health {
  status: string;
  message: string;
}

/** Runs tools/build.sh; the first build of Argo CD takes about 7 minutes. */
function toolsBuild(...args: string[]): string {
  return execFileSync('bash', [join(REPO_ROOT, 'tools/build.sh'), ...args], { encoding: 'utf8', timeout: 1_800_000 }).trim();
}

/** Where the module cache holds the Argo CD that tools/argocd pins (its manifests, its CRDs). */
export function argocdModuleDir(): string {
  return toolsBuild('--dir', 'argocd', 'github.com/argoproj/argo-cd/v3');
}

export class ArgocdCli {
  private count = 0;

  private constructor(
    private readonly argocd: string,
    /** The pinned Argo CD module's source (its manifests/install.yaml, its CRDs). */
    readonly moduleDir: string,
    private readonly dir: string,
  ) {}

  /** Builds (or reuses) Argo CD from tools/argocd. */
  static start(): ArgocdCli {
    const bin = toolsBuild('argocd');
    return new ArgocdCli(join(bin, 'argocd'), argocdModuleDir(), mkdtempSync(join(tmpdir(), 'visits-argocd-health-')));
  }

  stop(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Writes a ConfigMap (or any object) to a file of its own and returns its path. */
  write(name: string, object: K8sObject): string {
    const path = join(this.dir, `${name}.yaml`);
    writeFileSync(path, stringify(object));
    return path;
  }

  /**
   * The health Argo CD gives `object` with the argocd-cm at `argocdCm`; null when no check
   * (Lua or built-in) applies to its kind. `timeZone` is the TZ the CLI runs in.
   */
  async health(object: K8sObject, argocdCm: string, timeZone = 'UTC'): Promise<Health | null> {
    const objectPath = this.write(`object-${++this.count}`, object);
    const env = { PATH: process.env.PATH, HOME: this.dir, TZ: timeZone };
    const args = ['admin', 'settings', 'resource-overrides', 'health', objectPath, '--argocd-cm-path', argocdCm, '--loglevel', 'error'];
    const result = await runCommand(this.argocd, args, { env });
    if (result.code !== 0) throw new Error(`argocd ${args.join(' ')} exited ${result.code ?? 'by timeout'}: ${result.stderr.trim()}`);
    if (result.stdout.startsWith('Health script is not configured')) return null;
    const status = /^STATUS: (.*)$/m.exec(result.stdout)?.[1];
    const message = /^MESSAGE: (.*)$/m.exec(result.stdout)?.[1];
    if (status === undefined || message === undefined) throw new Error(`argocd printed no STATUS/MESSAGE: ${result.stdout}`);
    return { status, message };
  }
}
