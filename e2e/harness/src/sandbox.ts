// `npm run sandbox`: serves the host page in sandbox mode — the collab datasource against a running pod and
// the presence / CRDT panels fed by live queries — for plugin development without Grafana. Open the printed
// URL in a browser. As in Grafana, the page talks only to the host server: queries, resources and Live channels
// go to the datasource's backend executable, which the host server starts and which alone reaches the pod (so
// SANDBOX_POD_URL must be reachable from this machine, not from the browser). The defaults work with
// `npm start` (scripts/dev-up.sh) as is.
// Configuration (env; see sandboxConfig.ts and e2e/README.md):
//   SANDBOX_POD_URL   pod base URL (default http://127.0.0.1:1234, dev-up's pod)
//   SANDBOX_API_KEY   org API key; the datasource's secure setting, handed only to the backend executable
//                     (default local-dev-acme-key, dev-up's key for org acme; `none` = no key)
//   SANDBOX_ROOM      value of the $room variable (default acme/roadmap-2026, a simulator room)
//   SANDBOX_LEG       grafana-12 | grafana-13 (default grafana-12)
//   SANDBOX_PORT      port for the host page on 127.0.0.1 (default 3300)
//   SANDBOX_ROLE      Viewer | Editor | Admin (default Admin)
//   SANDBOX_JSON_DATA JSON for the datasource jsonData (default {"podUrls":[POD]})
// and a SaaS page embedding each org's Org Admin dashboard through a signed URL (docs/EMBEDDING.md):
//   SANDBOX_EMBED         on | off (default on)
//   SANDBOX_SAAS_PORT     the SaaS page (default 3302): http://127.0.0.1:3302/<org>
//   SANDBOX_GATEWAY_PORT  the embed gateway on 127.0.0.1 (default 3301)
//   SANDBOX_ORG_KEYS      org:key,… pod keys of the orgs' collab datasources (default dev-up's local-dev-<org>-key)
import fs from 'node:fs';
import path from 'node:path';

import { startSandboxEmbed } from './embed/sandboxEmbed.js';
import { embedSettings, sandboxSettings } from './sandboxConfig.js';
import { REPO_ROOT } from './server/paths.js';
import { startHostServer } from './server/server.js';
import { errorMessage } from '@collabblocks/protocol';

/** The org list the gateway provisions Grafana from (`{"orgs":[{"id","name"}]}`). */
function orgList(): Array<{ id: string; name: string }> {
  const text = fs.readFileSync(path.join(REPO_ROOT, 'provisioning', 'orgs.json'), 'utf8');
  return (JSON.parse(text) as { orgs: Array<{ id: string; name: string }> }).orgs;
}

async function main(): Promise<void> {
  const { leg, podUrl, apiKey, room, port, role, jsonData } = sandboxSettings(process.env);
  const embedConfig = embedSettings(process.env, orgList(), room);
  const server = await startHostServer({
    leg,
    role,
    port,
    sandbox: (srv) => {
      const datasource = srv.registerDatasource('collabblocks-collab-datasource', {
        uid: 'sandbox-collab',
        name: 'Collab (sandbox)',
        jsonData,
        ...(apiKey ? { secureJsonData: { apiKey } } : {}),
      });
      return {
        datasource,
        variables: { room },
        range: { from: 'now-15m', to: 'now' },
        panels: [
          {
            pluginId: 'collabblocks-presence-panel',
            title: 'Presence',
            query: { queryType: 'presence', room: '$room' },
          },
          { pluginId: 'collabblocks-crdt-panel', title: 'CRDT', query: { queryType: 'tree', room: '$room' } },
        ],
      };
    },
  });
  console.log(
    `sandbox (${leg}) on ${server.url}  — pod ${podUrl}, room ${room}${apiKey ? ' (API key set)' : ' (no API key)'}; Ctrl-C to stop`
  );
  const embed = embedConfig
    ? await startSandboxEmbed({
        leg,
        jsonData,
        orgs: embedConfig.orgs,
        gatewayPort: embedConfig.gatewayPort,
        saasPort: embedConfig.saasPort,
      })
    : undefined;
  if (embed)
    console.log(
      `embedded org dashboards (signed URLs through the gateway on ${embed.gatewayUrl}): ${embedConfig!.orgs
        .map((o) => `${embed.saasUrl}/${o.id}`)
        .join('  ')}`
    );
  const stop = () => {
    Promise.all([server.close(), embed?.close()]).then(
      () => process.exit(0),
      () => process.exit(1)
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(`sandbox: ${errorMessage(err)}`);
  process.exit(1);
});
