import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import type { K8sObject } from '../support/kustomize';
import { renderKustomization, type RenderedObject } from '../manifests/lib/render';
import { schemaProblems, stopModelValidator } from '../manifests/lib/schema';
import { formatProblems } from '../manifests/lib/problems';
import { REPO_ROOT } from '../support/repo-root';

/**
 * apps/visits/components/vault-agent is optional: no overlay includes it, so the manifest suites
 * never render it. Here it is added to a throw-away copy of each real environment's overlay and
 * rendered with `kubectl kustomize`, then checked field by field and against the schemas.
 */
jest.setTimeout(60_000);

const COMPONENT = join(REPO_ROOT, 'apps/visits/components/vault-agent');
const ENVS = ['dev', 'prod'];
const TOKEN_FILE = '/vault/secrets/admin-token';

const temps: string[] = [];

/**
 * The environment's own kustomization with the component appended, as an operator would add it
 * (so the overlay's namespace and patches apply to the component too), written to a temporary
 * directory: local paths are rewritten relative to it (kustomize refuses absolute ones) and
 * patch files are inlined (kustomize loads no file from outside an overlay's directory).
 */
async function renderWithComponent(env: string): Promise<RenderedObject[]> {
  const envDir = join(REPO_ROOT, 'apps/visits/envs', env);
  const overlay = await mkdtemp(join(tmpdir(), 'visits-vault-overlay-'));
  temps.push(overlay);
  const kustomization = parse(await readFile(join(envDir, 'kustomization.yaml'), 'utf8')) as K8sObject;
  const local = (entry: string) => (/^[a-z]+:\/\//i.test(entry) ? entry : relative(overlay, resolve(envDir, entry)));
  kustomization.resources = ((kustomization.resources ?? []) as string[]).map(local);
  kustomization.components = [...((kustomization.components ?? []) as string[]).map(local), relative(overlay, COMPONENT)];
  for (const patch of (kustomization.patches ?? []) as K8sObject[]) {
    if (typeof patch.path === 'string') {
      patch.patch = await readFile(resolve(envDir, patch.path), 'utf8');
      delete patch.path;
    }
  }
  await writeFile(join(overlay, 'kustomization.yaml'), stringify(kustomization));
  return renderKustomization(REPO_ROOT, overlay);
}

const statefulSet = (objects: RenderedObject[]): K8sObject => {
  const found = objects.find((o) => o.doc.kind === 'StatefulSet' && o.doc.metadata.name === 'visits');
  expect(found).toBeDefined();
  return found!.doc;
};
const container = (sts: K8sObject): K8sObject => sts.spec.template.spec.containers.find((c: K8sObject) => c.name === 'visits');
const envOf = (sts: K8sObject): Record<string, string> =>
  Object.fromEntries((container(sts).env as K8sObject[]).map((e) => [e.name, e.value ?? JSON.stringify(e.valueFrom)]));

afterAll(async () => {
  await stopModelValidator();
  for (const dir of temps) await rm(dir, { recursive: true, force: true });
});

describe.each(ENVS)('the vault-agent component added to the %s overlay', (env) => {
  let objects: RenderedObject[];
  let plain: RenderedObject[];

  beforeAll(async () => {
    [objects, plain] = await Promise.all([renderWithComponent(env), renderKustomization(REPO_ROOT, `apps/visits/envs/${env}`)]);
  });

  it('renders objects that pass the Kubernetes schemas', async () => {
    expect(formatProblems(await schemaProblems(objects))).toBe('');
  });

  it('adds the injector annotations: role, secret path, and a template that writes the token file', () => {
    const annotations = statefulSet(objects).spec.template.metadata.annotations as Record<string, string>;
    expect(annotations['vault.hashicorp.com/agent-inject']).toBe('true');
    expect(annotations['vault.hashicorp.com/role']).toBe('visits');
    const path = annotations['vault.hashicorp.com/agent-inject-secret-admin-token'];
    expect(path).toBe('secret/data/visits/admin-token');
    // The template reads the same secret and writes only the token (no quoting, no extra lines).
    const template = annotations['vault.hashicorp.com/agent-inject-template-admin-token'];
    expect(template.trim()).toBe(`{{- with secret "${path}" -}}{{ .Data.data.token }}{{- end -}}`);
    // The injector names the file after the annotation's suffix, in /vault/secrets: ADMIN_TOKEN_FILE must be that file.
    const suffix = Object.keys(annotations)
      .find((key) => key.startsWith('vault.hashicorp.com/agent-inject-secret-'))!
      .slice('vault.hashicorp.com/agent-inject-secret-'.length);
    expect(envOf(statefulSet(objects)).ADMIN_TOKEN_FILE).toBe(`/vault/secrets/${suffix}`);
  });

  it('sets ADMIN_TOKEN_FILE on the visits container and keeps the base environment', () => {
    const env = envOf(statefulSet(objects));
    expect(env.ADMIN_TOKEN_FILE).toBe(TOKEN_FILE);
    const baseEnv = envOf(statefulSet(plain));
    for (const [name, value] of Object.entries(baseEnv)) expect(env[name]).toBe(value);
  });

  it('gives Vault Agent a projected, audience-bound token while the pods still mount none by default', () => {
    const sts = statefulSet(objects);
    const annotations = sts.spec.template.metadata.annotations as Record<string, string>;
    const volumeName = annotations['vault.hashicorp.com/agent-service-account-token-volume-name'];
    const volume = (sts.spec.template.spec.volumes as K8sObject[]).find((v) => v.name === volumeName);
    expect(volume?.projected.sources[0].serviceAccountToken).toMatchObject({ path: 'token', audience: 'vault' });
    // The service container itself does not mount it: only the injected agent containers will.
    expect((container(sts).volumeMounts as K8sObject[]).map((m) => m.name)).not.toContain(volumeName);
    // Everything the base had is still there.
    for (const volume of statefulSet(plain).spec.template.spec.volumes as K8sObject[]) {
      expect(sts.spec.template.spec.volumes).toContainEqual(volume);
    }
  });

  it('lets the pods reach Vault on 8200 through an extra NetworkPolicy in the overlay namespace', () => {
    const policy = objects.find((o) => o.doc.kind === 'NetworkPolicy' && o.doc.metadata.name === 'visits-vault-egress')?.doc;
    expect(policy).toBeDefined();
    const namespace = statefulSet(objects).metadata.namespace;
    expect(policy!.metadata.namespace).toBe(namespace);
    expect(policy!.spec.podSelector.matchLabels).toEqual(statefulSet(objects).spec.selector.matchLabels);
    expect(policy!.spec.egress[0].ports).toEqual([{ protocol: 'TCP', port: 8200 }]);
  });

  it('leaves everything else as the overlay renders it', () => {
    const strip = (doc: K8sObject): K8sObject => {
      const copy = structuredClone(doc);
      if (copy.kind === 'StatefulSet') {
        delete copy.spec.template.metadata.annotations;
        copy.spec.template.spec.volumes = copy.spec.template.spec.volumes.filter((v: K8sObject) => v.name !== 'vault-token');
        const visits = copy.spec.template.spec.containers.find((c: K8sObject) => c.name === 'visits');
        visits.env = visits.env.filter((e: K8sObject) => e.name !== 'ADMIN_TOKEN_FILE');
      }
      return copy;
    };
    const withComponent = objects.filter((o) => o.doc.metadata.name !== 'visits-vault-egress').map((o) => strip(o.doc));
    const without = plain.map((o) => strip(o.doc));
    expect(withComponent).toEqual(without);
  });
});

describe('the default overlays', () => {
  it.each(ENVS)('%s works without Vault: no injector annotation and no ADMIN_TOKEN_FILE (PUT /visits disabled)', async (env) => {
    const objects = await renderKustomization(REPO_ROOT, `apps/visits/envs/${env}`);
    const sts = statefulSet(objects);
    const annotations = (sts.spec.template.metadata.annotations ?? {}) as Record<string, string>;
    expect(Object.keys(annotations).filter((key) => key.startsWith('vault.hashicorp.com/'))).toEqual([]);
    expect(envOf(sts).ADMIN_TOKEN_FILE).toBeUndefined();
  });
});

describe('docs/operations.md', () => {
  it('documents the Vault policy for the secret path and the role the component uses', async () => {
    const docs = await readFile(join(REPO_ROOT, 'docs/operations.md'), 'utf8');
    const patch = await readFile(join(COMPONENT, 'statefulset-vault-agent.yaml'), 'utf8');
    const secretPath = /agent-inject-secret-admin-token: (\S+)/.exec(patch)![1]!;
    const role = /vault\.hashicorp\.com\/role: (\S+)/.exec(patch)![1]!;
    expect(docs).toContain(`path "${secretPath}"`);
    expect(docs).toContain(`auth/kubernetes/role/${role}`);
    expect(docs).toContain('bound_service_account_names=visits');
    expect(docs).toContain('audience=vault');
  });
});
