// E2E: the CRDT panel loaded from dist/module.js in the harness (run per leg: HARNESS_LEG).
// 1. Static frames (contract TREE_FIELDS / UPDATES_FIELDS): themes, virtualisation, keyboard, filter, flash,
//    update selection, time travel with diff, JSON export.
// 2. Live: a real pod + the bot simulator + a stock client, read through the collab datasource and its backend (/api/ds/query, Grafana Live) (tree and
//    updates streams pumped into the panel, history + historyTree one-shots): the tree updates live, and
//    time travel to an instant shows the value the clients had then.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { type FrameJSON, type Harness, type PanelHandle, startHarness } from '@collabblocks/e2e-harness';

import { startPod, type PodProcess } from '../../collab-server/test/helpers/pod.js';
import { startSimulator, type SimProcess } from '../../collab-server/test/helpers/sim.js';
import { mintToken, TEST_API_KEYS } from '../../collab-server/test/helpers/jwt.js';
import { connectClient, type StockClient } from '../../collab-server/test/helpers/clients.js';
import { roomSlugs } from '../../collab-server/src/sim/names.js';

const PLUGIN_ID = 'collabblocks-crdt-panel';
const DS_ID = 'collabblocks-collab-datasource';

interface N {
  path: string;
  type: string;
  value?: string;
  valueType?: string;
  lastClient?: number;
  lastClock?: number;
  /** Revision-2 columns (XML node names, attributes and formatting runs as JSON). */
  nodeName?: string;
  attrs?: string;
  runs?: string;
  binding?: string;
}

/** A tree frame per the contract, from a node list (parent, depth, key derived from the path). */
function treeFrame(nodes: N[], ts: number, kind: 'tree' | 'historyTree' = 'tree'): FrameJSON {
  const parent = (p: string) => p.slice(0, p.lastIndexOf('/'));
  const kids = (p: string) => nodes.filter((n) => parent(n.path) === p).length;
  return {
    refId: kind === 'tree' ? 'A' : 'H',
    name: kind,
    meta: {
      custom: {
        collabFrame: kind,
        room: 'acme/static',
        pod: 'pod-a',
        ts,
        complete: true,
        total: nodes.length,
        truncated: false,
        scope: 'content',
      },
    },
    fields: [
      { name: 'path', type: 'string', values: nodes.map((n) => n.path) },
      { name: 'parentPath', type: 'string', values: nodes.map((n) => parent(n.path)) },
      { name: 'depth', type: 'number', values: nodes.map((n) => n.path.split('/').length - 2) },
      { name: 'key', type: 'string', values: nodes.map((n) => n.path.slice(n.path.lastIndexOf('/') + 1)) },
      { name: 'type', type: 'string', values: nodes.map((n) => n.type) },
      { name: 'size', type: 'number', values: nodes.map((n) => n.value?.length ?? 0) },
      { name: 'itemCount', type: 'number', values: nodes.map((n) => kids(n.path)) },
      { name: 'deleted', type: 'number', values: nodes.map(() => 0) },
      { name: 'children', type: 'number', values: nodes.map((n) => kids(n.path)) },
      { name: 'lastClient', type: 'number', values: nodes.map((n) => n.lastClient ?? null) },
      { name: 'lastClock', type: 'number', values: nodes.map((n) => n.lastClock ?? null) },
      { name: 'lastTime', type: 'time', values: nodes.map(() => null) },
      { name: 'valueType', type: 'string', values: nodes.map((n) => n.valueType ?? '') },
      { name: 'nodeName', type: 'string', values: nodes.map((n) => n.nodeName ?? '') },
      { name: 'value', type: 'string', values: nodes.map((n) => n.value ?? '') },
      { name: 'attrs', type: 'string', values: nodes.map((n) => n.attrs ?? '') },
      { name: 'runs', type: 'string', values: nodes.map((n) => n.runs ?? '') },
      { name: 'binding', type: 'string', values: nodes.map((n) => n.binding ?? '') },
    ],
  };
}

