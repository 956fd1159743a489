/**
 * Plain-language text for revision-2 document structure, shared by the datasource (log bodies) and the
 * CRDT panel (update list, flashes): formatting operations ("formatted 12 chars bold") and published
 * user colours. One implementation, so the same update reads the same everywhere.
 */
import type { FormatOp } from './inspect/bindings.js';

/**
 * "formatted 12 chars bold, 3 chars link; unformatted 4 chars italic": per mark key, the characters
 * given (or, `removed`, cleared of) it, largest first; '' when there are none. At most `limit` keys
 * per side, then "+N more".
 */
export function describeFormats(
  formats: readonly Pick<FormatOp, 'key' | 'length' | 'removed'>[],
  limit = 4
): string {
  const add = new Map<string, number>();
  const del = new Map<string, number>();
  for (const f of formats) {
    if (!f || typeof f.key !== 'string' || !Number.isFinite(f.length) || f.length < 0) continue;
    const m = f.removed === true ? del : add;
    m.set(f.key, (m.get(f.key) ?? 0) + f.length);
  }
  const side = (verb: string, m: Map<string, number>): string => {
    if (m.size === 0) return '';
    const list = [...m].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    const shown = list.slice(0, limit).map(([k, n]) => `${n} ${n === 1 ? 'char' : 'chars'} ${k}`);
    const more = list.length > limit ? `, +${list.length - limit} more` : '';
    return `${verb} ${shown.join(', ')}${more}`;
  };
  return [side('formatted', add), side('unformatted', del)].filter((s) => s !== '').join('; ');
}

/**
 * A plain CSS colour as the inspect protocol lets metadata scope carry it (`#rgb`, `#rgba`, `#rrggbb`,
 * `#rrggbbaa`, `rgb()/rgba()/hsl()/hsla()` of numbers): anything else (names, urls, expressions) is not
 * drawn, so a published colour can never inject text or styles.
 */
export function isPlainCssColor(v: unknown): v is string {
  if (typeof v !== 'string' || v.length > 32) return false;
  if (/^#(?:[0-9a-f]{3,4}|[0-9a-f]{6}|[0-9a-f]{8})$/i.test(v)) return true;
  return /^(?:rgb|rgba|hsl|hsla)\(\s*-?[0-9.]+%?(?:deg)?\s*(?:[,\s]\s*-?[0-9.]+%?\s*){2}(?:[,/]\s*[0-9.]+%?\s*)?\)$/i.test(
    v
  );
}
