// E2E: both panels driven by real editor bindings, unchanged from npm (e2e/bindings: ProseMirror +
// y-prosemirror, CodeMirror 6 + y-codemirror.next, Quill + y-quill), in headless Chromium pages editing
// through the stock y-websocket provider on a real pod, while the harness (pretend-Grafana, run per leg:
// HARNESS_LEG) shows the presence panel and the CRDT panel fed by the collab datasource on that pod in
// metadata scope. For every binding:
// - the presence panel shows every user active and located at the block / line the editor itself reports
//   (read from the editor's own selection in its page), in the colour the editor publishes;
// - the CRDT panel shows the document's node names and marks;
// - the panels' DOM and the frames the datasource emitted never contain the typed text nor the users' names;
// - screenshots of both panels in dark and light theme (artifacts/screenshots/<leg>/bindings-*).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';

import { type Harness, type PanelHandle, type QueryHandle, startHarness } from '@collabblocks/e2e-harness';
import {
  startBindingPage,
  type BindingKind,
  type BindingPage,
  type EditorLocation,
} from '../bindings/src/index.js';

import { startPod, type PodProcess } from '../../collab-server/test/helpers/pod.js';
import { mintToken, TEST_API_KEYS } from '../../collab-server/test/helpers/jwt.js';

const PRESENCE_ID = 'collabblocks-presence-panel';
const CRDT_ID = 'collabblocks-crdt-panel';
const DS_ID = 'collabblocks-collab-datasource';

/** Typed in the editors; none may reach a metadata-scope panel or frame. */
const SECRET_WORDS = ['Zanzibar', 'Quokka', 'Marmalade', 'Pangolin', 'Xylophone', 'Ocelot', 'Tamarind'];
/** The editors' user names: metadata scope shows pseudonyms only. */
const NAMES = ['Adaline', 'Bohdan'];
const COLORS = ['#e03131', '#1971c2'];

/** `#rrggbb` → the `rgb(r, g, b)` getComputedStyle reports. */
function rgb(hex: string): string {
  const n = parseInt(hex.slice(1), 16);
  return `rgb(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255})`;
}

