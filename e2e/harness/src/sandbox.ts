// `npm run sandbox`: serves the host page in sandbox mode — the collab datasource against a running pod and
// the presence / CRDT panels fed by live queries — for plugin development without Grafana. Open the printed
// URL in a browser. The page connects to the pod's WebSocket directly (as in Grafana), so SANDBOX_POD_URL
// must be reachable from the browser. Configuration (env):
//   SANDBOX_POD_URL   pod base URL (default http://127.0.0.1:4000)
//   SANDBOX_API_KEY   org API key; kept by the host server, injected by the data proxy (default: none)
//   SANDBOX_ROOM      value of the $room variable (default demo/welcome)
//   SANDBOX_LEG       grafana-12 | grafana-13 (default grafana-12)
//   SANDBOX_PORT      port for the host page on 127.0.0.1 (default 3300)
//   SANDBOX_ROLE      Viewer | Editor | Admin (default Admin)
//   SANDBOX_JSON_DATA JSON for the datasource jsonData (default {"podUrls":[POD],"tokenUrl":POD})
import { ORG_ROLES, type OrgRole } from './shared/types.js';
import { assertLeg } from './server/paths.js';
import { startHostServer } from './server/server.js';

function env(name: string, fallback: string): string {
  const v = process.env[name];
  return v === undefined || v === '' ? fallback : v;
}

function parseJsonObject(name: string, text: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`${name} is not valid JSON`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new Error(`${name} must be a JSON object`);
  return parsed as Record<string, unknown>;
}

async function main(): Promise<void> {
  const leg = assertLeg(env('SANDBOX_LEG', 'grafana-12'));
  const podUrl = new URL(env('SANDBOX_POD_URL', 'http://127.0.0.1:4000')).toString().replace(/\/$/, '');
  const role = env('SANDBOX_ROLE', 'Admin');
  if (!(ORG_ROLES as readonly string[]).includes(role))
    throw new Error(`SANDBOX_ROLE must be one of ${ORG_ROLES.join(', ')}`);
  const port = Number(env('SANDBOX_PORT', '3300'));
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error('SANDBOX_PORT must be a port number');
  const jsonData = parseJsonObject(
    'SANDBOX_JSON_DATA',
    env('SANDBOX_JSON_DATA', JSON.stringify({ podUrls: [podUrl], tokenUrl: podUrl }))
  );
  const apiKey = process.env.SANDBOX_API_KEY;
  const server = await startHostServer({
    leg,
    role: role as OrgRole,
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
        variables: { room: env('SANDBOX_ROOM', 'demo/welcome') },
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
    `sandbox (${leg}) on ${server.url}  — pod ${podUrl}${apiKey ? ' (API key set)' : ''}; Ctrl-C to stop`
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
  console.error(`sandbox: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
