/**
 * One Grafana organisation per collab org, from the org list, through Grafana's HTTP API as the
 * server admin (Grafana's file provisioning cannot create organisations). Idempotent; run by the
 * gateway at start. For each org:
 * - the organisation (by name);
 * - its embed viewer login (`embed-viewer-<org>`, a Viewer of that organisation only — the identity
 *   the gateway's auth-proxy requests carry), with a random password nobody knows;
 * - a Prometheus datasource (uid `prometheus`) that reaches Prometheus only through the tenancy proxy
 *   with the org's key, so every query is restricted to the org's series;
 * - a CollabBlocks datasource (uid `collab`) holding the org's pod API key (scoped to the org by the
 *   pods);
 * - the Org Admin dashboard with its `org` variable fixed to the org.
 * The operators' organisation (id 1) keeps the SRE dashboards; embed viewers are removed from it.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { errorMessage } from '@collabblocks/protocol';
import { embedViewer } from '../embed/gateway.js';
import type { Org } from '../tenants.js';

export interface BootstrapOptions {
  grafana: string;
  adminUser: string;
  adminPassword: string;
  /** URL Grafana (server side) uses to reach the tenancy proxy, e.g. http://gateway:9091 */
  tenancyProxyUrl: string;
  /** Pod base URLs for the collab datasource. */
  podUrls: string[];
  /** The generated Org Admin dashboard (provisioning/dashboards/org-admin.json). */
  orgDashboardFile: string;
  log?: (msg: string) => void;
}

class GrafanaApi {
  private readonly auth: string;
  constructor(
    private readonly base: string,
    user: string,
    password: string
  ) {
    this.auth = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  }

  async call<T>(
    method: string,
    path: string,
    body?: unknown,
    orgId?: number
  ): Promise<{ status: number; json: T }> {
    const headers: Record<string, string> = { authorization: this.auth, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (orgId !== undefined) headers['x-grafana-org-id'] = String(orgId);
    const r = await fetch(`${this.base}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    let json: unknown = {};
    try {
      json = text ? JSON.parse(text) : {};
    } catch {
      json = { message: text.slice(0, 200) };
    }
    return { status: r.status, json: json as T };
  }

  async must<T>(method: string, path: string, body?: unknown, orgId?: number): Promise<T> {
    const r = await this.call<T & { message?: string }>(method, path, body, orgId);
    if (r.status >= 300)
      throw new Error(`Grafana ${method} ${path.split('?')[0]}: ${r.status} ${r.json.message ?? ''}`);
    return r.json;
  }
}

/** The Org Admin dashboard for one org: its `org` variable becomes a hidden constant. */
export function orgDashboard(template: unknown, org: string): Record<string, unknown> {
  const d = structuredClone(template) as {
    templating?: { list?: Array<Record<string, unknown>> };
    id?: unknown;
  };
  delete d.id;
  const list = d.templating?.list ?? [];
  const i = list.findIndex((v) => v.name === 'org');
  const fixed = {
    name: 'org',
    type: 'constant',
    label: 'Org',
    query: org,
    hide: 2,
    current: { text: org, value: org },
  };
  if (i >= 0) list[i] = fixed;
  else list.unshift(fixed);
  return d as Record<string, unknown>;
}

async function ensureOrg(api: GrafanaApi, name: string): Promise<number> {
  const found = await api.call<{ id?: number }>('GET', `/api/orgs/name/${encodeURIComponent(name)}`);
  if (found.status === 200 && typeof found.json.id === 'number') return found.json.id;
  return (await api.must<{ orgId: number }>('POST', '/api/orgs', { name })).orgId;
}

async function ensureViewer(api: GrafanaApi, org: string, orgId: number): Promise<void> {
  const login = embedViewer(org);
  const found = await api.call<{ id?: number }>(
    'GET',
    `/api/users/lookup?loginOrEmail=${encodeURIComponent(login)}`
  );
  let userId = found.status === 200 ? found.json.id : undefined;
  if (userId === undefined) {
    userId = (
      await api.must<{ id: number }>('POST', '/api/admin/users', {
        name: `Embed viewer (${org})`,
        login,
        email: `${login}@embed.invalid`,
        password: randomBytes(24).toString('base64url'),
        OrgId: orgId,
      })
    ).id;
  }
  const add = await api.call('POST', `/api/orgs/${orgId}/users`, { loginOrEmail: login, role: 'Viewer' });
  if (add.status === 409) await api.must('PATCH', `/api/orgs/${orgId}/users/${userId}`, { role: 'Viewer' });
  else if (add.status >= 300) throw new Error(`Grafana: adding ${login} to org ${orgId}: ${add.status}`);
  // Only its own organisation: never a member of the operators' one.
  if (orgId !== 1) await api.call('DELETE', `/api/orgs/1/users/${userId}`);
}

async function ensureDatasource(
  api: GrafanaApi,
  orgId: number,
  ds: Record<string, unknown> & { uid: string }
): Promise<void> {
  const found = await api.call('GET', `/api/datasources/uid/${ds.uid}`, undefined, orgId);
  if (found.status === 200) await api.must('PUT', `/api/datasources/uid/${ds.uid}`, ds, orgId);
  else await api.must('POST', '/api/datasources', ds, orgId);
}

/** Creates or updates every org; returns collab org → Grafana organisation id. */
export async function bootstrapGrafana(orgs: Org[], opts: BootstrapOptions): Promise<Map<string, number>> {
  const api = new GrafanaApi(opts.grafana, opts.adminUser, opts.adminPassword);
  const template = JSON.parse(readFileSync(opts.orgDashboardFile, 'utf8')) as unknown;
  const ids = new Map<string, number>();
  for (const org of orgs) {
    const orgId = await ensureOrg(api, org.name);
    await ensureViewer(api, org.id, orgId);
    await ensureDatasource(api, orgId, {
      uid: 'prometheus',
      name: 'Prometheus',
      type: 'prometheus',
      access: 'proxy',
      url: opts.tenancyProxyUrl,
      isDefault: true,
      jsonData: {
        httpMethod: 'POST',
        timeInterval: '15s',
        manageAlerts: false,
        httpHeaderName1: 'Authorization',
      },
      secureJsonData: { httpHeaderValue1: `Bearer ${org.tenancyKey}` },
    });
    await ensureDatasource(api, orgId, {
      uid: 'collab',
      name: 'CollabBlocks',
      type: 'collabblocks-collab-datasource',
      access: 'proxy',
      jsonData: { podUrls: opts.podUrls },
      secureJsonData: { apiKey: org.podApiKey },
    });
    await api.must(
      'POST',
      '/api/dashboards/db',
      { dashboard: orgDashboard(template, org.id), overwrite: true, message: 'collab gateway bootstrap' },
      orgId
    );
    ids.set(org.id, orgId);
    opts.log?.(`org ${org.id}: Grafana organisation ${orgId} ready`);
  }
  return ids;
}

/** Runs the bootstrap until Grafana answers (it may start after the gateway). */
export async function bootstrapWhenReady(
  orgs: Org[],
  opts: BootstrapOptions,
  signal: AbortSignal
): Promise<Map<string, number>> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await bootstrapGrafana(orgs, opts);
    } catch (err) {
      if (signal.aborted) throw err;
      opts.log?.(`Grafana bootstrap attempt ${attempt} failed: ${errorMessage(err)}; retrying in 5 s`);
      await new Promise((r) => setTimeout(r, 5_000));
    }
  }
}
