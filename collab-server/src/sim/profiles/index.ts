import { applyEdit, chooseEditKind } from '../content.js';
import { excalidrawProfile, tldrawProfile } from './canvas.js';
import { lexicalProfile } from './lexical.js';
import { prosemirrorProfile, tiptapProfile } from './richText.js';
import { codemirrorProfile, quillProfile } from './text.js';
import type { Profile, ProfileName } from './types.js';

export {
  PROFILE_NAMES,
  newCaret,
  profileOfRoom,
  type BotCaret,
  type BotContext,
  type Profile,
  type ProfileName,
} from './types.js';

/** This project's own conventions: maps, arrays, text and an outline; `cursor: {x, y}` in [0, 1]. */
const simProfile: Profile = {
  name: 'sim',
  edit(doc, ctx) {
    const kind = chooseEditKind(ctx.rng);
    applyEdit(doc, kind, ctx.rng, ctx.author, ctx.limits);
    return kind;
  },
  awareness(_doc, ctx) {
    const round4 = (v: number): number => Math.round(v * 10_000) / 10_000;
    return {
      user: { name: ctx.name, color: ctx.color },
      cursor: { x: round4(ctx.point.x), y: round4(ctx.point.y) },
      status: ctx.status,
    };
  },
};

export const PROFILES: Record<ProfileName, Profile> = {
  sim: simProfile,
  prosemirror: prosemirrorProfile,
  tiptap: tiptapProfile,
  codemirror: codemirrorProfile,
  quill: quillProfile,
  lexical: lexicalProfile,
  tldraw: tldrawProfile,
  excalidraw: excalidrawProfile,
};
