/**
 * Lexical (@lexical/yjs): root XmlText `root` holding element nodes as embedded XmlTexts whose
 * attributes carry `__type` (`paragraph`, `heading` + `__tag`), each holding text nodes as an
 * embedded Y.Map (`__type: 'text'`, `__format`, `__style`, `__mode`, `__detail`) followed by the
 * node's characters. Awareness: flat `anchorPos` / `focusPos` / `name` / `color` / `focusing` /
 * `awarenessData`.
 */
import * as Y from 'yjs';
import { randomWord } from '../names.js';
import type { Profile } from './types.js';
import { relPosJSON } from './relpos.js';

function element(kind: 'paragraph' | 'heading', text: string, format = 0): Y.XmlText {
  const el = new Y.XmlText();
  el.setAttribute('__type', kind);
  if (kind === 'heading') el.setAttribute('__tag', 'h2');
  el.setAttribute('__format', 0 as unknown as string);
  el.setAttribute('__indent', 0 as unknown as string);
  el.setAttribute('__dir', 'ltr');
  const node = new Y.Map<unknown>();
  el.insertEmbed(0, node);
  node.set('__type', 'text');
  node.set('__format', format);
  node.set('__style', '');
  node.set('__mode', 0);
  node.set('__detail', 0);
  el.insert(1, text);
  return el;
}

/** The element nodes of the root, in order. */
function elements(root: Y.XmlText): Y.XmlText[] {
  const out: Y.XmlText[] = [];
  for (let it = root._start; it !== null; it = it.right) {
    if (!it.deleted && it.content instanceof Y.ContentType && it.content.type instanceof Y.XmlText)
      out.push(it.content.type);
  }
  return out;
}

export const lexicalProfile: Profile = {
  name: 'lexical',
  edit(doc, ctx) {
    const root = doc.get('root', Y.XmlText);
    doc.transact(() => {
      let els = elements(root);
      if (els.length === 0) {
        root.insertEmbed(0, element('heading', `${randomWord(ctx.rng)} ${randomWord(ctx.rng)}`));
        root.insertEmbed(1, element('paragraph', randomWord(ctx.rng)));
        return;
      }
      const c = ctx.caret;
      c.block = Math.min(c.block, els.length - 1);
      const el = els[c.block] as Y.XmlText;
      if (ctx.rng.chance(0.8)) {
        // Characters go after the text node's map (offset 1 in the element's XmlText).
        const w = ` ${randomWord(ctx.rng)}`;
        c.offset = Math.min(Math.max(1, c.offset), el.length);
        el.insert(c.offset, w);
        c.offset += w.length;
      } else {
        root.insertEmbed(
          c.block + 1,
          element(
            ctx.rng.chance(0.2) ? 'heading' : 'paragraph',
            randomWord(ctx.rng),
            ctx.rng.chance(0.3) ? 1 : 0
          )
        );
        c.block += 1;
        c.offset = 1;
      }
      els = elements(root);
      if (els.length > Math.max(8, ctx.limits.maxXmlNodes * 2)) {
        root.delete(0, 1);
        c.block = Math.max(0, c.block - 1);
      }
    }, 'sim');
    return 'xml';
  },
  awareness(doc, ctx) {
    const root = doc.get('root', Y.XmlText);
    const els = elements(root);
    const el = els[Math.min(ctx.caret.block, els.length - 1)];
    const focusing = ctx.status !== 'away' && el !== undefined;
    const base = { name: ctx.name, color: ctx.color, focusing, awarenessData: {} };
    if (!focusing || !el) return { ...base, anchorPos: null, focusPos: null };
    const head = Math.min(ctx.caret.offset, el.length);
    return { ...base, anchorPos: relPosJSON(el, head), focusPos: relPosJSON(el, head) };
  },
};
