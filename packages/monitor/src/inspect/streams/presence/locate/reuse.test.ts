/**
 * A caret that moves inside one text reuses its block's structure (root, block index, block count,
 * tree path, node names): only its offsets are recomputed, until its root's block list or its block
 * changes. Every reading here is checked against a from-scratch `locate()` (fresh root index, no
 * memo), the oracle the reused locations must equal.
 */
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { relPos, type RelPos } from '../recognise/index.js';
import { locate } from './locate.js';
import { PresenceReader } from './reader.js';
import { RootIndexCache } from './rootIndex.js';

type Positionable = Parameters<typeof Y.createRelativePositionFromTypeIndex>[0];

/** A caret state as y-prosemirror publishes it (JSON over awareness). */
function caretState(t: Positionable, i: number, anchorAt = i): unknown {
  const json = (k: number): unknown =>
    JSON.parse(JSON.stringify(Y.createRelativePositionFromTypeIndex(t, k))) as unknown;
  return { user: { name: 'a' }, cursor: { anchor: json(anchorAt), head: json(i) } };
}

/** The location a fresh resolver gives for that state now. */
function oracle(doc: Y.Doc, state: unknown): unknown {
  const cursor = (state as { cursor: { anchor: unknown; head: unknown } }).cursor;
  const rp = (v: unknown): RelPos => {
    const r = relPos(v);
    if (!r.ok || !r.value) throw new Error('bad position');
    return r.value;
  };
  const cache = new RootIndexCache(doc);
  try {
    return locate(doc, cache, rp(cursor.anchor), rp(cursor.head), { snippet: false });
  } finally {
    cache.dispose();
  }
}

function paragraphs(n: number): { doc: Y.Doc; frag: Y.XmlFragment } {
  const doc = new Y.Doc();
  // Fixed client ids: concurrent inserts order by client id, so the random test replays alike.
  doc.clientID = 1;
  const frag = doc.getXmlFragment('prosemirror');
  for (let i = 0; i < n; i++) {
    const p = new Y.XmlElement('paragraph');
    const t = new Y.XmlText();
    t.insert(0, `paragraph ${i} text`);
    p.insert(0, [t]);
    frag.insert(i, [p]);
  }
  return { doc, frag };
}

const textIn = (el: Y.XmlElement): Y.XmlText =>
  el.toArray().find((c): c is Y.XmlText => c instanceof Y.XmlText) as Y.XmlText;

