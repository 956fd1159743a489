/**
 * Time travel across retention against a REAL pod process: a room written 10
 * days ago and yesterday, pruned with the default 7-day retention. Every
 * instant inside the window (and back to the window's base snapshot) rebuilds
 * exactly; an instant before what retention kept is a `history_pruned` error
 * with the request id (never a partial document), and the session goes on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as Y from 'yjs';
import type { InspectServerMessage, TreeNode } from '@collabblocks/protocol';
import { SqliteStorage } from '../src/storage/sqlite.js';
import type { NewUpdate } from '../src/storage/types.js';
import { startPod, type PodProcess } from './helpers/pod.js';
import { InspectClient, KEYS, mintInspect } from './inspect.client.js';

type ErrorMsg = Extract<InspectServerMessage, { type: 'error' }>;

const DAY = 24 * 3600 * 1000;
const ROOM = 'acme/retained';
const now = Date.now();
const day0 = now - 10 * DAY;
const day9 = now - DAY;

let pod: PodProcess;
let inspector: InspectClient;

beforeAll(async () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'collab-retained-'));
  // The room's storage as a pod that compacted after each session would have left it.
  const doc = new Y.Doc();
  doc.clientID = 501;
  const updates: NewUpdate[] = [];
  let ts = day0;
  doc.on('update', (u: Uint8Array) => updates.push({ clientId: 501, ts, update: u }));
  const s = new SqliteStorage({ dataDir });
  await s.init();
  for (const word of ['alpha ', 'beta ', 'gamma ']) doc.getText('t').insert(doc.getText('t').length, word);
  await s.append(ROOM, updates.splice(0));
  await s.saveSnapshot(ROOM, { seq: 3, ts: day0 + 0, state: Y.encodeStateAsUpdate(doc) });
  ts = day9;
  for (const word of ['delta ', 'omega ']) doc.getText('t').insert(doc.getText('t').length, word);
  await s.append(ROOM, updates.splice(0));
  await s.saveSnapshot(ROOM, { seq: 5, ts: day9, state: Y.encodeStateAsUpdate(doc) });
  await s.close();
  // Default retention (7 days); prune soon after start.
  pod = await startPod({ dataDir, removeDataDir: true, env: { COLLAB_PRUNE_INTERVAL_MS: '100' } });
  inspector = await InspectClient.open(pod.wsUrl);
  const tok = await mintInspect(pod.httpUrl, KEYS.content, 'content');
  expect((await inspector.auth(tok.token)).type).toBe('authenticated');
  // Wait for the pod's prune: the day-0 log entries (covered by the day-0 snapshot) go.
  const deadline = Date.now() + 10_000;
  for (;;) {
    const check = new SqliteStorage({ dataDir, fileName: 'collab.sqlite' });
    await check.init();
    const left = (await check.readAfter(ROOM, 0, 10)).map((u) => u.seq);
    await check.close();
    if (left[0] === 4) break;
    if (Date.now() > deadline) throw new Error(`log not pruned: ${JSON.stringify(left)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}, 30_000);

afterAll(async () => {
  inspector?.close();
  await pod?.cleanup();
});

async function textAt(at: number): Promise<string | ErrorMsg> {
  const id = inspector.nextId();
  const from = inspector.messages.length;
  inspector.send({ type: 'historyTree', id, room: ROOM, at });
  const first = await inspector.waitFor((m) => 'id' in m && m.id === id, 10_000, from);
  if (first.type === 'error') return first;
  await inspector.waitFor((m) => m.type === 'historyTree' && m.id === id && m.last, 10_000, from);
  const nodes: TreeNode[] = inspector.messages
    .slice(from)
    .flatMap((m) => (m.type === 'historyTree' && m.id === id ? m.nodes : []));
  return String(nodes.find((n) => n.path === '/t')?.value ?? '');
}

describe('historyTree across retention (real pod)', () => {
  it('rebuilds every instant inside the retention window exactly, including days without edits', async () => {
    expect(await textAt(now - 7 * DAY + 60_000)).toBe('alpha beta gamma ');
    expect(await textAt(now - 5 * DAY)).toBe('alpha beta gamma ');
    expect(await textAt(day9 - 1)).toBe('alpha beta gamma ');
    expect(await textAt(day9)).toBe('alpha beta gamma delta omega ');
    expect(await textAt(now)).toBe('alpha beta gamma delta omega ');
    // Before the cut-off but not before the window's base snapshot: still exact.
    expect(await textAt(day0 + DAY)).toBe('alpha beta gamma ');
  });

  it('refuses an instant older than the retained history with history_pruned; the session keeps working', async () => {
    const err = await textAt(day0 - DAY);
    expect(typeof err).toBe('object');
    const m = err as ErrorMsg;
    expect(m).toMatchObject({ type: 'error', code: 'history_pruned', fatal: false });
    expect(m.message).toMatch(/no longer retained/);
    expect(inspector.closeInfo).toBeNull();
    expect(await textAt(now)).toBe('alpha beta gamma delta omega ');
  });
});
