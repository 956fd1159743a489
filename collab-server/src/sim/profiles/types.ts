/**
 * Simulator profiles: each writes a room's document and its bots' awareness the way one real
 * editor binding does (ProseMirror/TipTap XML, CodeMirror text, Quill deltas, Lexical nodes,
 * tldraw and Excalidraw canvases), so a pod fed by the simulator shows rooms of every kind.
 */
import type * as Y from 'yjs';
import type { EditKind, EditLimits } from '../content.js';
import type { Point, PresenceStatus } from '../presence.js';
import type { Rng } from '../random.js';

export const PROFILE_NAMES = [
  'sim',
  'prosemirror',
  'tiptap',
  'codemirror',
  'quill',
  'lexical',
  'tldraw',
  'excalidraw',
] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];

/** A bot's own state inside its profile (its caret, what it last touched). */
export interface BotCaret {
  /** Top-level block / line the bot types in, and its offset there. */
  block: number;
  offset: number;
  /** Selection length (0: a caret). */
  length: number;
  /** Text profiles: the caret as an index into the text. */
  index: number;
  /** Canvas profiles: ids of the shapes / elements the bot created or selected. */
  selected: string[];
}

export interface BotContext {
  rng: Rng;
  name: string;
  color: string;
  /** `<org>/<room>` of the bot. */
  room: string;
  caret: BotCaret;
  limits: EditLimits;
  /** The bot's pointer in [0, 1] (canvas profiles scale it to page / scene coordinates). */
  point: Point;
  status: PresenceStatus;
  now: number;
  /** Simulator author name for the `sim` profile (its caret lives there). */
  author: { name: string; caret: number };
}

export interface Profile {
  name: ProfileName;
  /** One edit as the binding writes it (one transaction); the kind for the simulator's counters. */
  edit(doc: Y.Doc, ctx: BotContext): EditKind;
  /** The awareness state the binding publishes for this bot now. */
  awareness(doc: Y.Doc, ctx: BotContext): Record<string, unknown>;
}

export function newCaret(): BotCaret {
  return { block: 0, offset: 0, length: 0, index: 0, selected: [] };
}

/** The profile of a room: a stable hash of its id over the chosen profiles. */
export function profileOfRoom(roomId: string, profiles: readonly ProfileName[]): ProfileName {
  let h = 2166136261;
  const base = roomId.replace(/-v\d+$/, '');
  for (let i = 0; i < base.length; i++) h = Math.imul(h ^ base.charCodeAt(i), 16777619) >>> 0;
  return profiles[h % profiles.length] as ProfileName;
}
