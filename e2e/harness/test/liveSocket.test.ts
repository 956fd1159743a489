/**
 * The harness's Grafana Live socket (server/live/liveSocket.ts) against the REAL collab backend executable and a
 * REAL pod, driven by plain `ws` clients as two viewers' pages: both are admitted by SubscribeStream and fed by ONE
 * RunStream; packets are the plugin's frame JSON; a closed page and an unsubscribe tear down what they opened
 * (the RunStream ends when the last viewer leaves); a Viewer's content channel and unknown channels are refused;
 * a malformed message closes the socket. Needs `npm run build` (dist/ with the executable) and the grafana-12
 * host bundle.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';

import { connectClient, type StockClient } from '../../../collab-server/test/helpers/clients.js';
import { mintToken, TEST_API_KEYS } from '../../../collab-server/test/helpers/jwt.js';
import { startPod, type PodProcess } from '../../../collab-server/test/helpers/pod.js';
import { startHostServer, type HostServer } from '../src/server/server.js';
import { LIVE_SOCKET_PATH, type LiveServerMessage } from '../src/shared/live.js';

const PLUGIN_ID = 'collabblocks-collab-datasource';
const ROOM = 'acme/live-socket-doc';
let pod: PodProcess;
let server: HostServer;
let client: StockClient;
let uid = '';

beforeAll(async () => {
  pod = await startPod();
  client = connectClient(pod.wsUrl, ROOM, await mintToken({ org: 'acme', sub: 'l', name: 'Live User' }), {
    awareness: { user: { name: 'Live User' }, cursor: { x: 0.5, y: 0.5 } },
  });
  await client.synced;
  server = await startHostServer({ leg: 'grafana-12', role: 'Viewer' });
  uid = server.registerDatasource(PLUGIN_ID, {
    jsonData: { podUrls: [pod.httpUrl] },
    secureJsonData: { apiKey: TEST_API_KEYS.acmeContent.key },
  }).uid;
}, 60_000);

afterAll(async () => {
  client?.destroy();
  await server?.close();
  await pod?.cleanup();
});

/** A page's live socket: every message it received, and a way to wait for one. */
async function page() {
  const ws = new WebSocket(`${server.url.replace(/^http/, 'ws')}${LIVE_SOCKET_PATH}`);
  const got: LiveServerMessage[] = [];
  ws.on('message', (raw) => got.push(JSON.parse(String(raw)) as LiveServerMessage));
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const waitFor = async (pred: (m: LiveServerMessage) => boolean, what: string) => {
    const end = Date.now() + 15_000;
    for (;;) {
      const m = got.find(pred);
      if (m) return m;
      if (Date.now() > end) throw new Error(`no ${what}: ${JSON.stringify(got).slice(0, 500)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return {
    ws,
    got,
    closed,
    waitFor,
    send: (m: unknown) => ws.send(typeof m === 'string' ? m : JSON.stringify(m)),
  };
}

async function presenceChannel(): Promise<string> {
  const res = await fetch(`${server.url}/api/ds/query`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      queries: [{ refId: 'A', datasource: { uid }, queryType: 'presence', room: ROOM }],
    }),
  });
  const body = (await res.json()) as {
    results: { A: { frames: Array<{ schema: { meta?: { channel?: string } } }> } };
  };
  const channel = body.results.A.frames[0]?.schema.meta?.channel;
  if (!channel) throw new Error('no channel in the answer');
  return channel;
}

const poll = async (f: () => number, want: number) => {
  const end = Date.now() + 10_000;
  while (f() !== want) {
    if (Date.now() > end) throw new Error(`still ${f()}, want ${want}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('Grafana Live socket (browser side of the harness)', () => {
  it('two pages on one channel: one RunStream, both fed; teardown when the last leaves', async () => {
    const channel = await presenceChannel();
    expect(channel).toMatch(new RegExp(`^ds/${uid}/metadata/presence/`));
    const hub = await server.liveHub(PLUGIN_ID);
    const runs = hub.runStreamsStarted;
    const a = await page();
    const b = await page();
    a.send({ type: 'subscribe', id: 1, channel });
    b.send({ type: 'subscribe', id: 7, channel });
    for (const [p, id] of [
      [a, 1],
      [b, 7],
    ] as const) {
      expect(await p.waitFor((m) => m.type === 'subscribed' && m.id === id, 'subscribed')).toEqual({
        type: 'subscribed',
        id,
        status: 'OK',
      });
      const packet = await p.waitFor((m) => m.type === 'message' && m.id === id, 'packet');
      // The plugin's frame JSON as RunStream sent it: schema (fields, meta) and data.
      const data = (packet as { data: { schema?: { fields?: Array<{ name: string }> }; data?: unknown } })
        .data;
      expect(data.schema?.fields?.map((f) => f.name)).toContain('user');
      expect(data.data).toBeDefined();
    }
    expect(hub.runStreamsStarted - runs).toBe(1);
    expect(server.liveStats()).toEqual({ sockets: 2, subscriptions: 2 });
    // One page closes: the channel keeps running for the other.
    a.ws.close();
    await a.closed;
    await poll(() => server.liveStats().subscriptions, 1);
    expect(hub.runningChannels).toBe(1);
    // The last viewer unsubscribes: the RunStream is cancelled.
    b.send({ type: 'unsubscribe', id: 7 });
    await poll(() => server.liveStats().subscriptions, 0);
    await poll(() => hub.runningChannels, 0);
    const count = b.got.length;
    await new Promise((r) => setTimeout(r, 600));
    expect(b.got.length).toBe(count); // nothing after the unsubscribe
    b.ws.close();
    await b.closed;
    expect(server.liveStats().sockets).toBe(0);
  }, 60_000);

  it("a channel over the backend's cap: its first message is SubscribeStream's notice, and it starts when a slot frees (RunStream run again as Grafana does)", async () => {
    const channel = await presenceChannel();
    const base = channel.slice(0, channel.lastIndexOf('/') + 1);
    const p = await page();
    const hub = await server.liveHub(PLUGIN_ID);
    const restartsBefore = hub.runStreamRestarts;
    // Metadata presence channels of distinct rooms, one by one, until the backend says it runs its maximum
    // (bounded: the cap is a few hundred).
    let capped = 0;
    for (let id = 1; id <= 600 && !capped; id++) {
      const path = Buffer.from(JSON.stringify({ room: `acme/cap-${id}` })).toString('base64url');
      p.send({ type: 'subscribe', id, channel: `${base}${path}` });
      await p.waitFor((m) => m.type === 'subscribed' && m.id === id, `subscribed ${id}`);
      const first = p.got.find((m) => m.type === 'message' && m.id === id);
      if (first && JSON.stringify(first).includes('live channels are running')) capped = id;
    }
    expect(capped).toBeGreaterThan(1);
    const isPresence = (m: LiveServerMessage) =>
      m.type === 'message' &&
      m.id === capped &&
      JSON.stringify(m).includes('"name":"user"') &&
      !JSON.stringify(m).includes('live channels are running');
    // The notice was its first message; nothing of the channel's own data while every slot is taken.
    const ofCapped = p.got.filter((m) => m.type === 'message' && m.id === capped);
    expect(JSON.stringify(ofCapped[0])).toContain('live channels are running');
    await new Promise((r) => setTimeout(r, 1500));
    expect(p.got.some(isPresence)).toBe(false);
    expect(hub.runStreamRestarts).toBeGreaterThan(restartsBefore); // refused, and tried again
    // One viewer leaves: its RunStream ends, the capped channel's next try starts it (retries are ≤ 5 s apart).
    p.send({ type: 'unsubscribe', id: 1 });
    await p.waitFor(isPresence, 'the capped channel streaming once a slot is free');
    p.ws.close();
    await p.closed;
    await poll(() => hub.runningChannels, 0);
  }, 120_000);

  it('refuses what it must: a Viewer on a content channel, unknown datasources and scopes, bad messages', async () => {
    const channel = await presenceChannel();
    const p = await page();
    p.send({ type: 'subscribe', id: 1, channel: channel.replace('/metadata/', '/content/') });
    p.send({ type: 'subscribe', id: 2, channel: channel.replace(`ds/${uid}/`, 'ds/nope/') });
    p.send({ type: 'subscribe', id: 3, channel: 'grafana/dashboard/uid/x' });
    for (const [id, status] of [
      [1, 'PERMISSION_DENIED'],
      [2, 'NOT_FOUND'],
      [3, 'NOT_FOUND'],
    ] as const) {
      const m = await p.waitFor((x) => x.type === 'subscribed' && x.id === id, `answer ${id}`);
      expect((m as { status: string }).status).toBe(status);
    }
    expect(server.liveStats().subscriptions).toBe(0);
    p.send('{"type":"subscribe"'); // not JSON
    expect(await p.closed).toBe(1003);
  }, 60_000);
});
