// `npm run sandbox`: serves the host page in sandbox mode — the collab datasource against a running pod and
// the presence / CRDT panels fed by live queries — for plugin development without Grafana. Open the printed
// URL in a browser. The page connects to the pod's WebSocket directly (as in Grafana), so SANDBOX_POD_URL
// must be reachable from the browser. The defaults work with `npm start` (scripts/dev-up.sh) as is.
// Configuration (env; see sandboxConfig.ts and e2e/README.md):
//   SANDBOX_POD_URL   pod base URL (default http://127.0.0.1:1234, dev-up's pod)
//   SANDBOX_API_KEY   org API key; kept by the host server, injected by the data proxy
//                     (default local-dev-acme-key, dev-up's key for org acme; `none` = no key)
//   SANDBOX_ROOM      value of the $room variable (default acme/roadmap-2026, a simulator room)
//   SANDBOX_LEG       grafana-12 | grafana-13 (default grafana-12)
//   SANDBOX_PORT      port for the host page on 127.0.0.1 (default 3300)
//   SANDBOX_ROLE      Viewer | Editor | Admin (default Admin)
//   SANDBOX_JSON_DATA JSON for the datasource jsonData (default {"podUrls":[POD],"tokenUrl":POD})
import { sandboxSettings } from './sandboxConfig.js';
import { startHostServer } from './server/server.js';
import { errorMessage } from '@collabblocks/protocol';

async function main(): Promise<void> {
  const { leg, podUrl, apiKey, room, port, role, jsonData } = sandboxSettings(process.env);
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
  const stop = () => {
    server.close().then(
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
