/**
 * Flatten for windowing: the rows currently shown (pre-order), given the set
 * of expanded paths, and optionally a filter (only visible paths, all of them
 * open but those in `collapsed` — the filter's own collapse state, so the saved
 * expansion is left alone while filtering). Rows are plain paths; the renderer
 * looks the node up.
 */
import type { TreeModel } from './model';

export interface FlatRows {
  paths: string[];
  depths: Int32Array;
  /** 1-based position of each row among its shown siblings (aria-posinset). */
  pos: Int32Array;
  /** Number of shown siblings of each row, itself included (aria-setsize). */
  size: Int32Array;
}

/**
 * Which nodes are open (children shown): with a filter, all but those in `collapsed` (the filter's own
 * collapse state); without one, those in `expanded`.
 */
export function openRule(
  expanded: ReadonlySet<string>,
  filter?: ReadonlySet<string>,
  collapsed?: ReadonlySet<string>
): (path: string) => boolean {
  return filter ? (p) => !collapsed?.has(p) : (p) => expanded.has(p);
}

export function flattenTree(
  model: TreeModel,
  expanded: ReadonlySet<string>,
  filter?: ReadonlySet<string>,
  collapsed?: ReadonlySet<string>
): FlatRows {
  const isOpen = openRule(expanded, filter, collapsed);
  const paths: string[] = [];
  // Rows ≤ nodes: fill preallocated arrays, hand out views of the filled part.
  const cap = model.nodes.size;
  const depths = new Int32Array(cap);
  const pos = new Int32Array(cap);
  const size = new Int32Array(cap);
  // The stack holds parallel entries: path, depth, position, sibling count.
  const sp: string[] = [];
  const sd: number[] = [];
  const si: number[] = [];
  const sn: number[] = [];
  const pushKids = (list: readonly string[] | undefined, d: number) => {
    if (!list) return;
    const kids = filter ? list.filter((p) => filter.has(p)) : list;
    for (let i = kids.length - 1; i >= 0; i--) {
      sp.push(kids[i] as string);
      sd.push(d);
      si.push(i + 1);
      sn.push(kids.length);
    }
  };
  pushKids(model.childrenOf.get(''), 0);
  while (sp.length > 0) {
    const p = sp.pop() as string;
    const d = sd.pop() as number;
    const i = si.pop() as number;
    const n = sn.pop() as number;
    const r = paths.length;
    if (r >= cap) break;
    paths.push(p);
    depths[r] = d;
    pos[r] = i;
    size[r] = n;
    if (isOpen(p)) pushKids(model.childrenOf.get(p), d + 1);
  }
  const rows = paths.length;
  return {
    paths,
    depths: depths.subarray(0, rows),
    pos: pos.subarray(0, rows),
    size: size.subarray(0, rows),
  };
}

/** Paths expanded by default: every node with children up to `depth` levels (0 = none). */
export function defaultExpanded(model: TreeModel, depth: number): Set<string> {
  const out = new Set<string>();
  if (depth <= 0) return out;
  const stack: Array<[string, number]> = (model.childrenOf.get('') ?? []).map((p) => [p, 1]);
  while (stack.length > 0) {
    const [p, d] = stack.pop() as [string, number];
    const kids = model.childrenOf.get(p);
    if (!kids || kids.length === 0) continue;
    out.add(p);
    if (d < depth) for (const k of kids) stack.push([k, d + 1]);
  }
  return out;
}

/** Every ancestor of `path` in the model (not the path itself), nearest first; stops at a root. */
export function ancestorsOf(model: TreeModel, path: string): string[] {
  const out: string[] = [];
  let p = model.nodes.get(path)?.parent;
  while (p !== undefined && p !== '' && p !== path && model.nodes.has(p) && out.length < model.nodes.size) {
    out.push(p);
    p = model.nodes.get(p)?.parent;
  }
  return out;
}
