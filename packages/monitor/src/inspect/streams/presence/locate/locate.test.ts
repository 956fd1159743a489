import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { relPos, type RelPos } from '../recognise/index.js';
import { locate } from './locate.js';
import { PresenceReader } from './reader.js';
import { RootIndexCache } from './rootIndex.js';

/** A relative position as a binding publishes it (Yjs builds it, awareness JSON-encodes it), read back by the recogniser. */
function pos(
  type: Parameters<typeof Y.createRelativePositionFromTypeIndex>[0],
  index: number,
  assoc = 0
): RelPos {
  const json = JSON.parse(
    JSON.stringify(Y.createRelativePositionFromTypeIndex(type, index, assoc))
  ) as unknown;
  const r = relPos(json);
  if (!r.ok || !r.value) throw new Error('bad position');
  return r.value;
}

/** The document y-prosemirror writes for: heading(2) "Title" / bulletList > listItem > paragraph "item one" / paragraph "bold end". */
function prosemirrorDoc(): { doc: Y.Doc; texts: Y.XmlText[] } {
  const doc = new Y.Doc();
  const frag = doc.getXmlFragment('prosemirror');
  const h = new Y.XmlElement('heading');
  const ht = new Y.XmlText();
  const list = new Y.XmlElement('bulletList');
  const li = new Y.XmlElement('listItem');
  const lp = new Y.XmlElement('paragraph');
  const lt = new Y.XmlText();
  const p = new Y.XmlElement('paragraph');
  const pt = new Y.XmlText();
  frag.insert(0, [h, list, p]);
  h.setAttribute('level', 2 as unknown as string);
  h.insert(0, [ht]);
  ht.insert(0, 'Title');
  list.insert(0, [li]);
  li.insert(0, [lp]);
  lp.insert(0, [lt]);
  lt.insert(0, 'item one');
  p.insert(0, [pt]);
  pt.insert(0, 'bold end');
  pt.format(0, 4, { bold: true });
  return { doc, texts: [ht, lt, pt] };
}

describe('locate: rich text (XmlFragment)', () => {
  it('resolves block, enclosing node names, tree path, offset and selection', () => {
    const { doc, texts } = prosemirrorDoc();
    const cache = new RootIndexCache(doc);
    const lt = texts[1] as Y.XmlText;
    const loc = locate(doc, cache, pos(lt, 2), pos(lt, 6), { snippet: false });
    expect(loc).toEqual({
      state: 'resolved',
      root: 'prosemirror',
      rootKind: 'XmlFragment',
      block: 1,
      blocks: 3,
      nodePath: '/prosemirror/1/0/0/0',
      path: ['bulletList', 'listItem', 'paragraph'],
      nodeName: 'paragraph',
      offset: 6,
      selection: 4,
    });
    const caret = locate(doc, cache, pos(texts[0] as Y.XmlText, 5), pos(texts[0] as Y.XmlText, 5), {
      snippet: true,
    });
    expect(caret).toMatchObject({
      block: 0,
      nodeName: 'heading',
      offset: 5,
      selection: 0,
      snippet: { before: 'Title', after: '' },
    });
    // A selection from the heading to the last paragraph: the anchor's block, no length.
    const span = locate(doc, cache, pos(texts[0] as Y.XmlText, 1), pos(texts[2] as Y.XmlText, 3), {
      snippet: false,
    });
    expect(span).toMatchObject({ block: 2, anchorBlock: 0, nodeName: 'paragraph' });
    expect(span.selection).toBeUndefined();
  });

  it('a snippet is content-only text around the caret, bounded', () => {
    const { doc, texts } = prosemirrorDoc();
    const pt = texts[2] as Y.XmlText;
    const loc = locate(doc, new RootIndexCache(doc), pos(pt, 4), pos(pt, 4), { snippet: true });
    expect(loc.snippet).toEqual({ before: 'bold', after: ' end' });
    expect(
      locate(doc, new RootIndexCache(doc), pos(pt, 4), pos(pt, 4), { snippet: false }).snippet
    ).toBeUndefined();
  });

  it('follows blocks inserted above the caret (the root index is rebuilt), without changing the document', () => {
    const { doc, texts } = prosemirrorDoc();
    const cache = new RootIndexCache(doc);
    const pt = texts[2] as Y.XmlText;
    const caret = pos(pt, 3);
    expect(locate(doc, cache, caret, caret, { snippet: false }).block).toBe(2);
    const before = Y.encodeStateAsUpdate(doc);
    const structsBefore = [...doc.store.clients.values()].reduce((n, s) => n + s.length, 0);
    for (let i = 0; i < 50; i++) locate(doc, cache, pos(pt, i % 8), pos(pt, (i * 3) % 8), { snippet: true });
    // Resolution reads only: no split items, no new roots, same update.
    expect([...doc.store.clients.values()].reduce((n, s) => n + s.length, 0)).toBe(structsBefore);
    expect(Y.encodeStateAsUpdate(doc)).toEqual(before);
    const builds = cache.builds;
    doc
      .getXmlFragment('prosemirror')
      .insert(0, [new Y.XmlElement('paragraph'), new Y.XmlElement('paragraph')]);
    expect(locate(doc, cache, caret, caret, { snippet: false })).toMatchObject({ block: 4, blocks: 5 });
    expect(cache.builds).toBe(builds + 1);
    // Typing inside a paragraph does not touch the root's item list: no rebuild.
    pt.insert(0, 'x');
    locate(doc, cache, caret, caret, { snippet: false });
    expect(cache.builds).toBe(builds + 1);
  });
});

