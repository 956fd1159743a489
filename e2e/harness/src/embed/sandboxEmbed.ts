// The sandbox's signed-URL embed, end to end on 127.0.0.1 (docs/EMBEDDING.md, "The sandbox"):
//   SaaS page (http://127.0.0.1:<saas>/<org>)  — its back-end: POST /api/grafana/signed_url with the org's key
//     └─ iframe → the real embed gateway (gateway/src/embed, http://127.0.0.1:<gateway>)
//          └─ auth proxy as embed-viewer-<org> → pretend-Grafana (authProxy.ts)
//               └─ the org's Grafana organisation: a host server with the org's Org Admin dashboard
//                  (built plugins, the collab datasource holding the org's pod key, `$org` fixed), a Viewer.
// The org keys and signing keys are random per run and never leave this process.
import { randomBytes } from 'node:crypto';
import type { AddressInfo, Socket } from 'node:net';

import { COLLAB_DATASOURCE_TYPE, CRDT_PANEL_TYPE, PRESENCE_PANEL_TYPE } from '@collabblocks/protocol';

import { createEmbedGateway, embedViewer } from '../../../../gateway/src/embed/gateway.js';
import { type HostServer, startHostServer } from '../server/server.js';
import type { DatasourceInstanceInfo, Leg, SandboxConfig } from '../shared/types.js';
import { startAuthProxy } from './authProxy.js';
import { startSaasPage } from './saasPage.js';

/** The Org Admin dashboard's uid (provisioning/dashboards/org-admin.json). */
export const ORG_ADMIN_UID = 'collab-org-admin';

export interface SandboxEmbedOrg {
  id: string;
  name: string;
  /** The org's key on the pods (its collab datasource's secure `apiKey`). */
  podApiKey: string;
  /** Room the SaaS page embeds when its URL names none. */
  room?: string;
}

export interface SandboxEmbedOptions {
  leg: Leg;
  orgs: readonly SandboxEmbedOrg[];
  /** The collab datasource's jsonData (podUrls), the same for every org. */
  jsonData: Record<string, unknown>;
  /** Ports on 127.0.0.1 (default 0 = ephemeral). */
  gatewayPort?: number;
  saasPort?: number;
}

export interface SandboxEmbed {
  /** The SaaS page's base URL; `${saasUrl}/<org>` embeds that org's dashboard. */
  readonly saasUrl: string;
  readonly gatewayUrl: string;
  /** The pretend-Grafana behind the gateway (refuses requests without the auth-proxy identity). */
  readonly grafanaUrl: string;
  /** Grafana organisation id of each org. */
  readonly grafanaOrgIds: ReadonlyMap<string, number>;
  close(): Promise<void>;
}

/** An org's Org Admin dashboard in the sandbox: its rooms, then presence and the document of `$room`. */
export function orgAdminDashboard(
  org: { id: string; name: string },
  datasource: DatasourceInstanceInfo
): SandboxConfig {
  return {
    title: `CollabBlocks / Org Admin — ${org.name}`,
    editors: false,
    datasource,
    variables: { org: org.id },
    fixedVariables: ['org'],
    range: { from: 'now-15m', to: 'now' },
    panels: [
      { id: 1, pluginId: 'table', title: 'Rooms now', query: { queryType: 'rooms' }, height: 260 },
      {
        id: 2,
        pluginId: PRESENCE_PANEL_TYPE,
        title: 'Presence',
        query: { queryType: 'presence', room: '$room' },
      },
      { id: 3, pluginId: CRDT_PANEL_TYPE, title: 'Document', query: { queryType: 'tree', room: '$room' } },
    ],
  };
}

const secret = (): string => randomBytes(24).toString('base64url');

export async function startSandboxEmbed(opts: SandboxEmbedOptions): Promise<SandboxEmbed> {
  const closers: Array<() => Promise<void>> = [];
  const close = async (): Promise<void> => {
    for (const c of closers.splice(0).reverse()) await c();
  };
  try {
    // Grafana organisation 1 is the operators'; each org gets the next id, as the gateway's bootstrap does.
    const orgs = opts.orgs.map((o, i) => ({
      ...o,
      grafanaOrgId: i + 2,
      apiKey: secret(),
      signingKey: secret(),
    }));
    const hosts: HostServer[] = [];
    for (const org of orgs) {
      const host = await startHostServer({
        leg: opts.leg,
        role: 'Viewer',
        sandbox: (srv) =>
          orgAdminDashboard(
            org,
            srv.registerDatasource(COLLAB_DATASOURCE_TYPE, {
              uid: 'collab',
              name: 'CollabBlocks',
              jsonData: opts.jsonData,
              secureJsonData: { apiKey: org.podApiKey },
            })
          ),
      });
      closers.push(() => host.close());
      hosts.push(host);
    }
    const grafana = await startAuthProxy({
      orgs: orgs.map((o, i) => ({
        grafanaOrgId: o.grafanaOrgId,
        login: embedViewer(o.id),
        dashboards: [ORG_ADMIN_UID],
        upstream: hosts[i]!.url,
      })),
    });
    closers.push(() => grafana.close());

    let gatewayUrl = '';
    const saas = await startSaasPage({
      orgs,
      gatewayUrl: () => gatewayUrl,
      dashboard: ORG_ADMIN_UID,
      ...(opts.saasPort !== undefined ? { port: opts.saasPort } : {}),
    });
    closers.push(() => saas.close());

    const ids = new Map(orgs.map((o) => [o.id, o.grafanaOrgId]));
    const gateway = createEmbedGateway({
      orgs,
      grafanaOrgId: (org) => ids.get(org),
      grafana: grafana.url,
      sessionSecret: secret(),
      frameAncestors: [saas.url],
    });
    const sockets = new Set<Socket>();
    gateway.on('connection', (s: Socket) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      gateway.once('error', reject);
      gateway.listen(opts.gatewayPort ?? 0, '127.0.0.1', () => resolve());
    });
    closers.push(
      () =>
        new Promise<void>((resolve) => {
          gateway.close(() => resolve());
          for (const s of sockets) s.destroy(); // WebSockets (Grafana Live) included
        })
    );
    gatewayUrl = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`;
    return { saasUrl: saas.url, gatewayUrl, grafanaUrl: grafana.url, grafanaOrgIds: ids, close };
  } catch (err) {
    await close();
    throw err;
  }
}