function updatesFrame(rows: Array<{ ts: number; id: string; paths: string[]; clientId: number }>): FrameJSON {
  return {
    refId: 'U',
    name: 'updates',
    meta: { type: 'log-lines', custom: { collabFrame: 'updates', room: 'acme/static' } },
    fields: [
      { name: 'timestamp', type: 'time', values: rows.map((r) => r.ts) },
      { name: 'body', type: 'string', values: rows.map((r) => `client update ${r.id}`) },
      { name: 'id', type: 'string', values: rows.map((r) => r.id) },
      { name: 'seq', type: 'number', values: rows.map((_, i) => i + 1) },
      { name: 'clientId', type: 'number', values: rows.map((r) => r.clientId) },
      { name: 'user', type: 'string', values: rows.map(() => '') },
      { name: 'origin', type: 'string', values: rows.map(() => 'client') },
      { name: 'bytes', type: 'number', values: rows.map(() => 12) },
      { name: 'inserted', type: 'number', values: rows.map(() => 1) },
      { name: 'deleted', type: 'number', values: rows.map(() => 0) },
      { name: 'paths', type: 'string', values: rows.map((r) => JSON.stringify(r.paths)) },
    ],
  };
}

const doc = (title: string, extra: N[] = []): N[] => [
  { path: '/doc', type: 'Map' },
  { path: '/doc/title', type: 'Text', value: title, valueType: 'string', lastClient: 42, lastClock: 7 },
  ...extra,
  { path: '/doc/tasks', type: 'Array' },
  ...Array.from({ length: 300 }, (_, i) => ({ path: `/doc/tasks/${i}`, type: 'Map' })),
];

/** Sets a React-controlled range input the way a user drag would (value + input event). */
async function travelTo(h: Harness, t: number): Promise<void> {
  await h.page
    .getByTestId('crdt-timeline-slider')
    .last()
    .evaluate((el, v) => {
      const input = el as HTMLInputElement;
      const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')?.set;
      setter?.call(input, String(v));
      input.dispatchEvent(new Event('input', { bubbles: true }));
    }, t);
}

const rowText = (h: Harness, p: string) =>
  h.page
    .locator(`[role="treeitem"][data-path="${p}"]`)
    .last()
    .textContent({ timeout: 2000 })
    .catch(() => null);