describe('locate: text (Y.Text)', () => {
  it('gives line (1-based), column, lines as blocks, also at the end of the text', () => {
    const doc = new Y.Doc();
    const t = doc.getText('codemirror');
    t.insert(0, 'one\ntwo\n');
    t.insert(8, 'three');
    const cache = new RootIndexCache(doc);
    expect(locate(doc, cache, pos(t, 5), pos(t, 5), { snippet: false })).toEqual({
      state: 'resolved',
      root: 'codemirror',
      rootKind: 'Text',
      nodePath: '/codemirror',
      line: 2,
      column: 1,
      block: 1,
      blocks: 3,
      offset: 5,
      selection: 0,
    });
    const end = pos(t, t.length);
    expect(end.tname).toBe('codemirror');
    expect(locate(doc, cache, end, end, { snippet: true })).toMatchObject({
      line: 3,
      column: 5,
      offset: 13,
      snippet: { before: 'one\ntwo\nthree', after: '' },
    });
    expect(locate(doc, cache, pos(t, 0), pos(t, 9), { snippet: false })).toMatchObject({
      line: 3,
      column: 1,
      selection: 9,
    });
  });

  it('Quill formatting markers are not characters', () => {
    const doc = new Y.Doc();
    const t = doc.getText('quill');
    t.insert(0, 'Hello world\n');
    t.format(0, 5, { bold: true });
    const loc = locate(doc, new RootIndexCache(doc), pos(t, 7), pos(t, 7), { snippet: true });
    expect(loc).toMatchObject({
      line: 1,
      column: 7,
      offset: 7,
      snippet: { before: 'Hello w', after: 'orld\n' },
    });
  });
});

describe('locate: Lexical (root XmlText of element XmlTexts)', () => {
  it('block among element nodes, node name from __type', () => {
    const doc = new Y.Doc();
    const root = doc.get('root', Y.XmlText);
    const paras: Y.XmlText[] = [];
    for (let i = 0; i < 3; i++) {
      const p = new Y.XmlText();
      root.insertEmbed(i, p);
      p.setAttribute('__type', i === 1 ? 'heading' : 'paragraph');
      const textNode = new Y.Map();
      p.insertEmbed(0, textNode);
      textNode.set('__type', 'text');
      p.insert(1, `para ${i}`);
      paras.push(p);
    }
    const p1 = paras[1] as Y.XmlText;
    expect(locate(doc, new RootIndexCache(doc), pos(p1, 3), pos(p1, 3), { snippet: false })).toMatchObject({
      state: 'resolved',
      root: 'root',
      rootKind: 'XmlText',
      block: 1,
      blocks: 3,
      nodeName: 'heading',
      path: ['heading'],
      nodePath: '/root/1',
      offset: 3,
    });
  });
});

