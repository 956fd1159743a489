import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { rootsOf, stripValue, walkDoc, type WalkContext } from './treeWalk.js';

const ctx: WalkContext = { clientTime: () => undefined, lastChange: new WeakMap() };

function byPath(doc: Y.Doc): Map<string, ReturnType<typeof walkDoc> extends Generator<infer W> ? W : never> {
  return new Map([...walkDoc(doc, ctx)].map((w) => [w.node.path, w]));
}

describe('tree: documents as editor bindings write them', () => {
  it('ProseMirror/TipTap XML: node names first, attributes, text runs with marks', () => {
    const doc = new Y.Doc();
    const frag = doc.getXmlFragment('default');
    const h = new Y.XmlElement('heading');
    const p = new Y.XmlElement('paragraph');
    const t = new Y.XmlText();
    frag.insert(0, [h, p]);
    h.setAttribute('level', 2 as unknown as string);
    h.setAttribute('textAlign', 'left');
    p.insert(0, [t]);
    t.insert(0, 'plain bold link');
    t.format(6, 4, { bold: true });
    t.format(11, 4, { link: { href: 'https://example.com' } });
    const nodes = byPath(doc);
    expect(nodes.get('/default')?.node).toMatchObject({ type: 'XmlFragment', binding: 'tiptap' });
    expect(nodes.get('/default/0')?.node).toMatchObject({
      nodeName: 'heading',
      attrs: { level: 2, textAlign: 'left' },
      attrKeys: ['level', 'textAlign'],
    });
    const text = nodes.get('/default/1/0')?.node;
    expect(text?.runs).toEqual([
      { length: 6, text: 'plain ' },
      { length: 4, text: 'bold', marks: ['bold'] },
      { length: 1, text: ' ' },
      { length: 4, text: 'link', marks: ['link'], values: { link: { href: 'https://example.com' } } },
    ]);
    // Metadata scope: structure only — no text, no string values.
    const meta = stripValue(text as NonNullable<typeof text>);
    expect(meta.value).toBeUndefined();
    expect(meta.runs).toEqual([
      { length: 6 },
      { length: 4, marks: ['bold'] },
      { length: 1 },
      { length: 4, marks: ['link'] },
    ]);
    expect(JSON.stringify(meta)).not.toContain('plain');
    expect(stripValue(nodes.get('/default/0')?.node as NonNullable<typeof text>).attrs).toEqual({ level: 2 });
  });

  it('Quill: formatting attributes and embeds as runs; the root is recognised', () => {
    const doc = new Y.Doc();
    const t = doc.getText('quill');
    t.insert(0, 'Title\n');
    t.format(5, 1, { header: 1 });
    t.insertEmbed(6, { image: 'https://example.com/a.png' });
    t.insert(7, '\n');
    const root = rootsOf(doc, ctx)[0]?.node;
    expect(root).toMatchObject({ binding: 'quill', embeds: 1 });
    expect(root?.runs).toEqual([
      { length: 5, text: 'Title' },
      { length: 1, text: '\n', marks: ['header'], values: { header: 1 } },
      { length: 1, embed: 'image' },
      { length: 1, text: '\n' },
    ]);
  });

  it('Lexical: root XmlText with element nodes as children, named by __type', () => {
    const doc = new Y.Doc();
    const root = doc.get('root', Y.XmlText);
    const para = new Y.XmlText();
    root.insertEmbed(0, para);
    para.setAttribute('__type', 'paragraph');
    const textNode = new Y.Map();
    para.insertEmbed(0, textNode);
    textNode.set('__type', 'text');
    textNode.set('__format', 1);
    para.insert(1, 'hello');
    const nodes = byPath(doc);
    expect(nodes.get('/root')?.node).toMatchObject({ binding: 'lexical', children: 1 });
    expect(nodes.get('/root/0')?.node).toMatchObject({ type: 'XmlText', nodeName: 'paragraph', children: 1 });
    expect(nodes.get('/root/0')?.node.runs).toEqual([
      { length: 1, embed: 'text' },
      { length: 5, text: 'hello' },
    ]);
    expect(nodes.get('/root/0/0')?.node).toMatchObject({ type: 'Map', nodeName: 'text' });
  });

  it('subdocuments are listed as Doc nodes with their guid', () => {
    const doc = new Y.Doc();
    doc.getMap('pages').set('p1', new Y.Doc({ guid: 'page-1-guid' }));
    expect(byPath(doc).get('/pages/p1')?.node).toMatchObject({
      type: 'Doc',
      guid: 'page-1-guid',
      shouldLoad: true,
    });
  });
});
