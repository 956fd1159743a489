/**
 * CodeMirror (y-codemirror.next, Y.Text `codemirror`: lines of code, `cursor: {anchor, head}`,
 * `user: {name, color, colorLight}`) and Quill (y-quill, Y.Text `quill`: a delta with inline
 * attributes — bold, italic, link — block attributes on the newline — header — and image embeds).
 */
import type * as Y from 'yjs';
import { randomWord } from '../names.js';
import type { BotContext, Profile } from './types.js';
import { relPosJSON } from './relpos.js';

const KEYWORDS = ['const', 'let', 'return', 'if', 'for', 'await', 'function', 'export'];

function trim(t: Y.Text, max: number, ctx: BotContext): void {
  if (t.length <= max) return;
  const cut = t.length - max;
  t.delete(0, cut);
  ctx.caret.index = Math.max(0, ctx.caret.index - cut);
}

function cursorState(t: Y.Text, ctx: BotContext, user: Record<string, unknown>): Record<string, unknown> {
  if (ctx.status === 'away') return { user, cursor: null };
  const head = Math.min(ctx.caret.index, t.length);
  const anchor = Math.max(0, head - ctx.caret.length);
  return { user, cursor: { anchor: relPosJSON(t, anchor), head: relPosJSON(t, head) } };
}

export const codemirrorProfile: Profile = {
  name: 'codemirror',
  edit(doc, ctx) {
    const t = doc.getText('codemirror');
    doc.transact(() => {
      const c = ctx.caret;
      c.index = Math.min(c.index, t.length);
      const r = ctx.rng.next();
      const s =
        r < 0.15
          ? '\n'
          : r < 0.3
            ? `${KEYWORDS[ctx.rng.int(KEYWORDS.length)] as string} `
            : `${randomWord(ctx.rng)}${ctx.rng.chance(0.2) ? '();' : ' '}`;
      t.insert(c.index, s);
      c.index += s.length;
      c.length = ctx.rng.chance(0.1) ? Math.min(c.index, 1 + ctx.rng.int(8)) : 0;
      trim(t, ctx.limits.maxTextChars, ctx);
    }, 'sim');
    return 'text';
  },
  awareness(doc, ctx) {
    return cursorState(doc.getText('codemirror'), ctx, {
      name: ctx.name,
      color: ctx.color,
      colorLight: `${ctx.color}33`,
    });
  },
};

export const quillProfile: Profile = {
  name: 'quill',
  edit(doc, ctx) {
    const t = doc.getText('quill');
    doc.transact(() => {
      const c = ctx.caret;
      c.index = Math.min(c.index, t.length);
      const r = ctx.rng.next();
      if (r < 0.65) {
        const w = `${randomWord(ctx.rng)} `;
        // Quill inserts with the attributes active at the caret (bold while typing bold).
        const attrs = ctx.rng.chance(0.15)
          ? { bold: true }
          : ctx.rng.chance(0.05)
            ? { italic: true }
            : undefined;
        t.insert(c.index, w, attrs);
        c.index += w.length;
      } else if (r < 0.8) {
        t.insert(c.index, '\n');
        // A header line now and then: Quill puts block formats on the newline.
        if (ctx.rng.chance(0.3)) t.format(c.index, 1, { header: 1 + ctx.rng.int(2) });
        c.index += 1;
      } else if (r < 0.93 && t.length > 6) {
        const from = ctx.rng.int(t.length - 5);
        t.format(from, 4, ctx.rng.chance(0.5) ? { bold: true } : { link: 'https://example.com/doc' });
      } else {
        t.insertEmbed(c.index, { image: 'https://example.com/figure.png' });
        c.index += 1;
      }
      trim(t, ctx.limits.maxTextChars, ctx);
    }, 'sim');
    return 'text';
  },
  awareness(doc, ctx) {
    return cursorState(doc.getText('quill'), ctx, { name: ctx.name, color: ctx.color });
  },
};