describe(`panels driven by real editor bindings (${process.env.HARNESS_LEG ?? 'grafana-12'})`, () => {
  let h: Harness;
  let pod: PodProcess;
  let browser: Browser;
  let pages: BindingPage[] = [];
  const queries: QueryHandle[] = [];
  const stops: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    h = await startHarness({ recordWebSocketFrames: true });
    // A Viewer: the datasource reads the pods in metadata scope (structure, pseudonyms, no text).
    await h.setUserRole('Viewer');
    pod = await startPod();
    const b = h.page.context().browser();
    if (!b) throw new Error('the harness page has no browser to open editor pages in');
    browser = b;
  });

  afterEach(async () => {
    for (const stop of stops.splice(0)) await stop();
    for (const q of queries.splice(0)) await q.unsubscribe().catch(() => undefined);
    for (const p of pages) await p.close().catch(() => undefined);
    pages = [];
    await h.reset();
    expect(h.takeConsoleErrors()).toEqual([]);
  });

  afterAll(async () => {
    await h?.close();
    await pod?.stop();
    await pod?.cleanup();
  });

  async function open(kind: BindingKind, room: string, i: number): Promise<BindingPage> {
    const name = NAMES[i]!;
    const token = await mintToken({ org: 'acme', sub: `user-${name}`, name });
    const p = await startBindingPage(browser, { kind, url: pod.wsUrl, room, token, name, color: COLORS[i]! });
    pages.push(p);
    return p;
  }

  /** Both panels on `room` in `theme`, fed by the collab datasource (metadata scope) like Grafana feeds them. */
  async function showPanels(
    room: string,
    theme: 'dark' | 'light'
  ): Promise<{ presence: PanelHandle; crdt: PanelHandle; presenceQ: QueryHandle; crdtQ: QueryHandle }> {
    const ds = await h.createDatasource(DS_ID, {
      jsonData: { podUrls: [pod.httpUrl], tokenUrl: pod.httpUrl },
      secureJsonData: { apiKey: TEST_API_KEYS.acmeContent.key },
    });
    // The presence panel reads the tree too (block names and sizes in the document view's minimap) and the
    // updates (edit heat: where edits land).
    const presenceQ = await h.runQuery(
      ds.uid,
      [
        { refId: 'A', queryType: 'presence', room },
        { refId: 'T', queryType: 'tree', room },
        { refId: 'U', queryType: 'updates', room },
      ],
      { maxDataPoints: 1000 }
    );
    // The CRDT panel reads presence too: each writer in the colour their editor publishes.
    const crdtQ = await h.runQuery(
      ds.uid,
      [
        { refId: 'A', queryType: 'tree', room },
        { refId: 'B', queryType: 'updates', room },
        { refId: 'P', queryType: 'presence', room },
      ],
      { maxDataPoints: 500 }
    );
    queries.push(presenceQ, crdtQ);
    const now = Date.now();
    const presence = await h.renderPanel(PRESENCE_ID, {
      theme,
      width: 720,
      height: 320,
      state: 'Streaming',
      options: { halfLifeSec: 600, showLabels: true, showUserList: true },
    });
    stops.push(await h.connectQueryToPanel(presenceQ, presence));
    const crdt = await h.renderPanel(CRDT_ID, {
      theme,
      width: 900,
      height: 420,
      state: 'Streaming',
      timeRange: { from: now - 5 * 60_000, to: now + 5 * 60_000 },
      options: { expandDepth: 6 },
    });
    stops.push(await h.connectQueryToPanel(crdtQ, crdt));
    return { presence, crdt, presenceQ, crdtQ };
  }

  /**
   * The presence panel shows `p`'s user located where the editor itself says its caret is (block, line,
   * node name), active (not stale, not away), in the colour the editor publishes.
   */
  async function shownWhereTheEditorSays(presence: PanelHandle, p: BindingPage, i: number): Promise<void> {
    const row = presence.locator.locator(`[data-testid="presence-user-row"][data-client="${p.clientId}"]`);
    let editor: EditorLocation | undefined;
    let shown: Record<string, string> | undefined;
    const matches = async (): Promise<boolean> => {
      editor = await p.location();
      shown = await row
        .evaluate((el) => {
          const d = (el as HTMLElement).dataset;
          const where = el.querySelector('[data-testid="presence-user-where"]')?.textContent ?? '';
          return { ...d, where } as Record<string, string>;
        }, undefined)
        .catch(() => undefined);
      if (!shown) return false;
      if (shown.block !== String(editor.block)) return false;
      if (editor.line !== undefined && shown.line !== String(editor.line)) return false;
      if (editor.line !== undefined && !shown.where?.includes(`L${editor.line}:${editor.column}`))
        return false;
      if (editor.nodeName !== undefined && !shown.where?.startsWith(editor.nodeName)) return false;
      if (editor.selection > 0 && !shown.where?.includes(`(${editor.selection} sel)`)) return false;
      return shown.stale === 'false' && shown.status !== 'away';
    };
    const deadline = Date.now() + 20_000;
    while (!(await matches())) {
      if (Date.now() > deadline) {
        const list = await presence.locator
          .getByTestId('presence-user-list')
          .evaluate((el) => el.outerHTML)
          .catch(() => '');
        throw new Error(
          `${p.kind} user ${i} not shown where the editor says: ${JSON.stringify({ editor, shown })}\n${list}`
        );
      }
      await h.page.waitForTimeout(100);
    }
    const swatch = row.locator('span').first();
    expect(await swatch.evaluate((e) => getComputedStyle(e).backgroundColor)).toBe(rgb(COLORS[i]!));
  }

  /** `writer` edits; the CRDT panel lists the update in the colour the writer's editor publishes. */
  async function updateInWritersColour(crdt: PanelHandle, writer: BindingPage, i: number): Promise<void> {
    await writer.type('x');
    const swatches = crdt.locator.getByTestId('crdt-update-swatch');
    await expect.poll(() => swatches.count(), { timeout: 20_000 }).toBeGreaterThan(0);
    // Newest first: the writer's update on top, in the writer's colour; any other row in its own editor's.
    const colours = await swatches.evaluateAll((els) => els.map((e) => getComputedStyle(e).backgroundColor));
    expect(colours[0]).toBe(rgb(COLORS[i]!));
    for (const c of colours) expect(COLORS.map(rgb)).toContain(c);
  }

  /** Text of every tree row the CRDT panel shows. */
  const treeRows = (crdt: PanelHandle): Promise<string[]> =>
    crdt.locator.locator('[role="treeitem"]').evaluateAll((rows) => rows.map((r) => r.textContent ?? ''));

  /** Neither panel's DOM (text and attributes) nor any frame the datasource emitted holds typed text or names. */
  async function nothingTyped(
    panels: PanelHandle[],
    queryHandles: QueryHandle[],
    editors: BindingPage[]
  ): Promise<void> {
    // The words were typed (the editor has them), so their absence below means something.
    const typed = await editors[0]!.text();
    expect(SECRET_WORDS.filter((w) => typed.includes(w)).length).toBeGreaterThanOrEqual(3);
    const forbidden = [...SECRET_WORDS, ...NAMES];
    for (const panel of panels) {
      const html = await panel.locator.evaluate((el) => el.outerHTML);
      for (const w of forbidden) expect(html).not.toContain(w);
    }
    for (const q of queryHandles) {
      const frames = JSON.stringify((await q.emissions()).map((e) => e.frames));
      expect(frames.length).toBeGreaterThan(100);
      for (const w of forbidden) expect(frames).not.toContain(w);
    }
    // What any pod sent the page, before the plugins parsed anything.
    const wire = h
      .webSocketFrames({ direction: 'received' })
      .map((f) => f.payload)
      .join('\n');
    for (const w of forbidden) expect(wire).not.toContain(w);
  }

  async function screenshots(
    kind: BindingKind,
    room: string,
    editors: BindingPage[],
    dark: { presence: PanelHandle; crdt: PanelHandle }
  ): Promise<void> {
    await dark.presence.screenshot(`bindings-${kind}-presence-dark`);
    await dark.crdt.screenshot(`bindings-${kind}-crdt-dark`);
    for (const stop of stops.splice(0)) await stop();
    for (const q of queries.splice(0)) await q.unsubscribe();
    await h.reset();
    const light = await showPanels(room, 'light');
    for (const [i, p] of editors.entries()) await shownWhereTheEditorSays(light.presence, p, i);
    await expect.poll(async () => (await treeRows(light.crdt)).length).toBeGreaterThan(0);
    await light.presence.screenshot(`bindings-${kind}-presence-light`);
    await light.crdt.screenshot(`bindings-${kind}-crdt-light`);
  }

  it(
    'ProseMirror + y-prosemirror: carets at their blocks and nodes; heading, list, bold, italic and link',
    {
      timeout: 120_000,
    },
    async () => {
      const room = 'acme/panels-prosemirror';
      const a = await open('prosemirror', room, 0);
      const b = await open('prosemirror', room, 1);
      await a.command('heading', 2);
      await a.type('Zanzibar plan');
      await a.press('Enter');
      await a.command('bold');
      await a.type('Quokka');
      await a.command('bold');
      await a.type(' intro ');
      await a.command('italic');
      await a.type('Marmalade');
      await a.command('italic');
      await a.type(' and Tamarind');
      await a.press('Enter');
      await a.type('first Pangolin item');
      await a.command('bulletList');
      // A link over "Tamarind" (block 1, after "Quokka intro Marmalade and ").
      await a.caretAt(1, 27, 8);
      await a.command('link', 'https://example.com/t');
      await expect.poll(() => b.text(), { timeout: 15_000 }).toContain('Pangolin');

      const dark = await showPanels(room, 'dark');
      await a.caretAt(2, 3);
      await b.caretAt(1, 2, 4);
      for (const [i, p] of [a, b].entries()) await shownWhereTheEditorSays(dark.presence, p, i);
      const wrap = dark.presence.locator.getByTestId('presence-room-canvas');
      expect(await wrap.getAttribute('data-view')).toBe('document');
      expect(await wrap.getAttribute('data-root')).toBe('prosemirror');
      expect(await wrap.getAttribute('data-blocks')).toBe(String((await a.location()).blocks));
      // Then the caret moves: the panel follows the editor.
      await a.caretAt(0, 4);
      await shownWhereTheEditorSays(dark.presence, a, 0);
      await updateInWritersColour(dark.crdt, a, 0);
      // That edit landed in the heading (block 0): the document view's edit heat marks that one row.
      await expect
        .poll(async () => Number(await wrap.getAttribute('data-edit-total')), { timeout: 20_000 })
        .toBeGreaterThanOrEqual(1);
      expect(await wrap.getAttribute('data-edit-cells')).toBe('1');
      expect(await dark.presence.locator.getByTestId('presence-canvas').getAttribute('aria-label')).toContain(
        'Most edits: block 1 ('
      );

      // The CRDT panel reads the document by node names, with the marks of its text.
      await expect
        .poll(async () => (await treeRows(dark.crdt)).join('\n'), { timeout: 20_000 })
        .toMatch(/<heading level=2>[\s\S]*<paragraph>[\s\S]*<bullet_list>[\s\S]*<list_item>/);
      const rows = (await treeRows(dark.crdt)).join('\n');
      // Marks by name with the characters they cover ("strong 6" over "Quokka"; link over "Tamarind").
      for (const mark of [/\bstrong 6\b/, /\bem \d+/, /\blink 8\b/]) expect(rows, rows).toMatch(mark);
      await nothingTyped([dark.presence, dark.crdt], [dark.presenceQ, dark.crdtQ], [a]);
      await screenshots('prosemirror', room, [a, b], dark);
      expect([...a.errors, ...b.errors]).toEqual([]);
    }
  );

  it(
    'CodeMirror 6 + y-codemirror.next: carets and selections at their lines and columns',
    {
      timeout: 120_000,
    },
    async () => {
      const room = 'acme/panels-codemirror';
      const a = await open('codemirror', room, 0);
      const b = await open('codemirror', room, 1);
      await a.type('alpha Marmalade');
      await a.press('Enter');
      await a.type('beta Pangolin');
      await a.press('Enter');
      await a.type('gamma Ocelot');
      await a.press('Enter');
      await a.type('delta');
      await expect.poll(() => b.text(), { timeout: 15_000 }).toContain('delta');

      const dark = await showPanels(room, 'dark');
      await a.caretAt(2, 3);
      await b.caretAt(1, 5, 8);
      for (const [i, p] of [a, b].entries()) await shownWhereTheEditorSays(dark.presence, p, i);
      const wrap = dark.presence.locator.getByTestId('presence-room-canvas');
      expect(await wrap.getAttribute('data-view')).toBe('document');
      expect(await wrap.getAttribute('data-root')).toBe('codemirror');
      expect(await wrap.getAttribute('data-blocks')).toBe('4');
      // Typing moves the caret along its line; the panel follows; the update is listed in the writer's colour.
      await updateInWritersColour(dark.crdt, a, 0);
      await shownWhereTheEditorSays(dark.presence, a, 0);
      // That edit landed on the third line (a's caret, line index 2): the pod names the Y.Text lines an update
      // touched (schema revision 3), and the document view's edit heat marks that one line.
      await expect
        .poll(async () => Number(await wrap.getAttribute('data-edit-total')), { timeout: 20_000 })
        .toBeGreaterThanOrEqual(1);
      expect(await wrap.getAttribute('data-edit-cells')).toBe('1');
      expect(await dark.presence.locator.getByTestId('presence-canvas').getAttribute('aria-label')).toContain(
        'Most edits: line 3 ('
      );

      // The CRDT panel names the root as CodeMirror's document.
      await expect
        .poll(async () => (await treeRows(dark.crdt)).join('\n'), { timeout: 20_000 })
        .toMatch(/codemirror/);
      await nothingTyped([dark.presence, dark.crdt], [dark.presenceQ, dark.crdtQ], [a]);
      await screenshots('codemirror', room, [a, b], dark);
      expect([...a.errors, ...b.errors]).toEqual([]);
    }
  );

  it(
    'Quill + y-quill: carets at their lines; header, bold, italic and link formatting',
    {
      timeout: 120_000,
    },
    async () => {
      const room = 'acme/panels-quill';
      const a = await open('quill', room, 0);
      const b = await open('quill', room, 1);
      await a.type('Xylophone title');
      await a.press('Enter');
      await a.type('body with Ocelot and Tamarind');
      await a.press('Enter');
      await a.type('closing Quokka');
      await a.caretAt(0, 0);
      await a.command('header', 1);
      await a.caretAt(1, 10, 6);
      await a.command('bold');
      await a.caretAt(1, 21, 8);
      await a.command('italic');
      await a.caretAt(2, 8, 6);
      await a.command('link', 'https://example.com/q');
      await expect.poll(() => b.text(), { timeout: 15_000 }).toContain('Quokka');

      const dark = await showPanels(room, 'dark');
      await a.caretAt(1, 4);
      await b.caretAt(2, 2, 5);
      for (const [i, p] of [a, b].entries()) await shownWhereTheEditorSays(dark.presence, p, i);
      const wrap = dark.presence.locator.getByTestId('presence-room-canvas');
      expect(await wrap.getAttribute('data-view')).toBe('document');
      expect(await wrap.getAttribute('data-root')).toBe('quill');
      await updateInWritersColour(dark.crdt, a, 0);
      await shownWhereTheEditorSays(dark.presence, a, 0);

      await expect
        .poll(async () => (await treeRows(dark.crdt)).join('\n'), { timeout: 20_000 })
        .toMatch(/bold 6/);
      const rows = (await treeRows(dark.crdt)).join('\n');
      for (const mark of ['italic 8', 'link 6', 'header']) expect(rows, rows).toContain(mark);
      await nothingTyped([dark.presence, dark.crdt], [dark.presenceQ, dark.crdtQ], [a]);
      await screenshots('quill', room, [a, b], dark);
      expect([...a.errors, ...b.errors]).toEqual([]);
    }
  );
});
