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
}

export function flattenTree(
  model: TreeModel,
  expanded: ReadonlySet<string>,
  filter?: ReadonlySet<string>,
  collapsed?: ReadonlySet<string>
): FlatRows {
  const paths: string[] = [];
  const depthList: number[] = [];
  const roots = model.childrenOf.get('') ?? [];
  const stack: Array<[string, number]> = [];
  for (let i = roots.length - 1; i >= 0; i--) stack.push([roots[i] as string, 0]);
  while (stack.length > 0) {
    const [p, d] = stack.pop() as [string, number];
    if (filter && !filter.has(p)) continue;
    paths.push(p);
    depthList.push(d);
    const open = filter ? !collapsed?.has(p) : expanded.has(p);
    if (!open) continue;
    const kids = model.childrenOf.get(p);
    if (kids) for (let i = kids.length - 1; i >= 0; i--) stack.push([kids[i] as string, d + 1]);
  }
  return { paths, depths: Int32Array.from(depthList) };
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
