/**
 * Recognises an awareness state as one of the editor bindings' conventions (see
 * `AWARENESS_BINDINGS` in the protocol) and reads its positions, pointer, user and activity
 * signals. Pure: no document, no clock, no configuration beyond optional field paths. Bad or lying
 * fields never throw: they give `problem: 'invalid'` (the location is then "unknown").
 */
import type { AwarenessBinding, BindingSignals, Pointer, PresenceFieldPaths } from '@collabblocks/protocol';
import { atPath, bool, finite, hasOwn, isObj, own, relPos, str, type Obj, type RelPos } from './fields.js';

export interface Recognised {
  binding: AwarenessBinding;
  /** Relative positions (text and rich-text bindings): the selection's anchor and head. */
  anchor?: RelPos;
  head?: RelPos;
  /** Canvas pointer with its space. */
  pointer?: Pointer;
  /** Published display name and colour, as sent (bounded): the caller applies scope rules. */
  name?: string;
  color?: string;
  signals?: BindingSignals;
  /**
   * Why there is no position although the convention was recognised: `no-position` (e.g. a
   * blurred editor cleared its cursor) or `invalid` (malformed fields).
   */
  problem?: 'no-position' | 'invalid';
}

const NAME_MAX = 100;
const COLOR_MAX = 32;
const TOOL_MAX = 32;
const PAGE_MAX = 64;
/** Selections counted at most (a huge `selectedElementIds` object is not walked past this). */
const MAX_SELECTED_COUNT = 10_000;

type Positions = Pick<Recognised, 'anchor' | 'head' | 'problem'>;

/** `{anchor, head}` relative positions; a head alone is a caret. */
function anchorHead(anchorRaw: unknown, headRaw: unknown): Positions {
  const a = relPos(anchorRaw);
  const h = relPos(headRaw);
  if (!a.ok || !h.ok) return { problem: 'invalid' };
  const head = h.value ?? a.value;
  const anchor = a.value ?? h.value;
  if (head === null || anchor === null) return { problem: 'no-position' };
  return { anchor, head };
}

function userOf(state: Obj): Pick<Recognised, 'name' | 'color'> {
  const user = own(state, 'user');
  const out: Pick<Recognised, 'name' | 'color'> = {};
  const name = str(own(user, 'name'), NAME_MAX);
  const color = str(own(user, 'color'), COLOR_MAX);
  if (name !== undefined) out.name = name;
  if (color !== undefined) out.color = color;
  return out;
}

const IDLE_STATES: ReadonlySet<string> = new Set(['active', 'idle', 'away']);

function idleOf(v: unknown): BindingSignals['idle'] {
  return typeof v === 'string' && IDLE_STATES.has(v) ? (v as BindingSignals['idle']) : undefined;
}

function countSelected(v: unknown): number | undefined {
  if (Array.isArray(v)) return Math.min(v.length, MAX_SELECTED_COUNT);
  if (!isObj(v)) return undefined;
  // Excalidraw: `{ [elementId]: true }`.
  let n = 0;
  for (const k in v) {
    if (!Object.prototype.hasOwnProperty.call(v, k)) continue;
    if (v[k] === true) n++;
    if (n >= MAX_SELECTED_COUNT) break;
  }
  return n;
}

function withoutUndefined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as Array<keyof T>) if (o[k] === undefined) delete o[k];
  return o;
}

/** @lexical/yjs: flat `anchorPos`, `focusPos`, `name`, `color`, `focusing`, `awarenessData`. */
function lexical(state: Obj): Recognised | undefined {
  if (!hasOwn(state, 'anchorPos') && !hasOwn(state, 'focusPos')) return undefined;
  const focusing = bool(own(state, 'focusing'));
  const pos = anchorHead(own(state, 'anchorPos'), own(state, 'focusPos'));
  const r: Recognised = {
    binding: 'lexical',
    ...pos,
    name: str(own(state, 'name'), NAME_MAX),
    color: str(own(state, 'color'), COLOR_MAX),
  };
  if (focusing !== undefined) r.signals = { focused: focusing };
  return withoutUndefined(r);
}

