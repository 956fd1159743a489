#!/usr/bin/env node
/**
 * collab-gateway: the embed gateway (signed URLs → Grafana as each org's viewer) and the Prometheus
 * tenancy proxy, configured from the environment (docs: gateway/README.md):
 *   GATEWAY_ORGS_FILE           org list (JSON), default ./orgs.json; secrets COLLAB_ORG_<ID>_* (tenants.ts)
 *   GATEWAY_SESSION_SECRET      ≥ 32 characters
 *   GATEWAY_PUBLIC_URL          base of the URLs it signs (default http://localhost:3001)
 *   GATEWAY_GRAFANA_URL         default http://grafana:3000
 *   GATEWAY_GRAFANA_ADMIN_USER / _PASSWORD   for the organisation bootstrap
 *   GATEWAY_PROMETHEUS_URL      default http://prometheus:9090
 *   GATEWAY_TENANCY_PROXY_URL   how Grafana reaches the tenancy proxy (default http://gateway:9091)
 *   GATEWAY_POD_URLS            comma-separated pod URLs for the orgs' collab datasources
 *   GATEWAY_ORG_DASHBOARD       Org Admin dashboard JSON (default ./org-admin.json)
 *   GATEWAY_URL_TTL_S           signed URL lifetime, ≤ 900 (default 900)
 *   GATEWAY_FRAME_ANCESTORS     space-separated origins allowed to frame dashboards
 *   HOST, GATEWAY_EMBED_PORT (3001), GATEWAY_PROMETHEUS_PORT (9091)
 */
import { errorMessage } from '@collabblocks/protocol';
import { createEmbedGateway } from './embed/gateway.js';
import { MAX_LIFETIME_S } from './embed/signing.js';
import { bootstrapWhenReady } from './grafana/bootstrap.js';
import { createPrometheusProxy } from './prometheus/proxy.js';
import { ConfigError, loadOrgs } from './tenants.js';

function env(name: string, fallback?: string): string {
  const v = process.env[name] ?? fallback;
  if (v === undefined || v === '') throw new ConfigError(`${name} must be set`);
  return v;
}

function port(name: string, fallback: number): number {
  const n = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new ConfigError(`${name} must be a TCP port`);
  return n;
}

function log(msg: string): void {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), msg })}\n`);
}

async function main(): Promise<void> {
  const orgs = loadOrgs(env('GATEWAY_ORGS_FILE', './orgs.json'), process.env);
  const ttl = Number(process.env.GATEWAY_URL_TTL_S ?? MAX_LIFETIME_S);
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_LIFETIME_S)
    throw new ConfigError(`GATEWAY_URL_TTL_S must be 1..${MAX_LIFETIME_S}`);
  const host = process.env.HOST ?? '127.0.0.1';
  const grafana = env('GATEWAY_GRAFANA_URL', 'http://grafana:3000');
  const grafanaIds = new Map<string, number>();

  const gateway = createEmbedGateway({
    orgs,
    grafanaOrgId: (org) => grafanaIds.get(org),
    grafana,
    publicUrl: env('GATEWAY_PUBLIC_URL', 'http://localhost:3001'),
    sessionSecret: env('GATEWAY_SESSION_SECRET'),
    defaultTtlS: ttl,
    frameAncestors: (process.env.GATEWAY_FRAME_ANCESTORS ?? '').split(/\s+/).filter(Boolean),
  });
  const proxy = createPrometheusProxy({
    upstream: env('GATEWAY_PROMETHEUS_URL', 'http://prometheus:9090'),
    keys: orgs.map((o) => ({ org: o.id, key: o.tenancyKey })),
  });
  gateway.listen(port('GATEWAY_EMBED_PORT', 3001), host);
  proxy.listen(port('GATEWAY_PROMETHEUS_PORT', 9091), host);
  log(`embed gateway and tenancy proxy listening on ${host} for ${orgs.length} orgs`);

  const stop = new AbortController();
  const shutdown = (): void => {
    stop.abort();
    gateway.close();
    proxy.close();
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);

  if (process.env.GATEWAY_GRAFANA_ADMIN_USER) {
    const ids = await bootstrapWhenReady(
      orgs,
      {
        grafana,
        adminUser: env('GATEWAY_GRAFANA_ADMIN_USER'),
        adminPassword: env('GATEWAY_GRAFANA_ADMIN_PASSWORD'),
        tenancyProxyUrl: env('GATEWAY_TENANCY_PROXY_URL', 'http://gateway:9091'),
        podUrls: env('GATEWAY_POD_URLS')
          .split(',')
          .map((s) => s.trim()),
        orgDashboardFile: env('GATEWAY_ORG_DASHBOARD', './org-admin.json'),
        log,
      },
      stop.signal
    );
    for (const [org, id] of ids) grafanaIds.set(org, id);
    log('Grafana organisations ready: signed URLs are served');
  } else {
    log('GATEWAY_GRAFANA_ADMIN_USER unset: no Grafana organisations, signed URLs are refused (unknown_org)');
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`collab-gateway: ${errorMessage(err)}\n`);
  process.exit(1);
});
