/**
 * Colour helpers: a stable per-user palette index (hash of the user id) and a
 * small colour parser for the heatmap colour lookup table. Pure, no theme
 * access: the caller passes the resolved palette.
 */

/** FNV-1a 32-bit hash of a string (stable across reloads and engines). */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** Index into a palette of `size` colours for a user id; the same id always gets the same index. */
export function paletteIndex(userId: string, size: number): number {
  if (!Number.isInteger(size) || size < 1) {
    throw new Error(`palette size must be a positive integer, got ${size}`);
  }
  return hashString(userId) % size;
}

/** The palette colour of a user id. */
export function colorForUser(userId: string, palette: readonly string[]): string {
  const c = palette[paletteIndex(userId, palette.length)];
  if (c === undefined) throw new Error('empty palette');
  return c;
}

export interface Rgba {
  r: number;
  g: number;
  b: number;
  a: number;
}

const HEX = /^#([0-9a-f]{3,8})$/i;
const RGB = /^rgba?\(\s*([\d.]+)[\s,]+([\d.]+)[\s,]+([\d.]+)(?:[\s,/]+([\d.]+%?))?\s*\)$/i;

/** Parses `#rgb`, `#rrggbb`, `#rrggbbaa`, `rgb()` and `rgba()`; undefined for anything else. */
export function parseColor(text: string): Rgba | undefined {
  const s = text.trim();
  const hex = HEX.exec(s);
  if (hex) {
    let h = hex[1] ?? '';
    if (h.length === 3 || h.length === 4) {
      h = h
        .split('')
        .map((c) => c + c)
        .join('');
    }
    if (h.length !== 6 && h.length !== 8) return undefined;
    const n = (i: number) => parseInt(h.slice(i, i + 2), 16);
    return { r: n(0), g: n(2), b: n(4), a: h.length === 8 ? n(6) / 255 : 1 };
  }
  const rgb = RGB.exec(s);
  if (rgb) {
    const ch = (v: string | undefined) => Math.max(0, Math.min(255, Math.round(Number(v))));
    const alpha = rgb[4];
    let a = 1;
    if (alpha !== undefined) a = alpha.endsWith('%') ? parseFloat(alpha) / 100 : Number(alpha);
    return { r: ch(rgb[1]), g: ch(rgb[2]), b: ch(rgb[3]), a: Math.max(0, Math.min(1, a)) };
  }
  return undefined;
}
