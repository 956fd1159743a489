import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { formatFields, summarizeUpdate } from './updateSummary.js';
import { change } from './change.testutil.js';

describe('update summaries: formatting is not inserting', () => {
  it('"formatted 4 chars bold": no inserts, one format op', () => {
    const doc = new Y.Doc();
    const t = doc.getText('quill');
    t.insert(0, 'plain bold text');
    const u = change(doc, () => t.format(6, 4, { bold: true }));
    const d = summarizeUpdate(u, doc, true);
    expect(d).toMatchObject({
      inserted: 0,
      formatted: 4,
      formats: [{ path: '/quill', key: 'bold', length: 4 }],
    });
    expect(formatFields(d, false)).toEqual({
      formatted: 4,
      formats: [{ path: '/quill', key: 'bold', length: 4 }],
    });
  });

  it('removing a mark, a link value (content only), ProseMirror XmlText, embeds', () => {
    const doc = new Y.Doc();
    const frag = doc.getXmlFragment('prosemirror');
    const p = new Y.XmlElement('paragraph');
    const xt = new Y.XmlText();
    frag.insert(0, [p]);
    p.insert(0, [xt]);
    xt.insert(0, 'some linked words', { bold: true });
    const off = summarizeUpdate(
      change(doc, () => xt.format(0, 4, { bold: null })),
      doc,
      true
    );
    expect(off).toMatchObject({
      inserted: 0,
      formatted: 4,
      formats: [{ path: '/prosemirror/0/0', key: 'bold', removed: true }],
    });
    const link = summarizeUpdate(
      change(doc, () => xt.format(5, 6, { link: { href: 'https://x.test' } })),
      doc,
      true
    );
    expect(link.formats[0]).toMatchObject({ key: 'link', length: 6, value: { href: 'https://x.test' } });
    expect(formatFields(link, false).formats?.[0]).toEqual({
      path: '/prosemirror/0/0',
      key: 'link',
      length: 6,
    });
    const t = doc.getText('quill');
    const emb = summarizeUpdate(
      change(doc, () => t.insertEmbed(0, { image: 'a.png' })),
      doc,
      false
    );
    expect(emb).toMatchObject({ inserted: 1, embeds: 1, formatted: 0 });
  });

  it('typing plain text reports no formats', () => {
    const doc = new Y.Doc();
    const t = doc.getText('codemirror');
    const d = summarizeUpdate(
      change(doc, () => t.insert(0, 'abc')),
      doc,
      false
    );
    expect(d).toMatchObject({ inserted: 3, formatted: 0, formats: [] });
    expect(formatFields(d, false)).toEqual({});
  });
});
