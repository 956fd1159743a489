// E2E: the presence panel loaded from dist/module.js in the harness (run per leg: HARNESS_LEG).
// 1. Static frames: themes, cursors appear / move / leave (canvas pixel reads + data-* counters), heatmap fills.
// 2. Live: a real pod + the bot simulator + a stock client, read through the collab datasource and its backend (/api/ds/query, Grafana Live) (presence
//    query); its emissions are fed into the panel in the page, as Grafana's panel query runner does.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { type FrameJSON, type Harness, startHarness } from '@collabblocks/e2e-harness';

import { startPod, type PodProcess } from '../../collab-server/test/helpers/pod.js';
import { startSimulator, type SimProcess } from '../../collab-server/test/helpers/sim.js';
import { mintToken, TEST_API_KEYS } from '../../collab-server/test/helpers/jwt.js';
import { connectClient, type StockClient } from '../../collab-server/test/helpers/clients.js';
import { roomSlugs } from '../../collab-server/src/sim/names.js';

const PLUGIN_ID = 'collabblocks-presence-panel';
const DS_ID = 'collabblocks-collab-datasource';

interface U {
  user: string;
  label?: string;
  x: number | null;
  y: number | null;
  status?: string;
}

function presenceFrame(room: string, users: U[], scope: 'metadata' | 'content' = 'content'): FrameJSON {
  return {
    refId: 'A',
    name: 'presence',
    meta: { custom: { collabFrame: 'presence', room, pod: 'pod-a', ts: Date.now(), scope } },
    fields: [
      { name: 'room', type: 'string', values: users.map(() => room) },
      { name: 'clientId', type: 'number', values: users.map((_, i) => i + 1) },
      { name: 'user', type: 'string', values: users.map((u) => u.user) },
      { name: 'label', type: 'string', values: users.map((u) => u.label ?? u.user) },
      { name: 'x', type: 'number', values: users.map((u) => u.x) },
      { name: 'y', type: 'number', values: users.map((u) => u.y) },
      { name: 'status', type: 'string', values: users.map((u) => u.status ?? 'idle') },
      { name: 'lastSeen', type: 'time', values: users.map(() => Date.now()) },
      { name: 'updateCount', type: 'number', values: users.map(() => 1) },
    ],
  };
}

/** Reads data-* counters of the (last) room canvas wrapper. */
async function canvasAttrs(h: Harness): Promise<Record<string, string>> {
  return h.page
    .getByTestId('presence-room-canvas')
    .last()
    .evaluate((el) => ({ ...(el as HTMLElement).dataset }) as Record<string, string>);
}

/** RGBA of the canvas pixel at a CSS-pixel position (devicePixelRatio applied). */
async function pixel(h: Harness, x: number, y: number): Promise<number[]> {
  return h.page
    .getByTestId('presence-room-canvas')
    .last()
    .locator('canvas')
    .evaluate(
      (c, [px, py]) => {
        const canvas = c as HTMLCanvasElement;
        const ratio = canvas.width / canvas.clientWidth;
        const d = canvas
          .getContext('2d')
          ?.getImageData(Math.round(px! * ratio), Math.round(py! * ratio), 1, 1);
        return d ? Array.from(d.data) : [];
      },
      [x, y]
    );
}

const attr = async (h: Harness, name: string) => Number((await canvasAttrs(h))[name] ?? NaN);

