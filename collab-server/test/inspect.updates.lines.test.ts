/**
 * Update summaries say which Y.Text lines an edit touched, through a real pod process: stock
 * y-websocket editors write a CodeMirror-shaped document (Y.Text `codemirror`, as y-codemirror.next
 * writes it), another user types on one line, and the inspect `updates` stream (metadata scope) and
 * the `history` request report that line — structure only, never the typed text.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InspectServerMessage, UpdateSummary } from '@collabblocks/protocol';
import { startPod, type PodProcess } from './helpers/pod.js';
import { waitFor, type StockClient } from './helpers/clients.js';
import { connectEditor, InspectClient, KEYS, openInspector } from './inspect.client.js';

let pod: PodProcess;
const clients: StockClient[] = [];
const inspectors: InspectClient[] = [];
const TYPED = 'quokka-secret-typed';

beforeAll(async () => {
  pod = await startPod();
});

afterAll(async () => {
  for (const i of inspectors) i.ws.terminate();
  for (const c of clients) c.destroy();
  await pod?.cleanup();
});

/** Offset of the start of 0-based line `l` of `s`. */
function lineStart(s: string, l: number): number {
  let at = 0;
  for (let i = 0; i < l; i++) at = s.indexOf('\n', at) + 1;
  return at;
}

describe('updates: the Y.Text lines an edit touched', () => {
  it('a CodeMirror edit on line 13 is reported on line 13 (0-based 12), in metadata scope, live and from history', async () => {
    const room = 'acme/code-lines';
    const meta = await openInspector(pod, KEYS.metadata, 'metadata', inspectors);
    const sub = await meta.subscribe('updates', room);
    const author = await connectEditor(pod.wsUrl, room, 'ada-sub', 'Ada', undefined, clients);
    const text = author.doc.getText('codemirror');
    text.insert(0, Array.from({ length: 30 }, (_, i) => `const v${i} = ${i};`).join('\n'));
    const typist = await connectEditor(pod.wsUrl, room, 'bob-sub', 'Bob', undefined, clients);
    const theirs = typist.doc.getText('codemirror');
    await waitFor(() => theirs.length === text.length, 5000, 'the typist to sync');
    const t0 = Date.now();
    // Typed in the middle of 1-based line 13, as a binding does: one transaction per keystroke batch.
    theirs.insert(lineStart(theirs.toString(), 12) + 6, TYPED);
    await waitFor(() => text.toString().includes(TYPED), 5000, 'the edit to reach the author');

    const itemsOf = (): UpdateSummary[] => meta.ofType('updates', sub).flatMap((m) => m.items);
    await waitFor(() => itemsOf().some((i) => i.inserted === TYPED.length), 5000, 'the typed update');
    const typed = itemsOf().find((i) => i.inserted === TYPED.length);
    expect(typed?.paths).toEqual(['/codemirror']);
    expect(typed?.lines).toEqual([{ path: '/codemirror', from: 12, to: 12 }]);
    // The initial document spans all its lines.
    const initial = itemsOf().find((i) => i.inserted === text.length - TYPED.length);
    expect(initial?.lines).toEqual([{ path: '/codemirror', from: 0, to: 29 }]);
    expect(meta.raw.join('\n')).not.toContain(TYPED);
    expect(meta.invalid).toEqual([]);

    // History (the update log, summarised against the stored document) carries the same line.
    const page = (await meta.request({
      type: 'history',
      room,
      fromTs: t0 - 1,
      toTs: Date.now() + 1,
    })) as Extract<InspectServerMessage, { type: 'history' }>;
    expect(page.type).toBe('history');
    const logged = page.entries.find((e) => e.inserted === TYPED.length);
    expect(logged?.lines).toEqual([{ path: '/codemirror', from: 12, to: 12 }]);
  });
});
