/**
 * How a rich-text document reads in the tree: XML elements by node name first, attributes second
 * (`<heading level=2>`), text as formatting runs with their marks (bold, italic, link…) and embeds —
 * Quill deltas, ProseMirror/TipTap marks and Lexical's text nodes alike. Parses the frame's JSON
 * columns defensively: anything malformed reads as nothing, never as an error.
 */

export interface Run {
  length: number;
  /** Content scope only. */
  text?: string;
  marks: string[];
  /** Content scope: mark values other than `true` (a link's href). */
  values?: Record<string, unknown>;
  embed?: string;
}

const MAX_RUNS = 200;

/** The attributes of a node, sorted by key ([] when none or malformed). */
export function parseAttrs(json: string): Array<[string, string | number | boolean | null]> {
  if (!json) return [];
  try {
    const v: unknown = JSON.parse(json);
    if (!v || typeof v !== 'object' || Array.isArray(v)) return [];
    const out: Array<[string, string | number | boolean | null]> = [];
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (x === null || typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean')
        out.push([k, x]);
    }
    return out.sort((a, b) => a[0].localeCompare(b[0]));
  } catch {
    return [];
  }
}

/** Formatting runs ([] when none or malformed); bounded. */
export function parseRuns(json: string): Run[] {
  if (!json) return [];
  try {
    const v: unknown = JSON.parse(json);
    if (!Array.isArray(v)) return [];
    const out: Run[] = [];
    for (const r of v.slice(0, MAX_RUNS)) {
      if (!r || typeof r !== 'object') continue;
      const o = r as Record<string, unknown>;
      const length =
        typeof o.length === 'number' && Number.isFinite(o.length) && o.length >= 0 ? o.length : 0;
      const marks = Array.isArray(o.marks)
        ? o.marks.filter((m): m is string => typeof m === 'string').slice(0, 16)
        : [];
      const run: Run = { length, marks };
      if (typeof o.text === 'string') run.text = o.text;
      if (typeof o.embed === 'string') run.embed = o.embed;
      if (o.values && typeof o.values === 'object' && !Array.isArray(o.values))
        run.values = o.values as Record<string, unknown>;
      out.push(run);
    }
    return out;
  } catch {
    return [];
  }
}

function attrValue(v: string | number | boolean | null): string {
  return typeof v === 'string' ? JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v) : String(v);
}

/** `<heading level=2 id="x">`: the element's name, then its attributes; '' when it has no name. */
export function elementTag(nodeName: string, attrsJson: string): string {
  if (!nodeName) return '';
  const attrs = parseAttrs(attrsJson);
  return `<${nodeName}${attrs.map(([k, v]) => ` ${k}=${attrValue(v)}`).join('')}>`;
}

/**
 * Marks used in the runs with the characters each covers, largest first: "bold 5 · link 6 · 1 embed
 * (image)" — the metadata-scope reading (no text), also the tooltip in content scope.
 */
export function marksSummary(runs: readonly Run[]): string {
  const by = new Map<string, number>();
  const embeds = new Map<string, number>();
  for (const r of runs) {
    if (r.embed) embeds.set(r.embed, (embeds.get(r.embed) ?? 0) + 1);
    for (const m of r.marks) by.set(m, (by.get(m) ?? 0) + r.length);
  }
  const parts = [...by].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([m, n]) => `${m} ${n}`);
  const e = [...embeds].reduce((n, [, c]) => n + c, 0);
  if (e > 0) parts.push(`${e} ${e === 1 ? 'embed' : 'embeds'} (${[...embeds.keys()].join(', ')})`);
  return parts.join(' · ');
}

/** CSS for a run's marks (bold, italic, underline, strike, code, link; Quill `header`/`list` stay plain). */
export function markStyle(marks: readonly string[]): {
  fontWeight?: number;
  fontStyle?: string;
  textDecoration?: string;
  fontFamily?: string;
} {
  const s: { fontWeight?: number; fontStyle?: string; textDecoration?: string; fontFamily?: string } = {};
  const deco: string[] = [];
  for (const m of marks) {
    const k = m.toLowerCase();
    if (k === 'bold' || k === 'strong') s.fontWeight = 700;
    else if (k === 'italic' || k === 'em') s.fontStyle = 'italic';
    else if (k === 'underline' || k === 'link') deco.push('underline');
    else if (k === 'strike' || k === 'strikethrough') deco.push('line-through');
    else if (k === 'code') s.fontFamily = 'monospace';
  }
  if (deco.length) s.textDecoration = [...new Set(deco)].join(' ');
  return s;
}

/** Text the filter searches besides path, key, type and value: node name, attributes, marks, run text. */
export function searchableText(n: {
  nodeName: string;
  attrs: string;
  runs: string;
  binding: string;
}): string {
  let s = n.nodeName;
  if (n.attrs) s += ` ${n.attrs}`;
  if (n.binding) s += ` ${n.binding}`;
  if (n.runs) {
    for (const r of parseRuns(n.runs)) {
      s += ` ${r.marks.join(' ')}`;
      if (r.embed) s += ` ${r.embed}`;
      if (r.text) s += ` ${r.text}`;
    }
  }
  return s.toLowerCase();
}
