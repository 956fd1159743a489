import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { plainCssColor } from './fields.js';
import { recognise } from './recognise.js';

function fixture(name: string): unknown[] {
  const f = JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), 'utf8')) as {
    states: unknown[];
  };
  return f.states;
}

/** A relative position as the bindings publish it: Yjs builds it, the awareness protocol JSON-encodes it. */
function published(
  type: Parameters<typeof Y.createRelativePositionFromTypeIndex>[0],
  index: number
): unknown {
  return JSON.parse(JSON.stringify(Y.createRelativePositionFromTypeIndex(type, index))) as unknown;
}

describe('recognise: the bindings without configuration', () => {
  const doc = new Y.Doc();
  const text = doc.getText('codemirror');
  text.insert(0, 'hello\nworld');

  it('yjs-cursor (y-prosemirror, TipTap, y-codemirror.next, y-quill): cursor {anchor, head}', () => {
    const state = {
      user: { name: 'Ann', color: '#30bced', colorLight: '#30bced33' },
      cursor: { anchor: published(text, 2), head: published(text, 4) },
    };
    const r = recognise(state);
    expect(r).toMatchObject({
      binding: 'yjs-cursor',
      name: 'Ann',
      color: '#30bced',
      signals: { focused: true },
    });
    expect(r.head?.item).toEqual({ client: doc.clientID, clock: 4 });
    expect(r.anchor?.item).toEqual({ client: doc.clientID, clock: 2 });
    // relativePositionToJSON omits the null fields; the end of a root type is a tname position.
    const end = Y.relativePositionToJSON(Y.createRelativePositionFromTypeIndex(text, text.length)) as unknown;
    expect(recognise({ cursor: { anchor: end, head: end } }).head).toEqual({ tname: 'codemirror', assoc: 0 });
  });

  it('yjs-cursor after blur: cursor null with a user is "no position", focused false', () => {
    expect(recognise({ user: { name: 'Ann', color: '#fff' }, cursor: null })).toEqual({
      binding: 'yjs-cursor',
      problem: 'no-position',
      name: 'Ann',
      color: '#fff',
      signals: { focused: false },
    });
  });

  it('y-monaco: selection {anchor, head}', () => {
    const [s] = fixture('monaco');
    expect(recognise(s)).toMatchObject({ binding: 'y-monaco', name: 'Ann', head: { item: { clock: 2 } } });
  });

  it('lexical: flat anchorPos / focusPos / name / color / focusing', () => {
    const [focused, blurred] = fixture('lexical');
    expect(recognise(focused)).toMatchObject({
      binding: 'lexical',
      name: 'Cat',
      color: 'rgb(125, 50, 0)',
      anchor: { item: { client: 1001, clock: 6 } },
      head: { item: { client: 1001, clock: 9 } },
      signals: { focused: true },
    });
    expect(recognise(blurred)).toMatchObject({
      binding: 'lexical',
      problem: 'no-position',
      signals: { focused: false },
    });
  });

  it('tldraw: presence record, page coordinates, camera, page, selection, activity time', () => {
    const [active, idle] = fixture('tldraw');
    expect(recognise(active)).toEqual({
      binding: 'tldraw',
      name: 'New User',
      color: '#FF802B',
      signals: { at: 1733500000000 },
      pointer: {
        x: 812.5,
        y: -244.25,
        space: 'page',
        page: 'page:page',
        selected: 2,
        viewport: { x: 120, y: -80, zoom: 0.5 },
      },
    });
    expect(recognise(idle)).toMatchObject({ binding: 'tldraw', problem: 'no-position' });
  });

  it('excalidraw: pointer {x, y, tool}, button, selectedElementIds, user.state', () => {
    const [down, away] = fixture('excalidraw');
    expect(recognise(down)).toEqual({
      binding: 'excalidraw',
      name: 'Bea',
      color: '#4c6ef5',
      signals: { idle: 'active' },
      pointer: { x: 1520.75, y: 990.5, space: 'scene', tool: 'pointer', down: true, selected: 2 },
    });
    expect(recognise(away)).toMatchObject({
      signals: { idle: 'away' },
      pointer: { tool: 'laser', down: false },
    });
  });

  it('the simulator: cursor {x, y} in [0, 1]; a status word is an idle signal', () => {
    expect(recognise({ user: { name: 'Bot' }, cursor: { x: 0.25, y: 0.5 }, status: 'editing' })).toEqual({
      binding: 'unit-cursor',
      name: 'Bot',
      pointer: { x: 0.25, y: 0.5, space: 'unit' },
      signals: { idle: 'active' },
    });
  });

  it('configured field paths for an app of its own; built-ins still win', () => {
    const fields = { head: 'sel.h', anchor: 'sel.a', name: 'who.n' };
    const state = { who: { n: 'Zed' }, sel: { a: published(text, 1), h: published(text, 3) } };
    expect(recognise(state)).toEqual({ binding: 'none' });
    expect(recognise(state, fields)).toMatchObject({
      binding: 'configured',
      name: 'Zed',
      head: { item: { clock: 3 } },
    });
    expect(recognise({ p: { x: 10, y: -5 } }, { x: 'p.x', y: 'p.y', space: 'scene' })).toEqual({
      binding: 'configured',
      pointer: { x: 10, y: -5, space: 'scene' },
    });
    // Field paths never reach prototype properties.
    expect(recognise({}, { head: '__proto__.constructor' })).toEqual({ binding: 'none' });
  });
});