describe(`presence panel (${process.env.HARNESS_LEG ?? 'grafana-12'})`, () => {
  let h: Harness;
  /** Stops the query → panel feed of a live test (see connectQueryToPanel). */
  let stopFeed: (() => Promise<void>) | null = null;

  beforeAll(async () => {
    h = await startHarness();
  });

  afterEach(async () => {
    await stopFeed?.();
    stopFeed = null;
    await h.reset();
    expect(h.takeConsoleErrors()).toEqual([]);
  });

  afterAll(async () => {
    await h?.close();
  });

  it('renders the themed empty state in dark and light with builder defaults', async () => {
    const backgrounds: string[] = [];
    for (const theme of ['dark', 'light'] as const) {
      const panel = await h.renderPanel(PLUGIN_ID, { theme, width: 480, height: 240 });
      const info = await panel.info();
      expect(info.options.gridSize).toBe(32);
      expect(info.options.staleUpdates).toBe(5);
      const root = h.page.getByTestId('collabblocks-presence-panel-root').last();
      await expect.poll(() => root.textContent()).toBe(info.options.emptyMessage);
      backgrounds.push(await root.evaluate((el) => getComputedStyle(el).backgroundColor));
    }
    expect(backgrounds[0]).not.toBe(backgrounds[1]);
  });

  it('cursors appear, move and leave on the canvas; the heatmap fills; themes and labels', async () => {
    const W = 640;
    const H = 320;
    const listW = Math.min(260, Math.floor(W * 0.35));
    const cw = W - listW;
    const ch = H - 32;
    const room = 'acme/static-doc';
    const users: U[] = [
      { user: 'anon-a1', label: 'Ada Example', x: 0.25, y: 0.5, status: 'editing' },
      { user: 'anon-b2', label: 'Bob Example', x: 0.75, y: 0.25, status: 'idle' },
      { user: 'anon-c3', label: 'Cy Example', x: 0.5, y: 0.8, status: 'away' },
    ];
    for (const theme of ['dark', 'light'] as const) {
      const panel = await h.renderPanel(PLUGIN_ID, {
        theme,
        width: W,
        height: H,
        state: 'Streaming',
        frames: [presenceFrame(room, users)],
        options: { halfLifeSec: 600, showLabels: true },
      });
      await expect.poll(() => attr(h, 'cursors')).toBe(3);
      // Feed a few updates so the heatmap builds up where the cursors are.
      for (let i = 0; i < 4; i++) {
        users[0]!.x = 0.25 + i * 0.001;
        await panel.update({ frames: [presenceFrame(room, users)] });
      }
      await expect.poll(() => attr(h, 'heatCells')).toBeGreaterThan(0);
      // The editing cursor's dot is drawn at its position; an empty area stays transparent.
      await expect.poll(async () => (await pixel(h, 0.25 * cw, 0.5 * ch))[3]).toBeGreaterThan(200);
      expect((await pixel(h, 0.05 * cw, 0.05 * ch))[3]).toBe(0);
      // Heat under (and around) the idle cursor: a pixel 7 px beside it, outside the dot, is painted.
      await expect.poll(async () => (await pixel(h, 0.75 * cw + 7, 0.25 * ch))[3]).toBeGreaterThan(0);
      await expect.poll(() => h.page.getByTestId('presence-user-row').count()).toBe(3);
      expect(await panel.locator.textContent()).toContain('Ada Example');
      await panel.screenshot(`presence-panel-${theme}`);
      await h.reset();
    }

    // Move: the cursor leaves its old position (only faint heat stays) and is drawn at the new one.
    const panel = await h.renderPanel(PLUGIN_ID, {
      width: W,
      height: H,
      frames: [presenceFrame(room, users)],
      options: { halfLifeSec: 1, showLabels: false, showUserList: true },
    });
    await expect.poll(() => attr(h, 'cursors')).toBe(3);
    const before = await pixel(h, 0.25 * cw, 0.5 * ch);
    expect(before[3]).toBeGreaterThan(200);
    users[0]!.x = 0.1;
    users[0]!.y = 0.1;
    await panel.update({ frames: [presenceFrame(room, users)] });
    await expect
      .poll(async () => (await pixel(h, 0.1 * cw, 0.1 * ch))[3], { timeout: 5000 })
      .toBeGreaterThan(200);
    // With a 1 s half-life the old spot's heat fades to nothing.
    await expect.poll(async () => (await pixel(h, 0.25 * cw, 0.5 * ch))[3], { timeout: 15_000 }).toBe(0);
    // Leave: two users go, one cursor remains; the list follows.
    await panel.update({ frames: [presenceFrame(room, users.slice(1, 2))] });
    await expect.poll(() => attr(h, 'cursors')).toBe(1);
    await expect.poll(() => h.page.getByTestId('presence-user-row').count()).toBe(1);
    // Nobody left: empty state.
    await panel.update({ frames: [presenceFrame(room, [])] });
    await expect
      .poll(() => h.page.getByTestId('collabblocks-presence-panel-root').last().getAttribute('data-users'))
      .toBe('0');
  });

  it('document view: carets at their blocks in the colours the editors publish; canvas fitted to page coordinates', async () => {
    // Frames as the datasource builds them for real bindings (revision-2 PRESENCE_FIELDS): TipTap carets
    // resolved to blocks of a 40-block ProseMirror document, and tldraw pointers in page coordinates.
    const room = 'acme/tiptap-doc';
    const carets = [
      { user: 'anon-a1', label: 'Ada', color: '#e5484d', block: 2, nodeName: 'heading', selection: 0 },
      { user: 'anon-b2', label: 'Bo', color: '#30a46c', block: 5, nodeName: 'paragraph', selection: 6 },
      { user: 'anon-c3', label: 'Cy', color: '#0090ff', block: 31, nodeName: 'listItem', selection: 0 },
    ];
    const docFrame = (): FrameJSON => ({
      refId: 'A',
      name: 'presence',
      meta: { custom: { collabFrame: 'presence', room, pod: 'pod-a', ts: Date.now(), scope: 'content' } },
      fields: [
        { name: 'room', type: 'string', values: carets.map(() => room) },
        { name: 'clientId', type: 'number', values: carets.map((_, i) => i + 1) },
        { name: 'user', type: 'string', values: carets.map((u) => u.user) },
        { name: 'label', type: 'string', values: carets.map((u) => u.label) },
        { name: 'color', type: 'string', values: carets.map((u) => u.color) },
        { name: 'x', type: 'number', values: carets.map(() => null) },
        { name: 'y', type: 'number', values: carets.map(() => null) },
        { name: 'status', type: 'string', values: carets.map(() => 'editing') },
        { name: 'lastSeen', type: 'time', values: carets.map(() => Date.now()) },
        { name: 'updateCount', type: 'number', values: carets.map(() => 1) },
        { name: 'binding', type: 'string', values: carets.map(() => 'yjs-cursor') },
        { name: 'locState', type: 'string', values: carets.map(() => 'resolved') },
        { name: 'root', type: 'string', values: carets.map(() => 'default') },
        { name: 'block', type: 'number', values: carets.map((u) => u.block) },
        { name: 'blocks', type: 'number', values: carets.map(() => 40) },
        { name: 'nodeName', type: 'string', values: carets.map((u) => u.nodeName) },
        { name: 'selection', type: 'number', values: carets.map((u) => u.selection) },
        { name: 'lastActive', type: 'time', values: carets.map(() => Date.now()) },
      ],
    });
    const W = 640;
    const H = 320;
    for (const theme of ['dark', 'light'] as const) {
      const panel = await h.renderPanel(PLUGIN_ID, {
        theme,
        width: W,
        height: H,
        state: 'Streaming',
        frames: [docFrame()],
        options: { halfLifeSec: 600, showLabels: true },
      });
      await expect.poll(() => attr(h, 'cursors')).toBe(3);
      const a = await canvasAttrs(h);
      expect(a.view).toBe('document');
      expect(a.blocks).toBe('40');
      expect(a.root).toBe('default');
      // The accessible name says who is where.
      const label = await h.page.getByTestId('presence-canvas').last().getAttribute('aria-label');
      expect(label).toContain('Ada in block 3 (heading)');
      expect(label).toContain('Cy in block 32 (listItem)');
      // Ada's caret is drawn in her published colour (#e5484d) on the minimap row of block 3.
      const strip = {
        x: 14,
        w: Math.max(40, Math.min(220, Math.round((W - Math.min(260, Math.floor(W * 0.35))) * 0.3))),
      };
      const rowY = 6 + ((2 + 0.5) / 40) * (H - 32 - 12);
      await expect
        .poll(async () => {
          const p = await pixel(h, strip.x + strip.w + 6, rowY);
          return p[3]! > 200 && p[0]! > 150 && p[1]! < 140;
        })
        .toBe(true);
      // The user list shows the same colour as the caret.
      const swatch = h.page.locator('[data-testid="presence-user-row"][data-user="anon-a1"] span').first();
      expect(await swatch.evaluate((e) => getComputedStyle(e).backgroundColor)).toBe('rgb(229, 72, 77)');
      await panel.screenshot(`presence-panel-document-${theme}`);
      await h.reset();
    }

    // Canvas view: tldraw pointers in page coordinates are fitted, not clamped into a corner.
    const board = 'acme/tldraw-board';
    const pts = [
      { user: 'anon-t1', x: -340, y: 1200 },
      { user: 'anon-t2', x: 900, y: 1500 },
      { user: 'anon-t3', x: 2400, y: 300 },
    ];
    const boardFrame: FrameJSON = {
      refId: 'A',
      name: 'presence',
      meta: {
        custom: { collabFrame: 'presence', room: board, pod: 'pod-a', ts: Date.now(), scope: 'metadata' },
      },
      fields: [
        { name: 'room', type: 'string', values: pts.map(() => board) },
        { name: 'clientId', type: 'number', values: pts.map((_, i) => i + 1) },
        { name: 'user', type: 'string', values: pts.map((p) => p.user) },
        { name: 'label', type: 'string', values: pts.map((p) => p.user) },
        { name: 'x', type: 'number', values: pts.map((p) => p.x) },
        { name: 'y', type: 'number', values: pts.map((p) => p.y) },
        { name: 'space', type: 'string', values: pts.map(() => 'page') },
        { name: 'binding', type: 'string', values: pts.map(() => 'tldraw') },
        { name: 'status', type: 'string', values: pts.map(() => 'editing') },
        { name: 'lastSeen', type: 'time', values: pts.map(() => Date.now()) },
        { name: 'updateCount', type: 'number', values: pts.map(() => 1) },
      ],
    };
    for (const theme of ['dark', 'light'] as const) {
      const panel = await h.renderPanel(PLUGIN_ID, { theme, width: W, height: H, frames: [boardFrame] });
      await expect.poll(() => attr(h, 'cursors')).toBe(3);
      const a = await canvasAttrs(h);
      expect(a.view).toBe('canvas');
      expect(a.space).toBe('page');
      const [x0, x1, y0, y1] = (a.extent ?? '').split(',').map(Number);
      for (const p of pts) {
        expect(p.x).toBeGreaterThan(x0!);
        expect(p.x).toBeLessThan(x1!);
        expect(p.y).toBeGreaterThan(y0!);
        expect(p.y).toBeLessThan(y1!);
      }
      await panel.screenshot(`presence-panel-canvas-fit-${theme}`);
      await h.reset();
    }
  });

  it('metadata scope shows pseudonyms only; stale presences are flagged; small multiples per room', async () => {
    // Each call is a new emission of both rooms (new ts) with unchanged cursors.
    const frames = () => [
      presenceFrame('acme/one', [{ user: 'anon-x', label: 'Secret Name', x: 0.3, y: 0.3 }], 'metadata'),
      presenceFrame('acme/two', [{ user: 'anon-y', x: 0.6, y: 0.6 }], 'metadata'),
    ];
    const panel = await h.renderPanel(PLUGIN_ID, {
      width: 700,
      height: 360,
      frames: frames(),
      options: { roomMode: 'multiples', staleUpdates: 2, showLabels: true },
    });
    await expect.poll(() => h.page.getByTestId('presence-room-canvas').count()).toBe(2);
    for (let i = 0; i < 2; i++) await panel.update({ frames: frames() });
    await expect
      .poll(() => h.page.locator('[data-testid="presence-user-row"][data-stale="true"]').count())
      .toBe(2);
    expect(await panel.locator.textContent()).not.toContain('Secret Name');
    // The merged user list names each user's room; each canvas is a named image.
    expect(
      await h.page.getByTestId('presence-user-row').evaluateAll((rows) => rows.map((r) => r.dataset.room))
    ).toEqual(['acme/one', 'acme/two']);
    const labels = () =>
      h.page
        .getByTestId('presence-canvas')
        .evaluateAll((cs) => cs.map((c) => `${c.getAttribute('role')}: ${c.getAttribute('aria-label')}`));
    await expect
      .poll(labels)
      .toEqual([
        expect.stringMatching(/^img: Presence in room acme\/one: 1 user \(1 stale\)/),
        expect.stringMatching(/^img: Presence in room acme\/two: 1 user \(1 stale\)/),
      ]);
    await panel.screenshot('presence-panel-multiples');
  });

  it('one busy room does not make another room stale (an unchanged frame is not an update)', async () => {
    const quiet = presenceFrame('acme/quiet', [{ user: 'anon-q', x: 0.4, y: 0.4 }], 'metadata');
    const busy = (i: number) =>
      presenceFrame('acme/busy', [{ user: 'anon-b', x: i / 10, y: 0.5 }], 'metadata');
    const panel = await h.renderPanel(PLUGIN_ID, {
      width: 700,
      height: 360,
      frames: [quiet, busy(0)],
      options: { roomMode: 'multiples', staleUpdates: 2, staleSeconds: 0 },
    });
    await expect.poll(() => h.page.getByTestId('presence-room-canvas').count()).toBe(2);
    // The quiet room's frame is re-delivered unchanged with every emission of the busy room.
    for (let i = 1; i <= 4; i++) await panel.update({ frames: [quiet, busy(i)] });
    await expect.poll(() => h.page.getByTestId('presence-user-row').count()).toBe(2);
    expect(await h.page.locator('[data-testid="presence-user-row"][data-stale="true"]').count()).toBe(0);
  });

  it('stops drawing while the document is hidden and resumes when visible', async () => {
    const room = 'acme/hidden-doc';
    const users: U[] = [{ user: 'anon-h', x: 0.5, y: 0.5, status: 'editing' }];
    const panel = await h.renderPanel(PLUGIN_ID, {
      width: 500,
      height: 260,
      frames: [presenceFrame(room, users)],
      options: { halfLifeSec: 5 },
    });
    await expect.poll(() => attr(h, 'frames')).toBeGreaterThan(0);
    const setHidden = (hidden: boolean) =>
      h.page.evaluate((v) => {
        Object.defineProperty(document, 'hidden', { configurable: true, get: () => v });
        document.dispatchEvent(new Event('visibilitychange'));
      }, hidden);
    await setHidden(true);
    await expect.poll(async () => (await canvasAttrs(h)).paused).toBe('true');
    const frozen = await attr(h, 'frames');
    for (let i = 0; i < 5; i++) {
      users[0]!.x = 0.1 + i * 0.1;
      await panel.update({ frames: [presenceFrame(room, users)] });
    }
    await new Promise((r) => setTimeout(r, 500));
    expect(await attr(h, 'frames')).toBe(frozen);
    await setHidden(false);
    await expect.poll(async () => (await canvasAttrs(h)).paused).toBe('false');
    await expect.poll(() => attr(h, 'frames')).toBeGreaterThan(frozen);
  });

  describe('live: real pod, simulator and the collab datasource', () => {
    let pod: PodProcess | null = null;
    let sim: SimProcess | null = null;
    let leaver: StockClient | null = null;
    const SIM_ROOM = `acme/${roomSlugs(1)[0]!}`;

    beforeAll(async () => {
      pod = await startPod();
      sim = startSimulator({
        urls: [pod.wsUrl],
        rooms: 1,
        clients: 5,
        rate: 5,
        extraArgs: ['--presence-interval', '200'],
      });
    });

    afterAll(async () => {
      leaver?.destroy();
      await sim?.stop();
      await pod?.cleanup();
    });

    it(
      'bots and a stock client appear as cursors, move, fill the heatmap, and a client that leaves disappears',
      { timeout: 120_000 },
      async () => {
        leaver = connectClient(
          pod!.wsUrl,
          SIM_ROOM,
          await mintToken({ org: 'acme', sub: 'leaver', name: 'Leaver Example' }),
          { awareness: { user: { name: 'Leaver Example', color: '#00ff00' }, cursor: { x: 0.95, y: 0.05 } } }
        );
        await leaver.synced;
        const ds = await h.createDatasource(DS_ID, {
          jsonData: { podUrls: [pod!.httpUrl] },
          secureJsonData: { apiKey: TEST_API_KEYS.acmeContent.key },
        });
        const q = await h.runQuery(ds.uid, [{ refId: 'A', queryType: 'presence', room: SIM_ROOM }], {
          maxDataPoints: 1000,
        });
        const panel = await h.renderPanel(PLUGIN_ID, {
          width: 700,
          height: 360,
          state: 'Streaming',
          options: { halfLifeSec: 120, staleSeconds: 0, staleUpdates: 0 },
        });
        stopFeed = await h.connectQueryToPanel(q, panel);
        // Cursors appear: 5 bots (some may be away without a cursor? they keep theirs) + the stock client.
        await expect
          .poll(() => attr(h, 'cursors'), { timeout: 30_000, message: sim?.output() })
          .toBeGreaterThanOrEqual(4);
        await expect.poll(() => panel.locator.textContent(), { timeout: 15_000 }).toContain('Leaver Example');
        // They move: the canvas changes between two reads, and the heatmap fills.
        const snap = () =>
          h.page
            .getByTestId('presence-room-canvas')
            .last()
            .locator('canvas')
            .evaluate((c) => (c as HTMLCanvasElement).toDataURL());
        const first = await snap();
        await expect.poll(snap, { timeout: 15_000 }).not.toBe(first);
        await expect.poll(() => attr(h, 'heatCells'), { timeout: 15_000 }).toBeGreaterThan(2);
        await expect.poll(() => attr(h, 'heatTotal'), { timeout: 15_000 }).toBeGreaterThan(20);
        const withLeaver = await attr(h, 'cursors');
        await panel.screenshot('presence-panel-live');
        // The stock client leaves: its cursor and its row go.
        leaver!.destroy();
        leaver = null;
        await expect
          .poll(() => panel.locator.textContent(), { timeout: 30_000 })
          .not.toContain('Leaver Example');
        await expect.poll(() => attr(h, 'cursors'), { timeout: 10_000 }).toBeLessThan(withLeaver);
        await stopFeed?.();
        stopFeed = null;
        await q.unsubscribe();
        // Through the plugin's backend and Grafana Live: the browser never opened a socket to the pod.
        expect(h.webSockets().filter((s) => !s.url.endsWith('/api/live/ws'))).toEqual([]);
        expect((await h.server.liveHub(DS_ID)).runStreamsStarted).toBeGreaterThan(0);
      }
    );
  });
});
