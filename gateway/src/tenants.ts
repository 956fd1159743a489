/**
 * The org list: one entry per collab org, the single source of Grafana organisations, their embed
 * viewers, datasources and keys. Read from a JSON file (`GATEWAY_ORGS_FILE`, default
 * provisioning/orgs.json); each org's secrets come from the environment, never from the file:
 *   COLLAB_ORG_<ID>_API_KEY      the SaaS back-end's key for POST /api/grafana/signed_url
 *   COLLAB_ORG_<ID>_SIGNING_KEY  HMAC key of the org's signed embed URLs
 *   COLLAB_ORG_<ID>_TENANCY_KEY  the org's Prometheus datasource key (tenancy proxy)
 *   COLLAB_ORG_<ID>_POD_API_KEY  the org's key on the pods (COLLAB_API_KEYS), for its collab datasource
 * (<ID> upper-cased, `-` → `_`). Keys are never logged; they are checked in constant time by the monitor's
 * org-key authenticator (`createOrgKeyAuthenticator`, shared with every collab host).
 */
import { readFileSync } from 'node:fs';
import { errorMessage, isSlug } from '@collabblocks/protocol';

export interface OrgEntry {
  /** The collab org id (the `org` label, the first segment of room names). */
  id: string;
  /** Grafana organisation name. */
  name: string;
}

export interface OrgSecrets {
  apiKey: string;
  signingKey: string;
  tenancyKey: string;
  podApiKey: string;
}

export type Org = OrgEntry & OrgSecrets;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Minimum secret length: 32 characters (e.g. 24 random bytes, base64). */
const MIN_SECRET = 32;

export function envPrefix(org: string): string {
  return `COLLAB_ORG_${org.toUpperCase().replace(/-/g, '_')}_`;
}

export function parseOrgList(text: string): OrgEntry[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`org list is not JSON: ${errorMessage(err)}`);
  }
  const orgs = (data as { orgs?: unknown }).orgs;
  if (!Array.isArray(orgs) || orgs.length === 0)
    throw new ConfigError('org list: "orgs" must be a non-empty array');
  const seen = new Set<string>();
  return orgs.map((o: unknown, i) => {
    const { id, name } = (o ?? {}) as { id?: unknown; name?: unknown };
    if (typeof id !== 'string' || !isSlug(id))
      throw new ConfigError(`org list: orgs[${i}].id is not a valid org name`);
    if (typeof name !== 'string' || name.trim() === '' || name.length > 100) {
      throw new ConfigError(`org list: orgs[${i}].name must be 1-100 characters`);
    }
    if (seen.has(id)) throw new ConfigError(`org list: org ${id} listed twice`);
    seen.add(id);
    return { id, name };
  });
}

export function loadOrgs(file: string, env: NodeJS.ProcessEnv): Org[] {
  const entries = parseOrgList(readFileSync(file, 'utf8'));
  const all = entries.map((e) => {
    const p = envPrefix(e.id);
    const secret = (name: string): string => {
      const v = env[p + name];
      if (!v || v.length < MIN_SECRET)
        throw new ConfigError(`${p}${name} must be set (at least ${MIN_SECRET} characters)`);
      return v;
    };
    return {
      ...e,
      apiKey: secret('API_KEY'),
      signingKey: secret('SIGNING_KEY'),
      tenancyKey: secret('TENANCY_KEY'),
      podApiKey: secret('POD_API_KEY'),
    };
  });
  const secrets = all.flatMap((o) => [o.apiKey, o.signingKey, o.tenancyKey, o.podApiKey]);
  if (new Set(secrets).size !== secrets.length) throw new ConfigError('every org secret must be distinct');
  return all;
}
