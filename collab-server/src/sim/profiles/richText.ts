/**
 * ProseMirror (y-prosemirror, root `prosemirror`) and TipTap (root `default`): an XmlFragment of
 * headings (attribute `level`), paragraphs and bullet lists (bulletList > listItem > paragraph), text
 * in XmlTexts with marks as format attributes (`{strong: {}}` / TipTap `{bold: {}}`, `{em: {}}`),
 * as y-prosemirror writes a ProseMirror document; awareness `cursor: {anchor, head}` + `user`.
 */
import * as Y from 'yjs';
import { randomWord } from '../names.js';
import type { BotContext, Profile, ProfileName } from './types.js';
import { relPosJSON } from './relpos.js';

interface Names {
  root: string;
  heading: string;
  paragraph: string;
  list: string;
  item: string;
  bold: string;
  italic: string;
}

const PROSEMIRROR: Names = {
  root: 'prosemirror',
  heading: 'heading',
  paragraph: 'paragraph',
  list: 'bullet_list',
  item: 'list_item',
  bold: 'strong',
  italic: 'em',
};
const TIPTAP: Names = {
  root: 'default',
  heading: 'heading',
  paragraph: 'paragraph',
  list: 'bulletList',
  item: 'listItem',
  bold: 'bold',
  italic: 'italic',
};

function block(n: Names, kind: 'heading' | 'paragraph' | 'list', text: string, level = 2): Y.XmlElement {
  const t = new Y.XmlText();
  t.insert(0, text);
  if (kind === 'list') {
    const list = new Y.XmlElement(n.list);
    const item = new Y.XmlElement(n.item);
    const p = new Y.XmlElement(n.paragraph);
    p.insert(0, [t]);
    item.insert(0, [p]);
    list.insert(0, [item]);
    return list;
  }
  const el = new Y.XmlElement(kind === 'heading' ? n.heading : n.paragraph);
  el.insert(0, [t]);
  if (kind === 'heading') el.setAttribute('level', level as unknown as string);
  return el;
}

/** The XmlText a bot types into in top-level block `i` (the first text inside it). */
function textOf(el: Y.XmlElement | Y.XmlText | undefined): Y.XmlText | undefined {
  let cur: unknown = el;
  for (let depth = 0; depth < 4 && cur instanceof Y.XmlElement; depth++) cur = cur.get(0);
  return cur instanceof Y.XmlText ? cur : undefined;
}

function words(ctx: BotContext, n: number): string {
  return Array.from({ length: n }, () => randomWord(ctx.rng)).join(' ');
}

function richText(name: ProfileName, n: Names): Profile {
  const maxBlocks = (ctx: BotContext): number => Math.max(8, ctx.limits.maxXmlNodes * 2);
  return {
    name,
    edit(doc, ctx) {
      const frag = doc.getXmlFragment(n.root);
      doc.transact(() => {
        if (frag.length === 0) {
          frag.insert(0, [block(n, 'heading', words(ctx, 3), 1), block(n, 'paragraph', words(ctx, 8))]);
          return;
        }
        const c = ctx.caret;
        c.block = Math.min(c.block, frag.length - 1);
        const el = frag.get(c.block) as Y.XmlElement | undefined;
        const t = textOf(el);
        const r = ctx.rng.next();
        if (t && r < 0.7) {
          const w = `${randomWord(ctx.rng)} `;
          c.offset = Math.min(c.offset, t.length);
          t.insert(c.offset, w);
          c.offset += w.length;
        } else if (t && r < 0.8 && t.length > 4) {
          const from = ctx.rng.int(t.length - 3);
          t.format(from, 3, { [ctx.rng.chance(0.6) ? n.bold : n.italic]: {} });
        } else {
          const kind = ctx.rng.chance(0.15) ? 'heading' : ctx.rng.chance(0.3) ? 'list' : 'paragraph';
          frag.insert(c.block + 1, [block(n, kind, words(ctx, 2), 2 + ctx.rng.int(2))]);
          c.block += 1;
          c.offset = 0;
        }
        while (frag.length > maxBlocks(ctx)) {
          frag.delete(0, 1);
          c.block = Math.max(0, c.block - 1);
        }
      }, 'sim');
      return 'xml';
    },
    awareness(doc, ctx) {
      const user = { name: ctx.name, color: ctx.color };
      const frag = doc.getXmlFragment(n.root);
      const t = textOf(frag.get(Math.min(ctx.caret.block, frag.length - 1)) as Y.XmlElement | undefined);
      if (!t || ctx.status === 'away') return { user, cursor: null };
      const head = Math.min(ctx.caret.offset, t.length);
      const anchor = Math.max(0, head - ctx.caret.length);
      return { user, cursor: { anchor: relPosJSON(t, anchor), head: relPosJSON(t, head) } };
    },
  };
}

export const prosemirrorProfile = richText('prosemirror', PROSEMIRROR);
export const tiptapProfile = richText('tiptap', TIPTAP);