describe('recognise: states recorded from the real bindings in Chromium', () => {
  const recorded = JSON.parse(readFileSync(new URL('./fixtures/chromium.json', import.meta.url), 'utf8')) as {
    states: Record<string, unknown[]>;
  };
  it.each(Object.entries(recorded.states))('%s', (_, states) => {
    expect(states.length).toBeGreaterThan(0);
    for (const s of states) {
      const r = recognise(s);
      expect(r).toMatchObject({ binding: 'yjs-cursor', signals: { focused: true } });
      expect(r.head?.item).toBeDefined();
      expect(r.name).toMatch(/^[A-Z][a-z]+$/);
    }
  });
});

describe('recognise: bad or lying fields give "invalid", never an exception', () => {
  const good = { item: { client: 1, clock: 2 }, assoc: 0 };
  const badPositions: unknown[] = [
    'cursor',
    42,
    [],
    { item: { client: Number.NaN, clock: 1 } },
    { item: { client: 1, clock: -1 } },
    { item: { client: 1.5, clock: 1 } },
    { item: { client: '1', clock: 1 } },
    { item: { client: 1, clock: 2 ** 60 } },
    { item: { client: 1, clock: 2 }, assoc: 'left' },
    { item: { client: 1, clock: 2 }, assoc: 0.5 },
    { tname: 'x'.repeat(129) },
    { tname: 7 },
    {},
    { type: null, tname: null, item: null },
  ];
  it.each(badPositions.map((p) => [JSON.stringify(p) ?? String(p), p]))('cursor head %s', (_, p) => {
    expect(recognise({ cursor: { anchor: good, head: p } })).toMatchObject({
      binding: 'yjs-cursor',
      problem: 'invalid',
    });
    expect(recognise({ selection: { anchor: p, head: good } })).toMatchObject({
      binding: 'y-monaco',
      problem: 'invalid',
    });
    expect(recognise({ anchorPos: p, focusPos: good, focusing: true })).toMatchObject({ problem: 'invalid' });
  });

  it('pointers with NaN, strings or Infinity', () => {
    for (const x of [Number.NaN, '12', Number.POSITIVE_INFINITY, null, { deep: 1 }]) {
      expect(recognise({ pointer: { x, y: 1 } })).toMatchObject({
        binding: 'excalidraw',
        problem: 'invalid',
      });
      expect(recognise({ cursor: { x, y: 1 } })).toMatchObject({
        binding: 'unit-cursor',
        problem: 'invalid',
      });
      expect(recognise({ presence: { typeName: 'instance_presence', cursor: { x, y: 1 } } })).toMatchObject({
        binding: 'tldraw',
        problem: 'invalid',
      });
    }
  });

  it('huge objects and odd values are bounded', () => {
    const many: Record<string, boolean> = {};
    for (let i = 0; i < 50_000; i++) many[`e${i}`] = true;
    const r = recognise({
      pointer: { x: 1, y: 2 },
      selectedElementIds: many,
      user: { name: 'n'.repeat(10_000) },
    });
    expect(r.pointer?.selected).toBe(10_000);
    expect(r.name).toHaveLength(100);
    for (const s of [
      null,
      undefined,
      'str',
      5,
      [],
      [1, 2],
      { cursor: 'x' },
      { presence: 'x' },
      { user: 'x' },
    ])
      expect(() => recognise(s)).not.toThrow();
    expect(recognise({ cursor: 'x' })).toEqual({ binding: 'none' });
    expect(recognise(JSON.parse('{"__proto__": {"cursor": {"x": 1, "y": 1}}}'))).toEqual({ binding: 'none' });
  });

  it('plain CSS colours only', () => {
    for (const c of [
      '#abc',
      '#aabbcc',
      '#aabbccdd',
      'rgb(1, 2, 3)',
      'hsl(120deg 50% 50%)',
      'rgba(1,2,3,0.5)',
    ])
      expect(plainCssColor(c)).toBe(c);
    for (const c of [
      'red',
      'Ann Smith',
      'url(x)',
      '#ggg',
      'rgb(1,2)',
      'expression(alert(1))',
      5,
      '#' + 'a'.repeat(40),
    ])
      expect(plainCssColor(c)).toBeUndefined();
  });
});