describe('locate: positions the pod cannot resolve', () => {
  it('an item not arrived yet, an unknown root, a deleted block, a collected item', () => {
    const { doc, texts } = prosemirrorDoc();
    const cache = new RootIndexCache(doc);
    const future = { item: { client: doc.clientID, clock: 1_000_000 }, assoc: 0 };
    expect(locate(doc, cache, future, future, { snippet: false })).toEqual({
      state: 'unresolved',
      reason: 'missing-item',
    });
    const stranger = { item: { client: 424242, clock: 0 }, assoc: 0 };
    expect(locate(doc, cache, stranger, stranger, { snippet: false })).toEqual({
      state: 'unresolved',
      reason: 'missing-item',
    });
    const noRoot = { tname: 'nope', assoc: 0 };
    expect(locate(doc, cache, noRoot, noRoot, { snippet: false })).toEqual({
      state: 'unresolved',
      reason: 'unknown-root',
    });
    expect(doc.share.has('nope')).toBe(false);
    const caret = pos(texts[1] as Y.XmlText, 2);
    doc.getXmlFragment('prosemirror').delete(1, 1);
    expect(locate(doc, cache, caret, caret, { snippet: false })).toEqual({
      state: 'unresolved',
      reason: 'collected',
    });

    // With gc, the deleted list's items become GC structs.
    const gcDoc = new Y.Doc({ gc: true });
    const t = gcDoc.getText('t');
    t.insert(0, 'abcdef');
    const p = pos(t, 3);
    const nested = gcDoc.getArray<Y.Text>('a');
    const inner = new Y.Text('xyz');
    nested.insert(0, [inner]);
    const innerPos = pos(inner, 1);
    nested.delete(0, 1);
    expect(locate(gcDoc, new RootIndexCache(gcDoc), innerPos, innerPos, { snippet: false })).toEqual({
      state: 'unresolved',
      reason: 'collected',
    });
    expect(locate(gcDoc, new RootIndexCache(gcDoc), p, p, { snippet: false }).state).toBe('resolved');
  });
});

describe('PresenceReader: throttle, memo, activity', () => {
  it('resolves once per interval per client (after a burst of two), memoises, tracks activity', () => {
    const doc = new Y.Doc();
    const t = doc.getText('codemirror');
    t.insert(0, 'line one\nline two');
    const reader = new PresenceReader(doc, { minIntervalMs: 100 });
    const json = (i: number): unknown =>
      JSON.parse(JSON.stringify(Y.createRelativePositionFromTypeIndex(t, i))) as unknown;
    const state = (i: number): unknown => ({
      user: { name: 'a' },
      cursor: { anchor: json(i), head: json(i) },
    });
    const o = { locations: true, snippet: false };
    const s1 = state(1);
    const r1 = reader.read(7, s1, { ...o, now: 1000 });
    expect(r1.location).toMatchObject({ line: 1, column: 1 });
    expect(r1.lastActive).toBeUndefined();
    // Same state object, same document: memoised.
    reader.read(7, s1, { ...o, now: 1010 });
    expect(reader.resolutions).toBe(1);
    // Moved within the interval: the throttle's burst (2) resolves it at once.
    expect(reader.read(7, state(12), { ...o, now: 1020 }).location).toMatchObject({ line: 2, column: 3 });
    expect(reader.resolutions).toBe(2);
    // Moved again: past the burst, the previous location and a retry time (credit 20 ms + 10 ms).
    const r2 = reader.read(7, state(13), { ...o, now: 1030 });
    expect(r2).toMatchObject({ location: { line: 2, column: 3 }, retryAt: 1100, lastActive: 1030 });
    expect(reader.resolutions).toBe(2);
    const r3 = reader.read(7, state(13), { ...o, now: 1100 });
    expect(r3.location).toMatchObject({ line: 2, column: 4 });
    expect(reader.resolutions).toBe(3);
    // A document update from the client is activity too.
    reader.noteEdit(7, 2000);
    expect(reader.read(7, state(13), { ...o, now: 2001 })).toMatchObject({
      lastActive: 2000,
      lastEdit: 2000,
    });
    // Opting out of locations; bad states never throw.
    expect(reader.read(8, state(3), { ...o, locations: false, now: 3000 }).location).toBeUndefined();
    expect(reader.read(9, { cursor: { anchor: 'x', head: 1 } }, { ...o, now: 3000 }).location).toEqual({
      state: 'unknown',
      reason: 'invalid',
    });
    reader.dispose();
  });

  it('the throttle lets a caret moving at the limit rate with jitter through every time, and holds a faster one to the rate', () => {
    const doc = new Y.Doc();
    const t = doc.getText('codemirror');
    t.insert(0, 'x'.repeat(200));
    const reader = new PresenceReader(doc, { minIntervalMs: 100 });
    const state = (i: number): unknown => {
      const rp = JSON.parse(JSON.stringify(Y.createRelativePositionFromTypeIndex(t, i))) as unknown;
      return { cursor: { anchor: rp, head: rp } };
    };
    const o = { locations: true, snippet: false };
    // 10 Hz with ±5 ms jitter (a provider's timer, the network): never throttled, never a stale location.
    let now = 1000;
    for (let i = 0; i < 50; i++) {
      now += i % 2 === 0 ? 95 : 105;
      const r = reader.read(1, state(i), { ...o, now });
      expect(r.retryAt, `move ${i}`).toBeUndefined();
      expect(r.location).toMatchObject({ offset: i });
    }
    expect(reader.resolutions).toBe(50);
    // 60 Hz for one second: the burst, then one per 100 ms.
    const before = reader.resolutions;
    now = 10_000;
    for (let i = 0; i < 60; i++) reader.read(2, state(i), { ...o, now: (now += 16) });
    const made = reader.resolutions - before;
    expect(made).toBeGreaterThanOrEqual(10);
    expect(made).toBeLessThanOrEqual(12);
    reader.dispose();
  });

  it('a caret placed by a user first seen without one is activity; a caret removed (blur) is not', () => {
    const doc = new Y.Doc();
    const t = doc.getText('codemirror');
    t.insert(0, 'line one');
    const reader = new PresenceReader(doc);
    const pos = JSON.parse(JSON.stringify(Y.createRelativePositionFromTypeIndex(t, 2))) as unknown;
    const o = { locations: true, snippet: false };
    // First seen focused-out (the binding publishes its user but no cursor): not activity.
    expect(reader.read(5, { user: { name: 'b' } }, { ...o, now: 1000 }).lastActive).toBeUndefined();
    // Then the editor gets focus and a caret: activity.
    const placed = { user: { name: 'b' }, cursor: { anchor: pos, head: pos } };
    expect(reader.read(5, placed, { ...o, now: 1500 }).lastActive).toBe(1500);
    // Blur (cursor null): not new activity.
    expect(reader.read(5, { user: { name: 'b' }, cursor: null }, { ...o, now: 2000 }).lastActive).toBe(1500);
    reader.dispose();
  });
});