describe(`crdt panel (${process.env.HARNESS_LEG ?? 'grafana-12'})`, () => {
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

  it('a TipTap document reads as itself: node names, attributes, marks; the filter finds node names', async () => {
    const runs = JSON.stringify([
      { length: 6, marks: ['bold'], text: 'Hello ' },
      {
        length: 5,
        marks: ['italic', 'link'],
        text: 'world',
        values: { link: { href: 'https://example.org' } },
      },
    ]);
    const nodes: N[] = [
      { path: '/default', type: 'XmlFragment', binding: 'tiptap' },
      { path: '/default/0', type: 'XmlElement', nodeName: 'heading', attrs: '{"level":2}' },
      { path: '/default/0/0', type: 'XmlText', value: 'Hello world', runs },
      { path: '/default/1', type: 'XmlElement', nodeName: 'bulletList' },
      { path: '/default/1/0', type: 'XmlElement', nodeName: 'listItem' },
      { path: '/default/1/0/0', type: 'XmlElement', nodeName: 'paragraph' },
    ];
    for (const theme of ['dark', 'light'] as const) {
      const panel = await h.renderPanel(PLUGIN_ID, {
        theme,
        width: 720,
        height: 360,
        frames: [treeFrame(nodes, 1000)],
        options: { expandDepth: 6 },
      });
      await expect.poll(() => rowText(h, '/default/0')).toContain('<heading level=2>');
      expect(await rowText(h, '/default')).toContain('tiptap document');
      const spans = h.page.locator('[data-path="/default/0/0"] [data-testid="crdt-runs"] > span');
      await expect.poll(() => spans.count()).toBe(2);
      expect(await spans.nth(0).evaluate((e) => getComputedStyle(e).fontWeight)).toBe('700');
      expect(await spans.nth(1).evaluate((e) => getComputedStyle(e).fontStyle)).toBe('italic');
      await panel.screenshot(`crdt-panel-tiptap-${theme}`);
      await h.reset();
    }
    const last = await h.renderPanel(PLUGIN_ID, {
      width: 720,
      height: 360,
      frames: [treeFrame(nodes, 1000)],
    });
    await last.locator
      .getByTestId('crdt-search')
      .locator('input')
      .or(last.locator.getByTestId('crdt-search'))
      .first()
      .fill('listItem');
    await expect.poll(() => h.page.getByTestId('crdt-summary').textContent()).toContain('1 match');
    expect(await rowText(h, '/default/1/0')).toContain('<listItem>');
  });

  it('renders the themed empty state in dark and light with builder defaults', async () => {
    const backgrounds: string[] = [];
    for (const theme of ['dark', 'light'] as const) {
      const panel = await h.renderPanel(PLUGIN_ID, { theme, width: 480, height: 240 });
      const info = await panel.info();
      expect(info.options).toMatchObject({ expandDepth: 1, showValues: true });
      const root = h.page.getByTestId('collabblocks-crdt-panel-root').last();
      await expect.poll(() => root.textContent()).toBe(info.options.emptyMessage);
      backgrounds.push(await root.evaluate((el) => getComputedStyle(el).backgroundColor));
      await panel.unmount();
    }
    expect(backgrounds[0]).not.toBe(backgrounds[1]);
  });

  it('static frames: virtualised tree in both themes, keyboard, filter, flash, update highlight, time travel + diff, export', async () => {
    const t0 = Date.parse('2026-01-01T10:00:00Z');
    const range = { from: t0 - 60_000, to: t0 + 60_000 };
    const panels: PanelHandle[] = [];
    const backgrounds: string[] = [];
    for (const theme of ['dark', 'light'] as const) {
      const panel = await h.renderPanel(PLUGIN_ID, {
        theme,
        width: 900,
        height: 420,
        timeRange: range,
        state: 'Streaming',
        frames: [treeFrame(doc('Hello'), t0)],
        options: { expandDepth: 2 },
      });
      panels.push(panel);
      const root = panel.locator.getByTestId('collabblocks-crdt-panel-root');
      await expect.poll(() => root.getAttribute('data-nodes')).toBe('303');
      // 303 rows in the model, only the visible window in the DOM.
      expect(await panel.locator.getByTestId('crdt-tree').getAttribute('data-rows')).toBe('303');
      const inDom = await panel.locator.locator('[role="treeitem"]').count();
      expect(inDom).toBeGreaterThan(5);
      expect(inDom).toBeLessThan(40);
      backgrounds.push(await root.evaluate((el) => getComputedStyle(el).backgroundColor));
      await panel.screenshot(`crdt-panel-static-${theme}`);
      if (theme === 'dark') await panel.unmount();
    }
    expect(backgrounds[0]).not.toBe(backgrounds[1]);
    const panel = panels[1]!;
    const tree = panel.locator.getByTestId('crdt-tree');

    // Keyboard: End jumps to the last row (scrolled into view), Home back, ArrowLeft collapses.
    await tree.focus();
    await h.page.keyboard.press('End');
    await expect.poll(() => rowText(h, '/doc/tasks/299')).toContain('[299]');
    await h.page.keyboard.press('Home');
    await expect
      .poll(() => panel.locator.locator('[aria-selected="true"]').getAttribute('data-path'))
      .toBe('/doc');
    await h.page.keyboard.press('ArrowLeft');
    await expect.poll(() => tree.getAttribute('data-rows')).toBe('1');
    await h.page.keyboard.press('Enter');
    await expect.poll(() => tree.getAttribute('data-rows')).toBe('303');

    // Filter by path.
    const search = panel.locator
      .getByTestId('crdt-search')
      .locator('input')
      .or(panel.locator.getByTestId('crdt-search'));
    await search.first().fill('tasks/12');
    await expect.poll(() => panel.locator.getByTestId('crdt-summary').textContent()).toContain('11 matches');
    await search.first().fill('');

    // Live: a new emission changes the title and adds a node → they flash; the updates list shows the update.
    await panel.update({
      frames: [
        treeFrame(
          doc('Hello world', [{ path: '/doc/author', type: 'value', value: 'bot', valueType: 'string' }]),
          t0 + 10_000
        ),
        updatesFrame([{ ts: t0 + 10_000, id: 'u1', paths: ['/doc/title', '/doc/author'], clientId: 42 }]),
      ],
    });
    await expect.poll(() => rowText(h, '/doc/title')).toContain('Hello world');
    const flashing = await panel.locator
      .locator('[data-flash="true"]')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-path')));
    expect(flashing).toEqual(expect.arrayContaining(['/doc/title', '/doc/author']));
    await panel.locator.locator('[data-update-id="u1"]').click();
    await expect
      .poll(() =>
        panel.locator
          .locator('[data-highlight="exact"]')
          .evaluateAll((els) => els.map((e) => e.getAttribute('data-path')))
      )
      .toEqual(expect.arrayContaining(['/doc/title', '/doc/author']));

    // Time travel: back to t0 + 5 s shows the first state; compare from there, go live: the diff.
    await travelTo(h, t0 + 5_000);
    await expect.poll(() => rowText(h, '/doc/title')).toContain('"Hello"');
    expect(await panel.locator.getByTestId('collabblocks-crdt-panel-root').getAttribute('data-mode')).toBe(
      'travel'
    );
    await panel.locator.getByText('Compare from here').click();
    await panel.locator.getByRole('button', { name: 'Live' }).click();
    await expect.poll(() => rowText(h, '/doc/title')).toContain('Hello world');
    await expect
      .poll(() => panel.locator.getByTestId('crdt-summary').textContent())
      .toContain('diff +1 −0 ~2');
    expect(await panel.locator.locator('[data-path="/doc/author"]').getAttribute('data-diff')).toBe('added');
    await panel.screenshot('crdt-panel-diff');

    // JSON export of the selected subtree (a download).
    await panel.locator.locator('[role="treeitem"][data-path="/doc/title"]').click();
    await expect
      .poll(() => panel.locator.getByTestId('crdt-details').textContent())
      .toContain('client 42 clock 7');
    await panel.locator.getByRole('button', { name: 'Copy path' }).click();
    await expect.poll(() => panel.locator.getByTestId('crdt-copy-status').textContent()).toBe('Copied');
    const [download] = await Promise.all([
      h.page.waitForEvent('download'),
      panel.locator.getByRole('button', { name: 'Export JSON' }).click(),
    ]);
    const file = path.join(os.tmpdir(), `crdt-export-${process.pid}-${Date.now()}.json`);
    await download.saveAs(file);
    try {
      expect(download.suggestedFilename()).toBe('acme_static_doc_title.json');
      expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toBe('Hello world');
    } finally {
      fs.rmSync(file, { force: true });
    }
  });

  it('narrow panel: toolbar copy/export, side pane behind a toggle, column header, slider keys step updates', async () => {
    const t0 = Date.parse('2026-01-01T10:00:00Z');
    const panel = await h.renderPanel(PLUGIN_ID, {
      width: 420,
      height: 360,
      timeRange: { from: t0 - 60_000, to: t0 + 60_000 },
      timeZone: 'Asia/Tokyo',
      state: 'Streaming',
      frames: [treeFrame(doc('one'), t0)],
      options: { expandDepth: 2 },
    });
    await expect.poll(() => rowText(h, '/doc/title')).toContain('"one"');
    await panel.update({
      frames: [
        treeFrame(doc('two'), t0 + 10_000),
        updatesFrame([{ ts: t0 + 10_000, id: 'u1', paths: ['/doc/title'], clientId: 42 }]),
      ],
    });
    await expect.poll(() => rowText(h, '/doc/title')).toContain('"two"');
    // Columns keep a header (the last change column goes at this width).
    expect(await panel.locator.getByTestId('crdt-tree-header').textContent()).toBe('NodeSizeItemsTomb.');
    const row = panel.locator.locator('[role="treeitem"][data-path="/doc/title"]');
    expect(await row.getAttribute('aria-posinset')).toBe('1');
    expect(await row.getAttribute('aria-setsize')).toBe('2');
    // No side pane at this width until the toggle; it opens over the tree.
    expect(await panel.locator.getByTestId('crdt-side').count()).toBe(0);
    await panel.locator.getByTestId('crdt-side-toggle').click();
    await expect.poll(() => panel.locator.getByTestId('crdt-updates').getAttribute('data-count')).toBe('1');
    // The dashboard's time zone (Tokyo, UTC+9).
    expect(await panel.locator.getByTestId('crdt-updates').textContent()).toContain('19:00:10.000');
    await panel.locator.getByTestId('crdt-side-toggle').click();
    await row.click();
    await panel.locator.getByRole('button', { name: 'Copy path' }).click();
    await expect.poll(() => panel.locator.getByTestId('crdt-copy-status').textContent()).toBe('Copied');
    await expect(panel.locator.getByRole('button', { name: 'Export JSON' }).isEnabled()).resolves.toBe(true);
    // Arrow keys on the slider step between known instants.
    const slider = panel.locator.getByTestId('crdt-timeline-slider');
    await slider.focus();
    await h.page.keyboard.press('ArrowLeft');
    await expect.poll(() => slider.getAttribute('aria-valuetext')).toContain('2026-01-01 19:00:10.000');
    await h.page.keyboard.press('ArrowLeft');
    await expect.poll(() => rowText(h, '/doc/title')).toContain('"one"');
    expect(await slider.getAttribute('aria-valuetext')).toContain('2026-01-01 19:00:00.000, step 1 of 2');
    await h.page.keyboard.press('End');
    await expect.poll(() => rowText(h, '/doc/title')).toContain('"two"');
    await panel.screenshot('crdt-panel-narrow');
  });

  describe('live: real pod, simulator and the collab datasource', () => {
    let pod: PodProcess | null = null;
    let sim: SimProcess | null = null;
    let writer: StockClient | null = null;
    const ROOM = `acme/${roomSlugs(1)[0]!}`;

    beforeAll(async () => {
      pod = await startPod();
      sim = startSimulator({ urls: [pod.wsUrl], rooms: 1, clients: 3, rate: 3 });
    });

    afterAll(async () => {
      writer?.destroy();
      await sim?.stop();
      await pod?.cleanup();
    });

    it(
      'the tree renders and updates live; time travel to an instant shows the value the clients had then',
      { timeout: 120_000 },
      async () => {
        writer = connectClient(
          pod!.wsUrl,
          ROOM,
          await mintToken({ org: 'acme', sub: 'writer', name: 'Writer' })
        );
        await writer.synced;
        const map = writer.doc.getMap('e2e');
        map.set('phase', 'one');
        const ds = await h.createDatasource(DS_ID, {
          jsonData: { podUrls: [pod!.httpUrl] },
          secureJsonData: { apiKey: TEST_API_KEYS.acmeContent.key },
        });
        const start = Date.now();
        const q = await h.runQuery(
          ds.uid,
          [
            { refId: 'A', queryType: 'tree', room: ROOM },
            { refId: 'B', queryType: 'updates', room: ROOM },
          ],
          { maxDataPoints: 500 }
        );
        const panel = await h.renderPanel(PLUGIN_ID, {
          width: 1000,
          height: 460,
          state: 'Streaming',
          timeRange: { from: start - 60_000, to: start + 110_000 },
          options: { expandDepth: 1 },
        });
        stopFeed = await h.connectQueryToPanel(q, panel);
        // The tree renders: the simulator's root types and ours.
        await expect
          .poll(() => rowText(h, '/e2e/phase'), { timeout: 30_000, message: sim?.output() })
          .toContain('one');
        for (const p of ['/notes', '/tasks'])
          await expect.poll(() => rowText(h, p), { timeout: 15_000 }).not.toBeNull();
        // It updates live (the simulator keeps writing: node count or the values change) and updates list fills.
        await expect
          .poll(() => panel.locator.getByTestId('crdt-updates').getAttribute('data-count'), {
            timeout: 15_000,
          })
          .not.toBe('0');
        // Our writes: 'two' then 'three', each seen by the panel; T1 is an instant while 'two' was current.
        await h.page.waitForTimeout(300);
        map.set('phase', 'two');
        await expect.poll(() => rowText(h, '/e2e/phase'), { timeout: 15_000 }).toContain('two');
        // The node our write changed flashes (for flashMs after the emission that carried it).
        await expect
          .poll(() => panel.locator.locator('[data-path="/e2e/phase"]').getAttribute('data-flash'), {
            timeout: 1_000,
            interval: 50,
          })
          .toBe('true');
        await h.page.waitForTimeout(1000);
        const t1 = Date.now();
        const clientHadThen = map.get('phase');
        await h.page.waitForTimeout(1000);
        map.set('phase', 'three');
        await expect.poll(() => rowText(h, '/e2e/phase'), { timeout: 15_000 }).toContain('three');
        await panel.screenshot('crdt-panel-live');

        // Time travel in the live panel (states recorded from the stream): the value the client had at t1.
        await travelTo(h, t1);
        await expect
          .poll(() => rowText(h, '/e2e/phase'), { timeout: 5_000 })
          .toContain(`"${String(clientHadThen)}"`);
        expect(clientHadThen).toBe('two');
        await panel.locator.getByRole('button', { name: 'Live' }).click();
        await expect.poll(() => rowText(h, '/e2e/phase')).toContain('three');
        await stopFeed?.();
        stopFeed = null;
        await q.unsubscribe();
        // Through the plugin's backend and Grafana Live: the browser never opened a socket to the pod.
        expect(h.webSockets().filter((s) => !s.url.endsWith('/api/live/ws'))).toEqual([]);
        expect((await h.server.liveHub(DS_ID)).runStreamsStarted).toBeGreaterThan(0);

        // The pod's own reconstruction (historyTree at t1 + history over the range) in a fresh panel.
        const one = await h.runQuery(
          ds.uid,
          [
            { refId: 'H', queryType: 'historyTree', room: ROOM, at: String(t1) },
            { refId: 'L', queryType: 'history', room: ROOM },
          ],
          { range: { from: start - 60_000, to: Date.now() + 1000 } }
        );
        const doneH = await one.waitFor(
          (e) => e.state === 'Done' && e.frames.some((f) => f.refId === 'H'),
          15_000
        );
        const doneL = await one.waitFor(
          (e) => e.state === 'Done' && e.frames.some((f) => f.refId === 'L'),
          15_000
        );
        const frames = [
          ...doneH.frames.filter((f) => f.refId === 'H'),
          ...doneL.frames.filter((f) => f.refId === 'L'),
        ];
        await one.unsubscribe();
        await panel.unmount();
        const past = await h.renderPanel(PLUGIN_ID, {
          width: 1000,
          height: 460,
          timeRange: { from: start - 60_000, to: Date.now() + 1000 },
          frames,
        });
        await expect.poll(() => rowText(h, '/e2e/phase'), { timeout: 10_000 }).toContain('"two"');
        expect(
          Number(await past.locator.getByTestId('crdt-updates').getAttribute('data-count'))
        ).toBeGreaterThan(2);
        await past.screenshot('crdt-panel-history');
      }
    );
  });
});