/** y-monaco: `selection: {anchor, head}`. */
function monaco(state: Obj): Recognised | undefined {
  const sel = own(state, 'selection');
  if (!isObj(sel) || (!hasOwn(sel, 'anchor') && !hasOwn(sel, 'head'))) return undefined;
  return withoutUndefined<Recognised>({
    binding: 'y-monaco',
    ...anchorHead(own(sel, 'anchor'), own(sel, 'head')),
    ...userOf(state),
  });
}

/**
 * y-prosemirror / TipTap / BlockNote / y-codemirror.next / y-quill: `cursor: {anchor, head}`;
 * they set `cursor: null` when the editor loses focus (then recognised by the `user` they publish).
 */
function yjsCursor(state: Obj): Recognised | undefined {
  const cursor = own(state, 'cursor');
  if (isObj(cursor) && (hasOwn(cursor, 'anchor') || hasOwn(cursor, 'head'))) {
    const pos = anchorHead(own(cursor, 'anchor'), own(cursor, 'head'));
    const r: Recognised = { binding: 'yjs-cursor', ...pos, ...userOf(state) };
    if (pos.head) r.signals = { focused: true };
    return withoutUndefined(r);
  }
  if (cursor === null && isObj(own(state, 'user'))) {
    return { binding: 'yjs-cursor', problem: 'no-position', ...userOf(state), signals: { focused: false } };
  }
  return undefined;
}

/** tldraw (yjs example): `presence` = a TLInstancePresence record, page coordinates. */
function tldraw(state: Obj): Recognised | undefined {
  const p = own(state, 'presence');
  if (!isObj(p)) return undefined;
  const typeName = own(p, 'typeName');
  const cursor = own(p, 'cursor');
  if (typeName !== 'instance_presence' && !(isObj(cursor) && hasOwn(p, 'currentPageId'))) return undefined;
  const r: Recognised = {
    binding: 'tldraw',
    name: str(own(p, 'userName'), NAME_MAX),
    color: str(own(p, 'color'), COLOR_MAX),
  };
  const at = finite(own(p, 'lastActivityTimestamp'));
  if (at !== undefined && at >= 0) r.signals = { at };
  const x = finite(own(cursor, 'x'));
  const y = finite(own(cursor, 'y'));
  if (x === undefined || y === undefined) {
    r.problem = cursor === null || cursor === undefined ? 'no-position' : 'invalid';
    return withoutUndefined(r);
  }
  const pointer: Pointer = { x, y, space: 'page' };
  const page = str(own(p, 'currentPageId'), PAGE_MAX);
  if (page !== undefined) pointer.page = page;
  const selected = countSelected(own(p, 'selectedShapeIds'));
  if (selected !== undefined) pointer.selected = selected;
  const cam = own(p, 'camera');
  const cx = finite(own(cam, 'x'));
  const cy = finite(own(cam, 'y'));
  const cz = finite(own(cam, 'z'));
  // tldraw draws page point p at screen (p + camera) * z: the viewport's page origin is -camera.
  if (cx !== undefined && cy !== undefined && cz !== undefined && cz > 0)
    pointer.viewport = { x: -cx, y: -cy, zoom: cz };
  r.pointer = pointer;
  return withoutUndefined(r);
}

