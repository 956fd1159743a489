/**
 * The harness's Grafana server side for backend plugins, against the REAL collab datasource backend (its
 * packaged executable, started with no Node on PATH) and a REAL pod: `/api/ds/query` answers Grafana's
 * frame JSON converted from the plugin's Arrow, `/resources/*` and `/health` reach CallResource and
 * CheckHealth, and the Live hub shares one RunStream between viewers of a channel.
 * Needs `npm run build` (dist/ with the executable) and the grafana-12 host bundle.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { connectClient, type StockClient } from '../../../collab-server/test/helpers/clients.js';
import { mintToken, TEST_API_KEYS } from '../../../collab-server/test/helpers/jwt.js';
import { startPod, type PodProcess } from '../../../collab-server/test/helpers/pod.js';
import { startHostServer, type HostServer } from '../src/server/server.js';

const ROOM = 'acme/harnessdoc';
let pod: PodProcess;
let server: HostServer;
let client: StockClient;
let uid = '';

beforeAll(async () => {
  pod = await startPod();
  const token = await mintToken({ org: 'acme', sub: 'h', name: 'Harness User' });
  client = connectClient(pod.wsUrl, ROOM, token, {
    awareness: { user: { name: 'Harness User' }, cursor: { x: 0.5, y: 0.5 } },
  });
  await client.synced;
  server = await startHostServer({ leg: 'grafana-12', role: 'Viewer' });
  uid = server.registerDatasource('collabblocks-collab-datasource', {
    uid: 'collab-harness',
    jsonData: { podUrls: [pod.httpUrl] },
    secureJsonData: { apiKey: TEST_API_KEYS.acmeContent.key },
  }).uid;
  // A pod process and the host server: the e2e suite's hook budget (60 s), not the unit tests' 10 s default.
}, 60_000);

afterAll(async () => {
  client?.destroy();
  await server?.close();
  await pod?.cleanup();
});

describe('Grafana server side for backend plugins', () => {
  it('POST /api/ds/query: results with Grafana frame JSON (schema + data), a Live channel for live kinds', async () => {
    const res = await fetch(`${server.url}/api/ds/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        from: String(Date.now() - 3_600_000),
        to: String(Date.now()),
        queries: [
          { refId: 'A', datasource: { uid }, queryType: 'rooms' },
          { refId: 'B', datasource: { uid }, queryType: 'presence', room: ROOM },
          { refId: 'C', datasource: { uid }, queryType: 'presence', room: 'bad' },
        ],
      }),
    });
    expect(res.status).toBe(207);
    const body = (await res.json()) as {
      results: Record<
        string,
        {
          status: number;
          error?: string;
          frames: Array<{
            schema: {
              refId: string;
              meta?: { channel?: string };
              fields: Array<{ name: string; type: string }>;
            };
            data: { values: unknown[][] };
          }>;
        }
      >;
    };
    const rooms = body.results['A']!.frames[0]!;
    expect(rooms.schema.refId).toBe('A');
    const roomIdx = rooms.schema.fields.findIndex((f) => f.name === 'room');
    expect(rooms.data.values[roomIdx]).toContain(ROOM);
    const t = rooms.schema.fields.find((f) => f.name === 'lastActivity')!;
    expect(t.type).toBe('time');
    expect(body.results['B']!.frames[0]!.schema.meta?.channel).toMatch(
      /^ds\/collab-harness\/metadata\/presence\//
    );
    expect(body.results['C']).toMatchObject({ status: 400, error: expect.stringContaining('room "bad"') });
  });

  it('health and resources reach CheckHealth and CallResource; the API key is in no answer', async () => {
    const health = await fetch(`${server.url}/api/datasources/uid/${uid}/health`);
    const h = (await health.json()) as { status: string; message: string };
    expect(health.status).toBe(200);
    expect(h.status).toBe('OK');
    const vars = await fetch(
      `${server.url}/api/datasources/uid/${uid}/resources/variables?kind=rooms&org=acme`
    );
    expect(vars.status).toBe(200);
    const text = await vars.text();
    expect(JSON.parse(text)).toContainEqual({ text: ROOM, value: ROOM });
    expect(text + JSON.stringify(h)).not.toContain(TEST_API_KEYS.acmeContent.key);
    const missing = await fetch(`${server.url}/api/datasources/uid/${uid}/resources/nope`);
    expect(missing.status).toBe(404);
  });
});
