/** The presence-location benches' document: a y-prosemirror-shaped XmlFragment of `blocks` headings and paragraphs. */
import * as Y from 'yjs';

export function seedProseBlocks(doc: Y.Doc, blocks: number): void {
  const frag = doc.getXmlFragment('prosemirror');
  doc.transact(() => {
    const els: Y.XmlElement[] = [];
    for (let i = 0; i < blocks; i++) {
      const el = new Y.XmlElement(i % 10 === 0 ? 'heading' : 'paragraph');
      const t = new Y.XmlText();
      t.insert(0, `block ${i} with some words in it`);
      el.insert(0, [t]);
      els.push(el);
    }
    frag.insert(0, els);
  });
}
