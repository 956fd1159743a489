/**
 * Presence locations on the inspect bridge, in process (test/inspect.harness.ts): a caret whose
 * block other users' edits moved is re-sent without an awareness change, and a subscription's
 * `presence.fields` locate an awareness shape no built-in convention recognises (per subscription).
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { applyAwarenessUpdate, Awareness, encodeAwarenessUpdate } from 'y-protocols/awareness';
import type { PresenceUser } from '@collabblocks/protocol';
import { FakeRoom, startHarness, type Harness } from './inspect.harness.js';

let h: Harness | null = null;
const cleanup: Array<() => void> = [];
afterEach(async () => {
  await h?.close();
  h = null;
  for (const f of cleanup.splice(0)) f();
});

/** A room holding a y-prosemirror document of `n` paragraphs; an editor replica of it. */
function proseRoom(harness: Harness, name: string, n: number): { room: FakeRoom; editor: Y.Doc } {
  const room = new FakeRoom();
  harness.rooms.set(name, room);
  const frag = room.doc.getXmlFragment('prosemirror');
  for (let i = 0; i < n; i++) {
    const p = new Y.XmlElement('paragraph');
    const t = new Y.XmlText();
    t.insert(0, `paragraph ${i}`);
    p.insert(0, [t]);
    frag.insert(i, [p]);
  }
  const editor = new Y.Doc();
  Y.applyUpdate(editor, Y.encodeStateAsUpdate(room.doc));
  cleanup.push(() => editor.destroy());
  return { room, editor };
}

function textOf(doc: Y.Doc, block: number): Y.XmlText {
  return (doc.getXmlFragment('prosemirror').get(block) as Y.XmlElement).get(0) as Y.XmlText;
}

function relPos(t: Y.XmlText, i: number): unknown {
  return JSON.parse(JSON.stringify(Y.createRelativePositionFromTypeIndex(t, i))) as unknown;
}

/** A client's awareness; `publish` relays its state into the room's awareness as the pod would. */
function client(): Awareness {
  const a = new Awareness(new Y.Doc());
  cleanup.push(() => a.destroy());
  return a;
}

function publish(room: FakeRoom, a: Awareness, state: Record<string, unknown>): number {
  a.setLocalState(state);
  applyAwarenessUpdate(room.awareness, encodeAwarenessUpdate(a, [a.clientID]), 'client');
  return a.clientID;
}

function userIn(users: PresenceUser[], id: number): PresenceUser | undefined {
  return users.find((u) => u.clientId === id);
}

describe('presence: carets moved by other users’ edits', () => {
  it('re-sends the location of a caret whose block moved although its awareness did not change', async () => {
    h = await startHarness();
    const { room, editor } = proseRoom(h, 'acme/doc', 6);
    const caret = relPos(textOf(editor, 3), 4);
    const id = publish(room, client(), { user: { name: 'Ada' }, cursor: { anchor: caret, head: caret } });
    const c = await h.inspector('metadata');
    const sub = await c.subscribe('presence', 'acme/doc');
    const snap = await c.waitFor((m) => m.type === 'presenceSnapshot' && m.sub === sub);
    if (snap.type !== 'presenceSnapshot') throw new Error('no snapshot');
    expect(userIn(snap.users, id)?.location).toMatchObject({ state: 'resolved', block: 3, blocks: 6 });
    // Another user (through another replica, applied as a remote update: no awareness change,
    // no hook called) inserts two blocks above the caret.
    editor
      .getXmlFragment('prosemirror')
      .insert(0, [new Y.XmlElement('heading'), new Y.XmlElement('paragraph')]);
    Y.applyUpdate(room.doc, Y.encodeStateAsUpdate(editor, Y.encodeStateVector(room.doc)), 'remote');
    const patch = await c.waitFor(
      (m) => m.type === 'presencePatch' && m.sub === sub && userIn(m.updated, id)?.location?.block === 5,
      5_000
    );
    if (patch.type !== 'presencePatch') throw new Error('no patch');
    expect(userIn(patch.updated, id)?.location).toMatchObject({ block: 5, blocks: 8, nodeName: 'paragraph' });
    // Then a block deleted above: re-sent again.
    editor.getXmlFragment('prosemirror').delete(0, 1);
    Y.applyUpdate(room.doc, Y.encodeStateAsUpdate(editor, Y.encodeStateVector(room.doc)), 'remote');
    await c.waitFor(
      (m) => m.type === 'presencePatch' && m.sub === sub && userIn(m.updated, id)?.location?.block === 4,
      5_000
    );
    expect(c.invalid).toEqual([]);
  });
});

