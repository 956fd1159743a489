import { useCallback, useMemo, useRef, useState } from 'react';

import { defaultExpanded, flattenTree, openRule, type FlatRows } from '../../../data/flatten';
import { type TreeModel } from '../../../data/model';
import { type SearchResult } from '../../../data/search';

const EMPTY_ROWS: FlatRows = {
  paths: [],
  depths: new Int32Array(0),
  pos: new Int32Array(0),
  size: new Int32Array(0),
};

/**
 * Which nodes are open (defaults per document — room and pod — then the user's toggles; while filtering,
 * the filter's own collapse state), and the flattened rows the virtualised tree draws.
 */
export function useExpansion(
  model: TreeModel | null,
  expandDepth: number,
  search: SearchResult | null,
  collapsed: ReadonlySet<string>,
  toggleFiltered: (path: string) => void
) {
  const flattenMs = useRef(0);
  const [expandedState, setExpanded] = useState<{ doc: string; set: Set<string> } | null>(null);
  const docKey = model ? `${model.meta.room}|${model.meta.pod}` : '';
  let expanded: Set<string>;
  if (expandedState && expandedState.doc === docKey) expanded = expandedState.set;
  else {
    expanded = model ? defaultExpanded(model, expandDepth) : new Set();
    if (model && model.nodes.size > 0) setExpanded({ doc: docKey, set: expanded });
  }

  const rows = useMemo(
    () => {
      const t0 = performance.now();
      const r = model ? flattenTree(model, expanded, search?.visible, collapsed) : EMPTY_ROWS;
      flattenMs.current = performance.now() - t0;
      return r;
    },
    // Rows change only with the structure (a value change keeps them): flatten is O(nodes). A time-travel
    // step moves the history's cursor in place (same model, `structure` bumped by adds/removes) or hands
    // over another model.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [model, model?.structure, expanded, search, collapsed]
  );
  const isOpen = useMemo(() => openRule(expanded, search?.visible, collapsed), [search, collapsed, expanded]);

  const filtering = search !== null;
  const onToggle = useCallback(
    (p: string) => {
      if (filtering) {
        // The filter's own collapse state; the saved expansion is what comes back without a filter.
        toggleFiltered(p);
        return;
      }
      setExpanded((prev) => {
        const set = new Set(prev?.doc === docKey ? prev.set : expanded);
        if (set.has(p)) set.delete(p);
        else set.add(p);
        return { doc: docKey, set };
      });
    },
    [docKey, expanded, filtering, toggleFiltered]
  );

  return { expanded, setExpanded, docKey, rows, isOpen, onToggle, flattenMs: flattenMs.current };
}
