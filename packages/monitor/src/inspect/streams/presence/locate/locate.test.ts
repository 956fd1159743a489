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
  it('resolves at most once per interval per client, memoises, tracks activity', () => {
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
    // Moved within the interval: the previous location and a retry time.
    const r2 = reader.read(7, state(12), { ...o, now: 1020 });
    expect(r2).toMatchObject({ location: { line: 1 }, retryAt: 1100, lastActive: 1020 });
    expect(reader.resolutions).toBe(1);
    const r3 = reader.read(7, state(12), { ...o, now: 1100 });
    expect(r3.location).toMatchObject({ line: 2, column: 3 });
    expect(reader.resolutions).toBe(2);
    // A document update from the client is activity too.
    reader.noteEdit(7, 2000);
    expect(reader.read(7, state(12), { ...o, now: 2001 })).toMatchObject({
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
});
