// E2E: the collab datasource and both panels, loaded from their dist/module.js in the harness (per leg:
// HARNESS_LEG), against a real Hocuspocus server with the CollabMonitor extension instead of our pod.
// Editors are real @hocuspocus/provider clients; the datasource's backend reaches Hocuspocus's /inspect and
// token route exactly as it reaches a pod (podUrls, the org API key given to the backend only).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { type FrameJSON, type Harness, type QueryEmission, startHarness } from '@collabblocks/e2e-harness';

import { MemoryUpdateLog } from '../../packages/hocuspocus/src/index.js';
import {
  connectHocuspocus,
  startHocuspocus,
  type HocuspocusClient,
  type HocuspocusHost,
} from '../../packages/hocuspocus/test/helpers/hocuspocus.js';
import { TEST_API_KEYS } from '../../collab-server/test/helpers/jwt.js';

const DS_ID = 'collabblocks-collab-datasource';
const ROOM = 'acme/hocuspocus-e2e';

const field = (f: FrameJSON | undefined, name: string): unknown[] =>
  f?.fields.find((x) => x.name === name)?.values ?? [];
const ofRef = (e: QueryEmission, ref: string): FrameJSON | undefined =>
  e.frames.find((f) => f.refId === ref) ?? (e.key?.endsWith(`-${ref}`) ? e.frames[0] : undefined);
const rowText = (h: Harness, p: string) =>
  h.page
    .locator(`[role="treeitem"][data-path="${p}"]`)
    .last()
    .textContent({ timeout: 2000 })
    .catch(() => null);

describe(`Hocuspocus host (${process.env.HARNESS_LEG ?? 'grafana-12'})`, () => {
  let h: Harness;
  let hp: HocuspocusHost;
  const editors: HocuspocusClient[] = [];
  let stopFeed: (() => Promise<void>) | null = null;

  beforeAll(async () => {
    hp = await startHocuspocus({
      monitor: {
        instance: 'hocuspocus-e2e',
        secret: 'hocuspocus-e2e-inspect-secret-0123456789abcdef',
        apiKeys: [
          { org: 'acme', key: TEST_API_KEYS.acme.key, scope: 'metadata' },
          { org: 'acme', key: TEST_API_KEYS.acmeContent.key, scope: 'content' },
        ],
        user: (context) => (context as { user?: { id: string; name?: string } } | undefined)?.user,
        history: new MemoryUpdateLog(),
      },
      extensions: [
        {
          async onAuthenticate({ token }: { token: string }) {
            const [id, name] = token.split('|');
            return { user: { id: id ?? 'anonymous', ...(name ? { name } : {}) } };
          },
        },
      ],
    });
    h = await startHarness();
  });

  afterEach(async () => {
    await stopFeed?.();
    stopFeed = null;
  });

  afterAll(async () => {
    for (const e of editors) e.destroy();
    await h?.close();
    await hp?.stop();
  });

  async function editor(sub: string, name: string, cursor: { x: number; y: number }) {
    const e = connectHocuspocus(hp.wsUrl, ROOM, {
      token: `${sub}|${name}`,
      awareness: { user: { name, color: '#00aa00' }, cursor },
    });
    editors.push(e);
    await e.synced;
    return e;
  }

  const datasource = () =>
    h.createDatasource(DS_ID, {
      jsonData: { podUrls: [hp.httpUrl] },
      secureJsonData: { apiKey: TEST_API_KEYS.acmeContent.key },
    });

  it('datasource: rooms, tree and history of a Hocuspocus document', async () => {
    const a = await editor('ann', 'Ann Example', { x: 0.3, y: 0.3 });
    a.doc.getMap('e2e').set('phase', 'one');
    const ds = await datasource();
    const q = await h.runQuery(
      ds.uid,
      [
        { refId: 'A', queryType: 'rooms' },
        { refId: 'B', queryType: 'history', room: ROOM },
      ],
      { range: { from: 'now-1h', to: 'now+1m' } }
    );
    const done = (ref: string) =>
      q.waitFor((e) => e.key?.endsWith(`-${ref}`) === true && e.state === 'Done', 15_000);
    const rooms = ofRef(await done('A'), 'A');
    expect(field(rooms, 'room')).toContain(ROOM);
    expect(field(rooms, 'pod')).toContain('hocuspocus-e2e');
    const hist = ofRef(await done('B'), 'B');
    expect(field(hist, 'bytes').length).toBeGreaterThan(0);
    await q.unsubscribe();

    const live = await h.runQuery(ds.uid, [{ refId: 'A', queryType: 'tree', room: ROOM }]);
    await live.waitFor((e) => e.frames.some((f) => field(f, 'path').includes('/e2e/phase')), 15_000);
    await live.unsubscribe();
  }, 60_000);

  it('presence panel: Hocuspocus editors appear as cursors with their names', async () => {
    await editor('bea', 'Bea Example', { x: 0.8, y: 0.2 });
    const ds = await datasource();
    const q = await h.runQuery(ds.uid, [{ refId: 'A', queryType: 'presence', room: ROOM }], {
      maxDataPoints: 1000,
    });
    const panel = await h.renderPanel('collabblocks-presence-panel', {
      width: 700,
      height: 360,
      state: 'Streaming',
      options: { staleSeconds: 0, staleUpdates: 0 },
    });
    stopFeed = await h.connectQueryToPanel(q, panel);
    await expect.poll(() => panel.locator.textContent(), { timeout: 20_000 }).toContain('Bea Example');
    const cursors = () =>
      h.page
        .getByTestId('presence-room-canvas')
        .last()
        .evaluate((el) => Number((el as HTMLElement).dataset.cursors ?? NaN));
    await expect.poll(cursors, { timeout: 15_000 }).toBeGreaterThanOrEqual(2);
    await panel.screenshot('presence-panel-hocuspocus');
    await stopFeed();
    stopFeed = null;
    await q.unsubscribe();
  }, 60_000);

  it('CRDT panel: the Hocuspocus document tree renders and updates live', async () => {
    const c = await editor('cid', 'Cid Example', { x: 0.5, y: 0.5 });
    c.doc.getMap('e2e').set('phase', 'two');
    const ds = await datasource();
    const q = await h.runQuery(ds.uid, [
      { refId: 'A', queryType: 'tree', room: ROOM },
      { refId: 'B', queryType: 'updates', room: ROOM },
    ]);
    const panel = await h.renderPanel('collabblocks-crdt-panel', {
      width: 1000,
      height: 460,
      state: 'Streaming',
      options: { expandDepth: 2 },
    });
    stopFeed = await h.connectQueryToPanel(q, panel);
    await expect.poll(() => rowText(h, '/e2e/phase'), { timeout: 20_000 }).toContain('two');
    c.doc.getMap('e2e').set('phase', 'three');
    await expect.poll(() => rowText(h, '/e2e/phase'), { timeout: 15_000 }).toContain('three');
    await panel.screenshot('crdt-panel-hocuspocus');
    await stopFeed();
    stopFeed = null;
    await q.unsubscribe();
  }, 60_000);
});