describe('PresenceReader: memoised locations after edits (per-block invalidation)', () => {
  /** A 6-block y-prosemirror document and a caret state (as the binding publishes it) in block `b` at `i`. */
  function setup(): {
    doc: Y.Doc;
    frag: Y.XmlFragment;
    reader: PresenceReader;
    caret: (b: number, i: number) => unknown;
    read: (state: unknown) => ReturnType<PresenceReader['read']>;
  } {
    const doc = new Y.Doc();
    const frag = doc.getXmlFragment('prosemirror');
    for (let i = 0; i < 6; i++) {
      const p = new Y.XmlElement('paragraph');
      const t = new Y.XmlText();
      t.insert(0, `paragraph ${i}`);
      p.insert(0, [t]);
      frag.insert(i, [p]);
    }
    const reader = new PresenceReader(doc, { minIntervalMs: 0 });
    const textOf = (b: number): Y.XmlText => (frag.get(b) as Y.XmlElement).get(0) as Y.XmlText;
    const caret = (b: number, i: number): unknown => {
      const rp = JSON.parse(JSON.stringify(Y.createRelativePositionFromTypeIndex(textOf(b), i))) as unknown;
      return { user: { name: 'a' }, cursor: { anchor: rp, head: JSON.parse(JSON.stringify(rp)) as unknown } };
    };
    let now = 1000;
    const read = (state: unknown): ReturnType<PresenceReader['read']> =>
      reader.read(1, state, { locations: true, snippet: false, now: (now += 10) });
    return { doc, frag, reader, caret, read };
  }

  it('an edit in another block keeps the memo; blocks inserted or deleted above move the caret', () => {
    const { doc, frag, reader, caret, read } = setup();
    const state = caret(3, 4);
    expect(read(state).location).toMatchObject({ block: 3, offset: 4, blocks: 6 });
    expect(reader.resolutions).toBe(1);
    // Typing in block 5 (below the caret) cannot move it: the memoised location stands.
    ((frag.get(5) as Y.XmlElement).get(0) as Y.XmlText).insert(0, 'typed ');
    expect(read(state).location).toMatchObject({ block: 3, offset: 4 });
    expect(reader.resolutions).toBe(1);
    // Two blocks inserted above: same awareness state, new block index.
    frag.insert(0, [new Y.XmlElement('paragraph'), new Y.XmlElement('heading')]);
    expect(read(state).location).toMatchObject({ block: 5, offset: 4, blocks: 8 });
    expect(reader.resolutions).toBe(2);
    // One deleted above.
    frag.delete(1, 1);
    expect(read(state).location).toMatchObject({ block: 4, blocks: 7 });
    reader.dispose();
    doc.destroy();
  });

  it("edits inside the caret's block re-resolve it (offset, enclosing node)", () => {
    const { doc, frag, reader, caret, read } = setup();
    const state = caret(2, 5);
    expect(read(state).location).toMatchObject({ block: 2, offset: 5 });
    const t = (frag.get(2) as Y.XmlElement).get(0) as Y.XmlText;
    t.insert(0, 'abc');
    expect(read(state).location).toMatchObject({ block: 2, offset: 8 });
    // Deleting the block itself: the caret's item is gone from the document.
    frag.delete(2, 1);
    expect(read(state).location).toMatchObject({ state: 'unresolved' });
    reader.dispose();
    doc.destroy();
  });

  it('remote edits (another replica, applied as an update) invalidate the same way', () => {
    const { doc, reader, caret, read } = setup();
    const remote = new Y.Doc();
    Y.applyUpdate(remote, Y.encodeStateAsUpdate(doc));
    const state = caret(4, 1);
    expect(read(state).location).toMatchObject({ block: 4 });
    const rfrag = remote.getXmlFragment('prosemirror');
    // Remote typing in block 0: not this caret's block, memo kept.
    ((rfrag.get(0) as Y.XmlElement).get(0) as Y.XmlText).insert(0, 'x');
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(remote, Y.encodeStateVector(doc)), 'remote');
    expect(read(state).location).toMatchObject({ block: 4 });
    expect(reader.resolutions).toBe(1);
    // Remote block insert above: moved.
    rfrag.insert(1, [new Y.XmlElement('paragraph')]);
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(remote, Y.encodeStateVector(doc)), 'remote');
    expect(read(state).location).toMatchObject({ block: 5, blocks: 7 });
    reader.dispose();
    doc.destroy();
    remote.destroy();
  });

  it('moved(): the clients whose block others moved, without an awareness change; not those merely typed near', () => {
    const { doc, frag, reader, caret, read } = setup();
    const state = caret(3, 2);
    read(state);
    expect(reader.moved({ snippet: false, now: 5000 }).ids).toEqual([]);
    // Typing before the caret in its own block changes the offset, not the block: no re-send.
    ((frag.get(3) as Y.XmlElement).get(0) as Y.XmlText).insert(0, 'zz');
    expect(reader.moved({ snippet: false, now: 5010 }).ids).toEqual([]);
    frag.insert(0, [new Y.XmlElement('paragraph')]);
    expect(reader.moved({ snippet: false, now: 5020 }).ids).toEqual([1]);
    // Re-resolved by the check: the next render is the moved location, from the memo.
    const n = reader.resolutions;
    expect(read(state).location).toMatchObject({ block: 4, offset: 4 });
    expect(reader.resolutions).toBe(n);
    // Nothing changed since: nothing to re-send.
    expect(reader.moved({ snippet: false, now: 5030 }).ids).toEqual([]);
    reader.dispose();
    doc.destroy();
  });

  it('a Y.Text root: any edit may move lines, every caret in it is re-resolved', () => {
    const doc = new Y.Doc();
    const t = doc.getText('codemirror');
    t.insert(0, 'one\ntwo\nthree');
    const reader = new PresenceReader(doc, { minIntervalMs: 0 });
    const rp = JSON.parse(JSON.stringify(Y.createRelativePositionFromTypeIndex(t, 9))) as unknown;
    const state = { cursor: { anchor: rp, head: rp } };
    const o = { locations: true, snippet: false };
    expect(reader.read(1, state, { ...o, now: 1 }).location).toMatchObject({ line: 3, column: 1 });
    t.insert(0, 'zero\n');
    expect(reader.read(1, state, { ...o, now: 2 }).location).toMatchObject({ line: 4, column: 1 });
    expect(reader.moved({ snippet: false, now: 3 }).ids).toEqual([]);
    t.insert(0, 'minus one\n');
    expect(reader.moved({ snippet: false, now: 4 }).ids).toEqual([1]);
    reader.dispose();
    doc.destroy();
  });
});