describe('presence: throttled locations', () => {
  it('a caret moving faster than the throttle is re-sent fresh, without re-sending the users that did not move', async () => {
    // 1 s per resolution on average: the third resolution in a row is throttled whatever the machine's speed.
    h = await startHarness({ presenceLocateIntervalMs: 1_000 });
    const { room, editor } = proseRoom(h, 'acme/fast', 4);
    const t = textOf(editor, 1);
    const fast = client();
    const idle = client();
    const state = (i: number): Record<string, unknown> => ({
      user: { name: 'Fast' },
      cursor: { anchor: relPos(t, i), head: relPos(t, i) },
    });
    const fastId = publish(room, fast, state(1));
    const idleId = publish(room, idle, {
      user: { name: 'Idle' },
      cursor: { anchor: relPos(t, 0), head: relPos(t, 0) },
    });
    const c = await h.inspector('metadata');
    const sub = await c.subscribe('presence', 'acme/fast');
    await c.waitFor((m) => m.type === 'presenceSnapshot' && m.sub === sub);
    const moveTo = (i: number): void => {
      publish(room, fast, state(i));
      h?.bridge.extension.onAwareness?.({
        room: 'acme/fast',
        org: 'acme',
        added: [],
        updated: [fastId],
        removed: [],
      });
    };
    const offsetIn = (m: unknown): number | undefined => {
      const p = m as { type: string; sub?: string; updated?: PresenceUser[] };
      return p.type === 'presencePatch' && p.sub === sub
        ? userIn(p.updated ?? [], fastId)?.location?.offset
        : undefined;
    };
    // The snapshot was the first resolution, this move the second (the burst): located at once.
    moveTo(2);
    await c.waitFor((m) => offsetIn(m) === 2, 5_000);
    // The third within the interval: first sent with the previous location, then fresh once the throttle allows.
    const from = c.messages.length;
    moveTo(3);
    const stale = await c.waitFor((m) => offsetIn(m) !== undefined, 5_000, from);
    expect(offsetIn(stale)).toBe(2);
    await c.waitFor((m) => offsetIn(m) === 3, 5_000, from);
    // Only the throttled user came back: the idle one was never re-sent after the snapshot.
    const patches = c.messages.filter((m) => m.type === 'presencePatch' && m.sub === sub);
    for (const m of patches)
      if (m.type === 'presencePatch') expect(userIn([...m.joined, ...m.updated], idleId)).toBeUndefined();
    expect(c.invalid).toEqual([]);
  });
});

describe('presence: a subscription’s field paths', () => {
  it('locate an unknown app’s awareness shape for that subscription only; bad paths are refused', async () => {
    h = await startHarness();
    const { room, editor } = proseRoom(h, 'acme/app', 4);
    const t = textOf(editor, 2);
    // An in-house editor: no convention the bridge knows.
    const ada = client();
    const id = publish(room, ada, {
      me: { sel: { from: relPos(t, 1), to: relPos(t, 5) } },
      who: { label: 'Ada', hue: '#ff8800' },
    });
    const c = await h.inspector('content');
    const fields = { anchor: 'me.sel.from', head: 'me.sel.to', name: 'who.label', color: 'who.hue' };
    const withFields = await c.request({
      type: 'subscribe',
      stream: 'presence',
      room: 'acme/app',
      presence: { fields },
    });
    if (withFields.type !== 'subscribed') throw new Error(JSON.stringify(withFields));
    const plain = await c.subscribe('presence', 'acme/app');
    const snapOf = async (sub: string): Promise<PresenceUser | undefined> => {
      const s = await c.waitFor((m) => m.type === 'presenceSnapshot' && m.sub === sub);
      return s.type === 'presenceSnapshot' ? userIn(s.users, id) : undefined;
    };
    const located = await snapOf(withFields.sub);
    expect(located).toMatchObject({
      binding: 'configured',
      name: 'Ada',
      color: '#ff8800',
      location: {
        state: 'resolved',
        root: 'prosemirror',
        block: 2,
        nodeName: 'paragraph',
        offset: 5,
        selection: 4,
      },
    });
    // The other subscription (no paths) sees an unrecognised state: no location, no name from it.
    const unlocated = await snapOf(plain);
    expect(unlocated?.binding).toBe('none');
    expect(unlocated?.location).toBeUndefined();
    // Updates go to each subscription as it asked.
    const moved = relPos(t, 7);
    publish(room, ada, { me: { sel: { from: moved, to: moved } }, who: { label: 'Ada', hue: '#ff8800' } });
    h.bridge.extension.onAwareness?.({
      room: 'acme/app',
      org: 'acme',
      added: [],
      updated: [id],
      removed: [],
    });
    // (Within the per-client resolution interval the patch may first carry the previous location;
    // the fresh one follows.)
    const p1 = await c.waitFor(
      (m) =>
        m.type === 'presencePatch' &&
        m.sub === withFields.sub &&
        userIn(m.updated, id)?.location?.offset === 7,
      5_000
    );
    if (p1.type !== 'presencePatch') throw new Error('no patch');
    expect(userIn(p1.updated, id)?.location).toMatchObject({ block: 2, offset: 7, selection: 0 });
    const p2 = await c.waitFor(
      (m) => m.type === 'presencePatch' && m.sub === plain && userIn(m.updated, id) !== undefined,
      5_000
    );
    if (p2.type !== 'presencePatch') throw new Error('no patch');
    expect(userIn(p2.updated, id)?.location).toBeUndefined();
    // Bad paths: a clear error, the session goes on.
    for (const bad of [
      { head: 'a..b' },
      { head: 'a.b.c.d.e.f.g.h.i' },
      { x: 'p.x' },
      { anchor: 'only.anchor' },
    ]) {
      const r = await c.request({
        type: 'subscribe',
        stream: 'presence',
        room: 'acme/app',
        presence: { fields: bad },
      });
      expect(r, JSON.stringify(bad)).toMatchObject({ type: 'error', code: 'malformed' });
    }
    expect(c.invalid).toEqual([]);
  });
});
