/**
 * JSON export of a subtree: Maps become objects, Arrays/XML children arrays,
 * Text the text (content scope) — leaves the JSON value. Without values
 * (metadata scope) a node becomes `{ "$type", "$size" }`. The whole model
 * (path '') is an object of its roots: root types by name, a subtree's root
 * (parent not in the model) by its absolute path.
 */
import type { TreeModel, TreeNodeModel } from './model';

const LIST_TYPES = new Set(['Array', 'XmlFragment', 'XmlElement']);

function leafValue(n: TreeNodeModel): unknown {
  if (n.value === '') return { $type: n.type, $size: n.size };
  if (n.valueType === 'string' || n.type === 'Text' || n.type === 'XmlText') return n.value;
  try {
    return JSON.parse(n.value) as unknown;
  } catch {
    return n.value;
  }
}

export function subtreeToJson(model: TreeModel, path: string, maxNodes = 200_000): unknown {
  let budget = maxNodes;
  const build = (p: string): unknown => {
    const n = model.nodes.get(p);
    if (!n || budget-- <= 0) return null;
    const kids = model.childrenOf.get(p) ?? [];
    if (kids.length === 0 && !(n.type === 'Map' || LIST_TYPES.has(n.type))) return leafValue(n);
    if (LIST_TYPES.has(n.type)) {
      const arr = kids.map(build);
      return n.type === 'Array'
        ? arr
        : { $type: n.type, ...(n.nodeName ? { nodeName: n.nodeName } : {}), children: arr };
    }
    if (n.type === 'Map' || n.type === 'Doc') {
      const obj: Record<string, unknown> = {};
      for (const k of kids) obj[model.nodes.get(k)?.key ?? k] = build(k);
      return obj;
    }
    return { $type: n.type, value: leafValue(n), children: kids.map(build) };
  };
  if (path === '') {
    const obj: Record<string, unknown> = {};
    for (const k of model.childrenOf.get('') ?? []) {
      const n = model.nodes.get(k);
      obj[n && n.parent === '' ? n.key : k] = build(k);
    }
    return obj;
  }
  return build(path);
}

export function subtreeJsonText(model: TreeModel, path: string): string {
  return JSON.stringify(subtreeToJson(model, path), null, 2);
}
