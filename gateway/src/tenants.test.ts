import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { orgDashboard } from './grafana/bootstrap.js';
import { ConfigError, envPrefix, loadOrgs, parseOrgList } from './tenants.js';

const secrets = (id: string, n = 'x'): Record<string, string> => {
  const p = envPrefix(id);
  return Object.fromEntries(
    ['API_KEY', 'SIGNING_KEY', 'TENANCY_KEY', 'POD_API_KEY'].map((k) => [
      p + k,
      `${id}-${k}-${n}`.padEnd(40, '0'),
    ])
  );
};

describe('org list', () => {
  it('parses ids (org slugs) and names, refusing bad entries with a clear error', () => {
    expect(parseOrgList('{"orgs":[{"id":"acme","name":"Acme"},{"id":"globex-2","name":"Globex"}]}')).toEqual([
      { id: 'acme', name: 'Acme' },
      { id: 'globex-2', name: 'Globex' },
    ]);
    expect(() => parseOrgList('{')).toThrow(ConfigError);
    expect(() => parseOrgList('{"orgs":[]}')).toThrow(/non-empty/);
    expect(() => parseOrgList('{"orgs":[{"id":"Acme!","name":"A"}]}')).toThrow(/valid org name/);
    expect(() => parseOrgList('{"orgs":[{"id":"a","name":"A"},{"id":"a","name":"B"}]}')).toThrow(/twice/);
    expect(envPrefix('globex-2')).toBe('COLLAB_ORG_GLOBEX_2_');
  });

  it('takes every secret from the environment: present, long enough and distinct', () => {
    const dir = mkdtempSync(join(tmpdir(), 'orgs-'));
    const file = join(dir, 'orgs.json');
    writeFileSync(file, '{"orgs":[{"id":"acme","name":"Acme"},{"id":"globex","name":"Globex"}]}');
    const env = { ...secrets('acme'), ...secrets('globex') };
    expect(loadOrgs(file, env).map((o) => o.id)).toEqual(['acme', 'globex']);
    expect(() => loadOrgs(file, { ...env, COLLAB_ORG_ACME_SIGNING_KEY: 'short' })).toThrow(
      /COLLAB_ORG_ACME_SIGNING_KEY/
    );
    expect(() => loadOrgs(file, { ...env, COLLAB_ORG_GLOBEX_API_KEY: env.COLLAB_ORG_ACME_API_KEY! })).toThrow(
      /distinct/
    );
  });
});

describe('orgDashboard', () => {
  it('fixes the org variable to a hidden constant and leaves the template untouched', () => {
    const template = {
      uid: 'collab-org-admin',
      id: 7,
      templating: {
        list: [
          { name: 'org', type: 'query', includeAll: true },
          { name: 'bucket_zoom', type: 'custom' },
        ],
      },
    };
    const d = orgDashboard(template, 'acme') as typeof template;
    expect(d.id).toBeUndefined();
    expect(d.templating.list[0]).toMatchObject({ name: 'org', type: 'constant', query: 'acme', hide: 2 });
    expect(d.templating.list[1]).toEqual({ name: 'bucket_zoom', type: 'custom' });
    expect(template.templating.list[0]!.type).toBe('query');
  });
});