/** y-excalidraw: `pointer: {x, y, tool}`, `button`, `selectedElementIds`, `user: {name, color, state}`; scene coordinates. */
function excalidraw(state: Obj): Recognised | undefined {
  const p = own(state, 'pointer');
  if (!isObj(p) || (!hasOwn(p, 'x') && !hasOwn(p, 'y'))) return undefined;
  const r: Recognised = { binding: 'excalidraw', ...userOf(state) };
  const idle = idleOf(own(own(state, 'user'), 'state'));
  if (idle !== undefined) r.signals = { idle };
  const x = finite(own(p, 'x'));
  const y = finite(own(p, 'y'));
  if (x === undefined || y === undefined) return { ...r, problem: 'invalid' };
  const pointer: Pointer = { x, y, space: 'scene' };
  const tool = str(own(p, 'tool'), TOOL_MAX);
  if (tool !== undefined) pointer.tool = tool;
  const button = own(state, 'button');
  if (button === 'down' || button === 'up') pointer.down = button === 'down';
  const selected = countSelected(own(state, 'selectedElementIds'));
  if (selected !== undefined) pointer.selected = selected;
  r.pointer = pointer;
  return r;
}

/** This project's simulator: `cursor: {x, y}` in [0, 1]. */
function unitCursor(state: Obj): Recognised | undefined {
  const c = own(state, 'cursor');
  if (!isObj(c) || !hasOwn(c, 'x') || !hasOwn(c, 'y')) return undefined;
  const x = finite(own(c, 'x'));
  const y = finite(own(c, 'y'));
  const r: Recognised = { binding: 'unit-cursor', ...userOf(state) };
  if (x === undefined || y === undefined) return { ...r, problem: 'invalid' };
  r.pointer = { x, y, space: 'unit' };
  return r;
}

/** Configured field paths (pod config or subscription option). */
export function configured(state: Obj, fields: PresenceFieldPaths): Recognised | undefined {
  const r: Recognised = { binding: 'configured' };
  if (fields.name) {
    const name = str(atPath(state, fields.name), NAME_MAX);
    if (name !== undefined) r.name = name;
  }
  if (fields.color) {
    const color = str(atPath(state, fields.color), COLOR_MAX);
    if (color !== undefined) r.color = color;
  }
  if (fields.head) {
    const headRaw = atPath(state, fields.head);
    const anchorRaw = fields.anchor ? atPath(state, fields.anchor) : undefined;
    if (headRaw === undefined && anchorRaw === undefined && !fields.x) return undefined;
    if (headRaw !== undefined || anchorRaw !== undefined)
      return withoutUndefined<Recognised>({ ...r, ...anchorHead(anchorRaw, headRaw) });
  }
  if (fields.x && fields.y) {
    const xr = atPath(state, fields.x);
    const yr = atPath(state, fields.y);
    if (xr === undefined && yr === undefined) return undefined;
    const x = finite(xr);
    const y = finite(yr);
    if (x === undefined || y === undefined) return { ...r, problem: 'invalid' };
    r.pointer = { x, y, space: fields.space ?? 'configured' };
    return r;
  }
  return undefined;
}

/** Built-in conventions, most specific first (Lexical and tldraw states also carry other keys). */
const CONVENTIONS: ReadonlyArray<(state: Obj) => Recognised | undefined> = [
  lexical,
  tldraw,
  monaco,
  yjsCursor,
  excalidraw,
  unitCursor,
];

/**
 * Recognises one awareness state. Built-in conventions first, then `fields` (pod config /
 * subscription option); otherwise `none` with whatever `user: {name, color}` says.
 */
export function recognise(state: unknown, fields?: PresenceFieldPaths): Recognised {
  if (!isObj(state)) return { binding: 'none' };
  for (const c of CONVENTIONS) {
    const r = c(state);
    if (r) return addIdle(r, state);
  }
  if (fields) {
    const r = configured(state, fields);
    if (r) return addIdle(r, state);
  }
  return addIdle(withoutUndefined<Recognised>({ binding: 'none', ...userOf(state) }), state);
}

/** An awareness `status` of `active`/`idle`/`away` is an idle signal too (the binding's own wins). */
function addIdle(r: Recognised, state: Obj): Recognised {
  if (r.signals?.idle !== undefined) return r;
  const status = own(state, 'status');
  const idle = status === 'editing' ? 'active' : idleOf(status);
  if (idle === undefined) return r;
  return { ...r, signals: { ...r.signals, idle } };
}
