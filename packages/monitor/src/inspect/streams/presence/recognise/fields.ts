/**
 * Defensive readers of awareness state fields. An awareness state is whatever a client chose to
 * send: every reader here returns a value of the expected shape or `undefined`, never throws, and
 * only reads own properties (no prototype keys, no deep walks of huge objects).
 */

/** Largest Yjs client id / clock accepted in a relative position (lib0 encodes them as safe integers). */
const MAX_ID = Number.MAX_SAFE_INTEGER;
/** Longest root type name accepted in a relative position. */
const MAX_TNAME = 128;
const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'prototype', 'constructor']);

export type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Own property `key` of `v` when `v` is a plain object. */
export function own(v: unknown, key: string): unknown {
  if (!isObj(v) || FORBIDDEN_KEYS.has(key) || !Object.prototype.hasOwnProperty.call(v, key)) return undefined;
  return v[key];
}

export function hasOwn(v: unknown, key: string): boolean {
  return isObj(v) && Object.prototype.hasOwnProperty.call(v, key);
}

/** A dotted path (`presence.cursor.x`) of own properties. */
export function atPath(v: unknown, path: string): unknown {
  let cur: unknown = v;
  for (const seg of path.split('.')) {
    cur = own(cur, seg);
    if (cur === undefined) return undefined;
  }
  return cur;
}

export function finite(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

export function str(v: unknown, max: number): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v.slice(0, max) : undefined;
}

export function bool(v: unknown): boolean | undefined {
  return typeof v === 'boolean' ? v : undefined;
}

/** Yjs struct id `{client, clock}`. */
export interface IdJSON {
  client: number;
  clock: number;
}

/**
 * A `Y.RelativePosition` as JSON (what `JSON.stringify(relPos)` and `Y.relativePositionToJSON`
 * give): `item` (the struct right of the position), or `type` (a nested type's id) / `tname` (a root
 * name) for the end or start of a type; `assoc` < 0 associates with the left character.
 */
export interface RelPos {
  item?: IdJSON;
  type?: IdJSON;
  tname?: string;
  assoc: number;
}

function id(v: unknown): IdJSON | undefined | null {
  if (v === null || v === undefined) return null;
  const client = own(v, 'client');
  const clock = own(v, 'clock');
  if (
    typeof client !== 'number' ||
    typeof clock !== 'number' ||
    !Number.isInteger(client) ||
    !Number.isInteger(clock) ||
    client < 0 ||
    clock < 0 ||
    client > MAX_ID ||
    clock > MAX_ID
  )
    return undefined;
  return { client, clock };
}

/** Outcome of reading a position field: a position, none (null/absent), or malformed. */
export type Read<T> = { ok: true; value: T | null } | { ok: false };

/** Reads a relative position JSON; `null`/absent is "no position", anything malformed is `{ok: false}`. */
export function relPos(v: unknown): Read<RelPos> {
  if (v === null || v === undefined) return { ok: true, value: null };
  if (!isObj(v)) return { ok: false };
  const item = id(own(v, 'item'));
  const type = id(own(v, 'type'));
  const tnameRaw = own(v, 'tname');
  const assocRaw = own(v, 'assoc');
  if (item === undefined || type === undefined) return { ok: false };
  if (
    tnameRaw !== undefined &&
    tnameRaw !== null &&
    (typeof tnameRaw !== 'string' || tnameRaw.length > MAX_TNAME)
  )
    return { ok: false };
  const assoc = assocRaw === undefined || assocRaw === null ? 0 : assocRaw;
  if (typeof assoc !== 'number' || !Number.isInteger(assoc)) return { ok: false };
  const tname = typeof tnameRaw === 'string' ? tnameRaw : undefined;
  // Exactly one anchor: an item, else a nested type, else a root name.
  if (item !== null) return { ok: true, value: { item, assoc } };
  if (type !== null) return { ok: true, value: { type, assoc } };
  if (tname !== undefined) return { ok: true, value: { tname, assoc } };
  return { ok: false };
}

const HEX = /^#(?:[0-9a-fA-F]{3,4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$/;
const FUNC = /^(?:rgb|rgba|hsl|hsla)\(\s*-?[\d.]+(?:deg|%)?(?:\s*[,\s/]\s*-?[\d.]+%?){2,3}\s*\)$/;

/** A plain CSS colour (`#rgb[a]`, `#rrggbb[aa]`, `rgb()/rgba()/hsl()/hsla()` of numbers): safe in metadata scope. */
export function plainCssColor(v: unknown): string | undefined {
  if (typeof v !== 'string' || v.length > 32) return undefined;
  const s = v.trim();
  return HEX.test(s) || FUNC.test(s) ? s : undefined;
}
