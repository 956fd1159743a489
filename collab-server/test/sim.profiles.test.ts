// Simulator profiles write what the real bindings write: every profile's awareness is recognised as
// its binding's convention by the pod's recognisers, text/rich-text carets resolve to document
// locations, and the root types are recognised as that editor's.
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { PresenceReader, walkDoc } from '@collabblocks/monitor';
import { DEFAULT_LIMITS } from '../src/sim/content.js';
import { parseProfiles } from '../src/sim/config.js';
import {
  newCaret,
  PROFILES,
  PROFILE_NAMES,
  profileOfRoom,
  type BotContext,
  type ProfileName,
} from '../src/sim/profiles/index.js';
import { createRng } from '../src/sim/random.js';

const EXPECTED: Record<ProfileName, { binding: string; root?: string; space?: string }> = {
  sim: { binding: 'unit-cursor', space: 'unit' },
  prosemirror: { binding: 'yjs-cursor', root: 'prosemirror' },
  tiptap: { binding: 'yjs-cursor', root: 'tiptap' },
  codemirror: { binding: 'yjs-cursor', root: 'codemirror' },
  quill: { binding: 'yjs-cursor', root: 'quill' },
  lexical: { binding: 'lexical', root: 'lexical' },
  tldraw: { binding: 'tldraw', root: 'tldraw', space: 'page' },
  excalidraw: { binding: 'excalidraw', root: 'excalidraw', space: 'scene' },
};

function ctxFor(room: string, seed: string): BotContext {
  return {
    rng: createRng(seed),
    name: 'Ada Bot',
    color: '#e03131',
    room,
    caret: newCaret(),
    limits: DEFAULT_LIMITS,
    point: { x: 0.4, y: 0.6 },
    status: 'editing',
    now: 1_700_000_000_000,
    author: { name: 'Ada Bot', caret: 0 },
  };
}

describe('simulator profiles', () => {
  it.each(PROFILE_NAMES.map((p) => [p]))('%s: recognised and located like the real binding', (name) => {
    const profile = PROFILES[name];
    const doc = new Y.Doc();
    const ctx = ctxFor('acme/roadmap', `profile:${name}`);
    for (let i = 0; i < 120; i++) profile.edit(doc, ctx);
    const reader = new PresenceReader(doc, { minIntervalMs: 0 });
    const state = profile.awareness(doc, ctx);
    // What the wire carries: awareness states are JSON.
    const wire = JSON.parse(JSON.stringify(state)) as unknown;
    const r = reader.read(1, wire, { locations: true, snippet: false, now: 1 });
    const want = EXPECTED[name];
    expect(r.recognised.binding).toBe(want.binding);
    if (want.space) expect(r.recognised.pointer?.space).toBe(want.space);
    else expect(r.location).toMatchObject({ state: 'resolved' });
    if (want.root) {
      const roots = [...walkDoc(doc, { clientTime: () => undefined, lastChange: new WeakMap() })].filter(
        (w) => w.node.depth === 1
      );
      expect(roots.map((w) => w.node.binding)).toContain(want.root);
    }
    // Documents stay bounded.
    expect(Y.encodeStateAsUpdate(doc).byteLength).toBeLessThan(200_000);
    reader.dispose();
  });

  it('rich text writes headings, lists and marks', () => {
    const doc = new Y.Doc();
    const ctx = ctxFor('acme/notes', 'rich');
    for (let i = 0; i < 200; i++) PROFILES.tiptap.edit(doc, ctx);
    const nodes = [...walkDoc(doc, { clientTime: () => undefined, lastChange: new WeakMap() })].map(
      (w) => w.node
    );
    expect(nodes.some((n) => n.nodeName === 'heading' && typeof n.attrs?.level === 'number')).toBe(true);
    expect(nodes.some((n) => n.nodeName === 'listItem')).toBe(true);
    expect(nodes.some((n) => n.runs?.some((r) => r.marks?.includes('bold')))).toBe(true);
  });

  it('rooms get a stable profile; --profile takes mix or a list', () => {
    expect(profileOfRoom('acme/plan-v3', PROFILE_NAMES)).toBe(profileOfRoom('acme/plan', PROFILE_NAMES));
    const seen = new Set(
      Array.from({ length: 64 }, (_, i) => profileOfRoom(`acme/room-${i}`, PROFILE_NAMES))
    );
    expect(seen.size).toBe(PROFILE_NAMES.length);
    expect(parseProfiles('mix')).toEqual([...PROFILE_NAMES]);
    expect(parseProfiles('quill, tldraw')).toEqual(['quill', 'tldraw']);
    expect(() => parseProfiles('word')).toThrow(/unknown profile "word"/);
  });
});
