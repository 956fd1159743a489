// E2E: real editor bindings, unchanged from npm, in headless Chromium — ProseMirror + y-prosemirror,
// CodeMirror 6 + y-codemirror.next, Quill + y-quill — through the stock y-websocket provider to a real
// pod. They type, select and move carets with the keyboard and the editors' own APIs; the inspect
// protocol (metadata and content scope) must locate every user where the editor itself says its caret
// is, show them active, read the documents with node names and marks, and never carry typed text in
// metadata scope.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import type { PresenceUser, TreeNode } from '@collabblocks/protocol';

import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../harness/src/browser.js';
import { startPod, type PodProcess } from '../../../collab-server/test/helpers/pod.js';
import { mintToken } from '../../../collab-server/test/helpers/jwt.js';
import { connectClient } from '../../../collab-server/test/helpers/clients.js';
import { InspectClient, KEYS, mintInspect } from '../../../collab-server/test/inspect.client.js';
import { startBindingPage, type BindingKind, type BindingPage, type EditorLocation } from '../src/index.js';

let pod: PodProcess;
let browser: Browser;
const pages: BindingPage[] = [];
const started = Date.now();

/** Words typed in the editors; none may appear in a metadata-scope frame. */
const SECRET_WORDS = ['Zanzibar', 'Quokka', 'Marmalade', 'Pangolin', 'Xylophone', 'Ocelot'];

async function open(kind: BindingKind, room: string, name: string, color: string): Promise<BindingPage> {
  const token = await mintToken({ org: 'acme', sub: `user-${name}`, name });
  const p = await startBindingPage(browser, { kind, url: pod.wsUrl, room, token, name, color });
  pages.push(p);
  return p;
}

/** Folds presence messages of one subscription into the current users. */
function presenceOf(c: InspectClient, sub: string): Map<number, PresenceUser> {
  const users = new Map<number, PresenceUser>();
  for (const m of c.messages) {
    if (!('sub' in m) || m.sub !== sub) continue;
    if (m.type === 'presenceSnapshot') {
      users.clear();
      for (const u of m.users) users.set(u.clientId, u);
    } else if (m.type === 'presencePatch') {
      for (const u of [...m.joined, ...m.updated]) users.set(u.clientId, u);
      for (const id of m.left) users.delete(id);
    }
  }
  return users;
}

/** Folds tree messages of one subscription into the current nodes by path. */
function treeOf(c: InspectClient, sub: string): Map<string, TreeNode> {
  const nodes = new Map<string, TreeNode>();
  for (const m of c.messages) {
    if (!('sub' in m) || m.sub !== sub) continue;
    if (m.type === 'treeSnapshot') {
      if (m.chunk === 0) nodes.clear();
      for (const n of m.nodes) nodes.set(n.path, n);
    } else if (m.type === 'treePatch') {
      for (const n of [...m.added, ...m.changed]) nodes.set(n.path, n);
      for (const p of m.removed)
        for (const k of [...nodes.keys()]) if (k === p || k.startsWith(`${p}/`)) nodes.delete(k);
    }
  }
  return nodes;
}

async function inspector(scope: 'metadata' | 'content'): Promise<InspectClient> {
  const { token } = await mintInspect(pod.httpUrl, scope === 'content' ? KEYS.content : KEYS.metadata, scope);
  const c = await InspectClient.open(pod.wsUrl);
  await c.auth(token);
  return c;
}