describe('PresenceReader: a caret moving inside a text reuses its block structure', () => {
  it('reuses while nothing structural changed; re-resolves after blocks inserted above or below, nesting inside its block, a rename', () => {
    const { doc, frag } = paragraphs(5);
    const reader = new PresenceReader(doc, { minIntervalMs: 0 });
    let now = 0;
    const p2 = frag.get(2) as Y.XmlElement;
    let t = textIn(p2);
    const read = (state: unknown): unknown => {
      const loc = reader.read(1, state, { locations: true, snippet: false, now: (now += 10) }).location;
      expect(loc).toEqual(oracle(doc, state));
      return loc;
    };
    expect(read(caretState(t, 1))).toMatchObject({ block: 2, offset: 1, nodePath: '/prosemirror/2/0' });
    expect(reader.reuses).toBe(0);
    // Moves inside the same text: offsets only.
    expect(read(caretState(t, 2))).toMatchObject({ block: 2, offset: 2 });
    expect(read(caretState(t, 5, 2))).toMatchObject({ block: 2, offset: 5, selection: 3 });
    expect(reader.reuses).toBe(2);
    // Typing in another block: still reused (that block is not this caret's).
    textIn(frag.get(4) as Y.XmlElement).insert(0, 'typed ');
    read(caretState(t, 6));
    expect(reader.reuses).toBe(3);

    // A block inserted above: block index and count moved.
    frag.insert(0, [new Y.XmlElement('heading')]);
    expect(read(caretState(t, 7))).toMatchObject({ block: 3, blocks: 6, offset: 7 });
    expect(reader.reuses).toBe(3);
    read(caretState(t, 8));
    expect(reader.reuses).toBe(4);
    // A block appended below: the count moved, the index did not.
    frag.insert(6, [new Y.XmlElement('paragraph')]);
    expect(read(caretState(t, 9))).toMatchObject({ block: 3, blocks: 7 });
    expect(reader.reuses).toBe(4);

    // A node inserted before the caret's text inside its own block: the tree path moved.
    p2.insert(0, [new Y.XmlElement('image')]);
    expect(read(caretState(t, 10))).toMatchObject({ block: 3, nodePath: '/prosemirror/3/1' });
    expect(reader.reuses).toBe(4);
    read(caretState(t, 11));
    expect(reader.reuses).toBe(5);

    // The caret moves into another block: that block's structure, then reused there.
    t = textIn(frag.get(5) as Y.XmlElement);
    expect(read(caretState(t, 1))).toMatchObject({ block: 5, nodePath: '/prosemirror/5/0' });
    expect(reader.reuses).toBe(5);
    read(caretState(t, 2));
    expect(reader.reuses).toBe(6);
    // Its block deleted: unresolved, no structure to reuse afterwards.
    frag.delete(5, 1);
    expect(read(caretState(t, 3))).toMatchObject({ state: 'unresolved' });
    reader.dispose();
    doc.destroy();
  });

  it('Lexical: a node renamed (its __type) is a change in the caret block, not reused', () => {
    const doc = new Y.Doc();
    const root = doc.get('root', Y.XmlText);
    const paras: Y.XmlText[] = [];
    for (let i = 0; i < 3; i++) {
      const p = new Y.XmlText();
      root.insertEmbed(i, p);
      p.setAttribute('__type', 'paragraph');
      p.insert(0, `para ${i}`);
      paras.push(p);
    }
    const reader = new PresenceReader(doc, { minIntervalMs: 0 });
    const p1 = paras[1] as Y.XmlText;
    let now = 0;
    const read = (state: unknown): unknown => {
      const loc = reader.read(1, state, { locations: true, snippet: false, now: (now += 10) }).location;
      expect(loc).toEqual(oracle(doc, state));
      return loc;
    };
    expect(read(caretState(p1, 1))).toMatchObject({ block: 1, nodeName: 'paragraph' });
    read(caretState(p1, 2));
    expect(reader.reuses).toBe(1);
    p1.setAttribute('__type', 'heading');
    expect(read(caretState(p1, 3))).toMatchObject({ block: 1, nodeName: 'heading', path: ['heading'] });
    expect(reader.reuses).toBe(1);
    reader.dispose();
    doc.destroy();
  });

  it('random edits from two replicas, local and remote: every reading equals a fresh resolution', () => {
    // Deterministic pseudo-random sequence (mulberry32), so a failure reproduces.
    let seed = 0x5eed;
    const rnd = (): number => {
      seed = (seed + 0x6d2b79f5) | 0;
      let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
      return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
    };
    const pick = (n: number): number => Math.floor(rnd() * n);
    const { doc, frag } = paragraphs(8);
    const remote = new Y.Doc();
    remote.clientID = 2;
    Y.applyUpdate(remote, Y.encodeStateAsUpdate(doc));
    const sync = (): void => {
      Y.applyUpdate(doc, Y.encodeStateAsUpdate(remote, Y.encodeStateVector(doc)), 'remote');
      Y.applyUpdate(remote, Y.encodeStateAsUpdate(doc, Y.encodeStateVector(remote)), 'remote');
    };
    const reader = new PresenceReader(doc, { minIntervalMs: 0 });
    const carets = [0, 1, 2].map((c) => ({ id: c + 1, block: (c * 3) % 8, offset: 1 }));
    let now = 0;
    for (let step = 0; step < 400; step++) {
      const side = rnd() < 0.5 ? frag : remote.getXmlFragment('prosemirror');
      const n = side.length;
      const op = rnd();
      if (op < 0.08 && n < 20)
        side.insert(pick(n + 1), [new Y.XmlElement(rnd() < 0.5 ? 'heading' : 'paragraph')]);
      else if (op < 0.12 && n > 4) side.delete(pick(n), 1);
      else if (op < 0.16 && n > 0) {
        const el = side.get(pick(n));
        if (el instanceof Y.XmlElement) el.insert(0, [new Y.XmlElement('image')]);
      } else if (op < 0.4 && n > 0) {
        const el = side.get(pick(n));
        const t = el instanceof Y.XmlElement ? textIn(el) : undefined;
        if (t) t.insert(pick(t.length + 1), 'xy');
      }
      if (rnd() < 0.5) sync();
      for (const c of carets) {
        const len = frag.length;
        if (len === 0) break;
        if (rnd() < 0.1) c.block = pick(len);
        c.block = Math.min(c.block, len - 1);
        const el = frag.get(c.block);
        const t = el instanceof Y.XmlElement ? textIn(el) : undefined;
        if (!t) continue;
        c.offset = Math.min(t.length, c.offset + 1) % (t.length + 1);
        const state = caretState(t, c.offset, rnd() < 0.2 ? pick(t.length + 1) : c.offset);
        const loc = reader.read(c.id, state, { locations: true, snippet: false, now: (now += 10) }).location;
        expect(loc, `step ${step}, client ${c.id}`).toEqual(oracle(doc, state));
      }
    }
    // The sequence exercised the reuse and the invalidations both (here 190 reuses of 289 resolutions).
    expect(reader.reuses).toBeGreaterThan(100);
    expect(reader.resolutions - reader.reuses).toBeGreaterThan(50);
    reader.dispose();
    doc.destroy();
    remote.destroy();
  });
});
