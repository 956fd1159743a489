/**
 * Search/filter: a node matches when the query is a case-insensitive
 * substring of its path, key, type or value, or of its node name, attributes, formatting marks and
 * run text (XML documents: `heading`, `listItem`, `bold`, `level`). The visible set holds the
 * matches and their ancestors (so a match is reachable in the tree).
 */
import type { TreeModel } from './model';
import { searchableText } from './richText';

export interface SearchResult {
  matches: Set<string>;
  /** Matches plus all their ancestors. */
  visible: Set<string>;
  /** Matches in document (pre-order) order. */
  ordered: string[];
}

export function searchTree(model: TreeModel, query: string, limit = 50_000): SearchResult {
  const q = query.trim().toLowerCase();
  const matches = new Set<string>();
  const visible = new Set<string>();
  const ordered: string[] = [];
  if (q === '') return { matches, visible, ordered };
  for (const n of model.nodes.values()) {
    if (ordered.length >= limit) break;
    if (
      n.path.toLowerCase().includes(q) ||
      n.key.toLowerCase().includes(q) ||
      (n.value !== '' && n.value.toLowerCase().includes(q)) ||
      n.type.toLowerCase() === q ||
      ((n.nodeName !== '' || n.attrs !== '' || n.runs !== '' || n.binding !== '') &&
        searchableText(n).includes(q))
    ) {
      matches.add(n.path);
      ordered.push(n.path);
      // The match and its ancestors in the model (a subtree's root has none).
      let p: string | undefined = n.path;
      while (p !== undefined && p !== '' && !visible.has(p) && model.nodes.has(p)) {
        visible.add(p);
        p = model.nodes.get(p)?.parent;
      }
    }
  }
  return { matches, visible, ordered };
}