async function eventually<T>(
  what: string,
  f: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 15_000
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await f();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out: ${what}${last ? ` (${String(last)})` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The pod's location of `page`'s user equals what the editor says; returns the user. */
async function locatedAsEditorSays(c: InspectClient, sub: string, page: BindingPage): Promise<PresenceUser> {
  let editor: EditorLocation | undefined;
  let seen: PresenceUser | undefined;
  try {
    return await eventually(`${page.kind} user located as the editor says`, async () => {
      editor = await page.location();
      seen = presenceOf(c, sub).get(page.clientId);
      const loc = seen?.location;
      if (!loc || loc.state !== 'resolved') return undefined;
      if (loc.block !== editor.block || loc.blocks !== editor.blocks) return undefined;
      if (editor.line !== undefined && (loc.line !== editor.line || loc.column !== editor.column))
        return undefined;
      if (editor.nodeName !== undefined && loc.nodeName !== editor.nodeName) return undefined;
      if (editor.path !== undefined && JSON.stringify(loc.path) !== JSON.stringify(editor.path))
        return undefined;
      if (loc.offset !== editor.offset || loc.selection !== editor.selection) return undefined;
      return seen;
    });
  } catch (e) {
    throw new Error(`${String(e)}\neditor: ${JSON.stringify(editor)}\npod: ${JSON.stringify(seen)}`);
  }
}

beforeAll(async () => {
  pod = await startPod();
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
});

afterAll(async () => {
  for (const p of pages) await p.close().catch(() => undefined);
  await browser?.close();
  await pod?.stop();
  await pod?.cleanup();
});

describe('real editor bindings through a pod', () => {
  it('ProseMirror + y-prosemirror: heading, list and bold; carets and selections located by block and node', async () => {
    const room = 'acme/bindings-prosemirror';
    const meta = await inspector('metadata');
    const content = await inspector('content');
    const a = await open('prosemirror', room, 'Ada', '#e03131');
    const b = await open('prosemirror', room, 'Bo', '#1971c2');
    await a.command('heading', 2);
    await a.type('Zanzibar plan');
    await a.press('Enter');
    await a.command('bold');
    await a.type('Quokka');
    await a.command('bold');
    await a.type(' intro');
    await a.press('Enter');
    await a.type('first item');
    await a.command('bulletList');
    await eventually('b sees the list', async () =>
      (await b.text()).includes('first item') ? true : undefined
    );

    const metaSub = await meta.subscribe('presence', room);
    const contentSub = await content.subscribe('presence', room);
    const treeMeta = await meta.subscribe('tree', room);
    const treeContent = await content.subscribe('tree', room);
    // Activity is a caret that moved since the pod last saw it: a first sighting is not activity. Both users
    // are first seen by the subscriptions here, so the carets move only after that (a move published before
    // the first sighting would itself be the first sighting, and nothing would say the user was active).
    await eventually('both users seen by both subscriptions', () =>
      [metaSub, contentSub].every((sub, i) => {
        const seen = presenceOf(i === 0 ? meta : content, sub);
        return seen.has(a.clientId) && seen.has(b.clientId);
      })
        ? true
        : undefined
    );

    await a.caretAt(2, 3);
    await b.caretAt(1, 2, 4);
    for (const [c, sub] of [
      [meta, metaSub],
      [content, contentSub],
    ] as const) {
      const ua = await locatedAsEditorSays(c, sub, a);
      expect(ua).toMatchObject({
        binding: 'yjs-cursor',
        location: { root: 'prosemirror', rootKind: 'XmlFragment' },
      });
      expect(ua.location?.path).toEqual(['bullet_list', 'list_item', 'paragraph']);
      const ub = await locatedAsEditorSays(c, sub, b);
      expect(ub.location).toMatchObject({ nodeName: 'paragraph', selection: 4 });
      // Typing and moving: both users active, with the colour their editor draws.
      for (const u of [ua, ub]) {
        expect(u.lastActive ?? 0).toBeGreaterThanOrEqual(started);
        expect(u.signals?.focused).toBe(true);
      }
      expect(ua.color).toBe('#e03131');
    }
    const content1 = presenceOf(content, contentSub).get(b.clientId);
    // The snippet is around the selection head (its end): content scope only.
    // (Chromium's contenteditable types a trailing space as U+00A0, and ProseMirror keeps it.)
    expect(content1?.location?.snippet?.before).toBe('Quokka');
    expect(content1?.location?.snippet?.after.replace(/\u00a0/g, ' ')).toBe(' intro');

    const tree = await eventually('tree with node names and marks', () => {
      const nodes = [...treeOf(content, treeContent).values()];
      const heading = nodes.find((n) => n.nodeName === 'heading');
      const bold = nodes.find((n) => n.runs?.some((r) => r.marks?.includes('strong')));
      return heading && bold && nodes.some((n) => n.nodeName === 'list_item') ? { heading, bold } : undefined;
    });
    expect(tree.heading.attrs).toMatchObject({ level: 2 });
    expect(tree.bold.runs).toContainEqual({ length: 6, text: 'Quokka', marks: ['strong'] });
    const metaNodes = [...treeOf(meta, treeMeta).values()];
    expect(metaNodes.find((n) => n.nodeName === 'heading')?.attrs).toMatchObject({ level: 2 });
    expect(metaNodes.some((n) => n.runs?.some((r) => r.marks?.includes('strong')))).toBe(true);
    for (const w of SECRET_WORDS) expect(meta.raw.join('\n')).not.toContain(w);
    expect(content.raw.join('\n')).toContain('Quokka');
    expect([...a.errors, ...b.errors]).toEqual([]);
    meta.close();
    content.close();
  });

  it('CodeMirror 6 + y-codemirror.next: line and column of carets and selections', async () => {
    const room = 'acme/bindings-codemirror';
    const meta = await inspector('metadata');
    const a = await open('codemirror', room, 'Cy', '#2f9e44');
    const b = await open('codemirror', room, 'Di', '#f08c00');
    await a.type('alpha Marmalade');
    await a.press('Enter');
    await a.type('beta Pangolin');
    await a.press('Enter');
    await a.type('gamma');
    await eventually('b sees the text', async () => ((await b.text()).includes('gamma') ? true : undefined));
    const sub = await meta.subscribe('presence', room);
    await b.caretAt(1, 5, 8);
    await a.caretAt(2, 3);
    const ua = await locatedAsEditorSays(meta, sub, a);
    expect(ua.location).toMatchObject({
      root: 'codemirror',
      rootKind: 'Text',
      line: 3,
      column: 3,
      blocks: 3,
    });
    const ub = await locatedAsEditorSays(meta, sub, b);
    expect(ub.location).toMatchObject({ line: 2, selection: 8 });
    for (const w of SECRET_WORDS) expect(meta.raw.join('\n')).not.toContain(w);
    expect([...a.errors, ...b.errors]).toEqual([]);
    meta.close();
  });

  it('Quill + y-quill: lines, header and bold formatting, formatted-not-inserted updates', async () => {
    const room = 'acme/bindings-quill';
    const meta = await inspector('metadata');
    const content = await inspector('content');
    const a = await open('quill', room, 'Eve', '#7048e8');
    const updatesSub = await meta.subscribe('updates', room);
    await a.type('Xylophone title');
    await a.press('Enter');
    await a.type('body with Ocelot');
    await a.caretAt(0, 0);
    await a.command('header', 1);
    await a.caretAt(1, 10, 6);
    await a.command('bold');
    const sub = await meta.subscribe('presence', room);
    const treeSub = await content.subscribe('tree', room);
    await a.caretAt(1, 4);
    const u = await locatedAsEditorSays(meta, sub, a);
    expect(u.location).toMatchObject({ root: 'quill', rootKind: 'Text', line: 2, column: 4 });
    const root = await eventually('quill root with runs', () => {
      const n = treeOf(content, treeSub).get('/quill');
      return n?.runs?.some((r) => r.marks?.includes('bold')) ? n : undefined;
    });
    expect(root.binding).toBe('quill');
    expect(root.runs).toContainEqual({ length: 6, text: 'Ocelot', marks: ['bold'] });
    expect(root.runs?.some((r) => r.marks?.includes('header'))).toBe(true);
    const formatted = await eventually('a "formatted 6 chars bold" update', () =>
      meta
        .ofType('updates', updatesSub)
        .flatMap((m) => m.items)
        .find((i) => i.formats?.some((f) => f.key === 'bold' && f.length === 6))
    );
    expect(formatted.inserted).toBe(0);
    for (const w of SECRET_WORDS) expect(meta.raw.join('\n')).not.toContain(w);
    expect(a.errors).toEqual([]);
    meta.close();
    content.close();
  });

  it('the awareness states the bindings publish (recorded for the recogniser tests)', async () => {
    // A stock y-websocket client in the rooms above reads every page's awareness state as the pod relays it.
    const token = await mintToken({ org: 'acme', sub: 'reader' });
    const states: Record<string, unknown[]> = {};
    for (const kind of ['prosemirror', 'codemirror', 'quill'] as const) {
      const c = connectClient(pod.wsUrl, `acme/bindings-${kind}`, token);
      await c.synced;
      const ids = pages.filter((p) => p.kind === kind).map((p) => p.clientId);
      states[kind] = await eventually(`${kind} states`, () => {
        const s = ids.map((id) => c.provider.awareness.getStates().get(id));
        return s.every((x) => x !== undefined) ? s : undefined;
      });
      c.destroy();
      for (const s of states[kind] ?? []) expect(s).toHaveProperty('cursor');
    }
    if (process.env.RECORD_AWARENESS) {
      const fs = await import('node:fs');
      fs.writeFileSync(process.env.RECORD_AWARENESS, JSON.stringify(states, null, 2));
    }
  });
});
