import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { UpdateSummarySchema } from '@collabblocks/protocol';
import { LineIndex } from './lineIndex.js';
import { lineFields, summarizeUpdate } from './updateSummary.js';
import { change } from './change.testutil.js';

/** A CodeMirror-shaped document: Y.Text `codemirror` of `n` lines `line i`. */
function codeDoc(n: number): { doc: Y.Doc; text: Y.Text } {
  const doc = new Y.Doc();
  const text = doc.getText('codemirror');
  text.insert(0, Array.from({ length: n }, (_, i) => `line ${i}`).join('\n'));
  return { doc, text };
}

/** Offset of the start of 0-based line `l` of `text`. */
function lineStart(text: Y.Text, l: number): number {
  const s = text.toString();
  let at = 0;
  for (let i = 0; i < l; i++) at = s.indexOf('\n', at) + 1;
  return at;
}

describe('update summaries: the Y.Text lines an update touched', () => {
  it('typing inside a line touches that line only', () => {
    const { doc, text } = codeDoc(10);
    const d = summarizeUpdate(
      change(doc, () => text.insert(lineStart(text, 6) + 2, 'xy')),
      doc,
      false
    );
    expect(d.lines).toEqual([{ path: '/codemirror', from: 6, to: 6 }]);
    expect(lineFields(d)).toEqual({ lines: [{ path: '/codemirror', from: 6, to: 6 }] });
  });

  it('Enter at a line end touches that line and the new one; a paste its span', () => {
    const { doc, text } = codeDoc(5);
    const enter = summarizeUpdate(
      change(doc, () => text.insert(lineStart(text, 3) - 1, '\n')),
      doc,
      false
    );
    // The break was inserted at the end of line 2 (before its own '\n'): lines 2 and 3.
    expect(enter.lines).toEqual([{ path: '/codemirror', from: 2, to: 3 }]);
    const paste = summarizeUpdate(
      change(doc, () => text.insert(lineStart(text, 1), 'a\nb\nc\n')),
      doc,
      false
    );
    expect(paste.lines).toEqual([{ path: '/codemirror', from: 1, to: 4 }]);
  });

  it('a delete touches the line where it stood; several edits merge per line, in order', () => {
    const { doc, text } = codeDoc(8);
    const del = summarizeUpdate(
      change(doc, () => text.delete(lineStart(text, 4), 3)),
      doc,
      false
    );
    expect(del.lines).toEqual([{ path: '/codemirror', from: 4, to: 4 }]);
    const multi = summarizeUpdate(
      change(doc, () =>
        doc.transact(() => {
          text.insert(lineStart(text, 7), 'z');
          text.insert(lineStart(text, 1), 'a');
          text.insert(lineStart(text, 2), 'b');
        })
      ),
      doc,
      false
    );
    expect(multi.lines).toEqual([
      { path: '/codemirror', from: 1, to: 2 },
      { path: '/codemirror', from: 7, to: 7 },
    ]);
  });

  it('on a pod-shaped document (roots nobody typed: plain AbstractTypes) as on a typed one', () => {
    const { doc: editor, text } = codeDoc(10);
    const pod = new Y.Doc();
    Y.applyUpdate(pod, Y.encodeStateAsUpdate(editor));
    const u = change(editor, () => text.insert(lineStart(text, 7) + 1, 'k'));
    Y.applyUpdate(pod, u);
    expect(pod.share.get('codemirror')?.constructor).toBe(Y.AbstractType);
    expect(summarizeUpdate(u, pod, false).lines).toEqual([{ path: '/codemirror', from: 7, to: 7 }]);
    // Read only: the root stays untyped.
    expect(pod.share.get('codemirror')?.constructor).toBe(Y.AbstractType);
  });

  it('lines are those of the document read: a later edit above moves an earlier update down', () => {
    const { doc, text } = codeDoc(4);
    const u = change(doc, () => text.insert(lineStart(text, 2), 'q'));
    text.insert(0, 'new\nlines\n');
    expect(summarizeUpdate(u, doc, false).lines).toEqual([{ path: '/codemirror', from: 4, to: 4 }]);
  });

  it('Quill formatting over lines touches the formatted span', () => {
    const doc = new Y.Doc();
    const t = doc.getText('quill');
    t.insert(0, 'a\nbb\nccc\ndddd\n');
    const d = summarizeUpdate(
      change(doc, () => t.format(3, 6, { bold: true })),
      doc,
      false
    );
    expect(d.inserted).toBe(0);
    expect(d.lines).toEqual([{ path: '/quill', from: 1, to: 2 }]);
  });

  it('XmlFragment and map updates carry no lines; the summary validates against the protocol', () => {
    const doc = new Y.Doc();
    const frag = doc.getXmlFragment('prosemirror');
    const p = new Y.XmlElement('paragraph');
    const xt = new Y.XmlText();
    frag.insert(0, [p]);
    p.insert(0, [xt]);
    const d = summarizeUpdate(
      change(doc, () => xt.insert(0, 'a\nb')),
      doc,
      false
    );
    expect(d.lines).toEqual([]);
    expect(lineFields(d)).toEqual({});
    const m = summarizeUpdate(
      change(doc, () => doc.getMap('m').set('k', 1)),
      doc,
      false
    );
    expect(m.lines).toEqual([]);
    const { doc: cd, text } = codeDoc(3);
    const s = summarizeUpdate(
      change(cd, () => text.insert(0, 'x')),
      cd,
      false
    );
    const summary = {
      ts: 1,
      clientId: s.clientId,
      origin: 'client',
      bytes: 1,
      inserted: 1,
      deleted: 0,
      paths: s.paths,
      ...lineFields(s),
    };
    expect(UpdateSummarySchema.safeParse(summary).success).toBe(true);
  });

  it('a small batch walks, a large one indexes each text once; both give the same lines', () => {
    const { doc, text } = codeDoc(60);
    const at = Array.from({ length: 50 }, (_, i) => i + 5);
    const updates = at.map((l) => change(doc, () => text.insert(lineStart(text, l), '!')));
    const small = new LineIndex();
    expect(updates.slice(0, 3).map((u) => summarizeUpdate(u, doc, false, small).lines[0]?.from)).toEqual([
      5, 6, 7,
    ]);
    expect(small.builds).toBe(0);
    const large = new LineIndex();
    expect(updates.map((u) => summarizeUpdate(u, doc, false, large).lines[0]?.from)).toEqual(at);
    expect(large.builds).toBe(1);
  });

  it('bounded: a text over the item bound carries no lines; many ranges are truncated', () => {
    const { doc, text } = codeDoc(100);
    const u = change(doc, () => text.insert(lineStart(text, 5), 'x'));
    const small = new LineIndex(1);
    expect(summarizeUpdate(u, doc, false, small).lines).toEqual([]);
    const wide = change(doc, () =>
      doc.transact(() => {
        for (let l = 0; l < 100; l += 3) text.insert(lineStart(text, l), 'y');
      })
    );
    const d = summarizeUpdate(wide, doc, false);
    expect(d.lines).toHaveLength(16);
    expect(d.linesTruncated).toBe(true);
    expect(lineFields(d).linesTruncated).toBe(true);
  });
});
