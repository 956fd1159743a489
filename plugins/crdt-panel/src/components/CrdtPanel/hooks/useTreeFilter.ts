import type React from 'react';
import { useCallback, useEffect, useMemo, useState } from 'react';

import { ancestorsOf, flattenTree } from '../../../data/flatten';
import { type TreeModel } from '../../../data/model';
import { searchTree } from '../../../data/search';

/** The filter runs this long after the last keystroke (a search is O(nodes)). */
export const FILTER_DEBOUNCE_MS = 150;
export const NO_PATHS: ReadonlySet<string> = new Set();

/**
 * The filter box: its text and the (debounced) query applied, the search result, the filter's own
 * collapse state (every node is open while filtering but those collapsed here, reset with the query; the
 * saved expansion is left alone), and next / previous match (Enter / Shift+Enter, wrapping, opening
 * collapsed ancestors).
 */
export function useTreeFilter(
  model: TreeModel | null,
  version: string,
  selected: string | null,
  setSelected: (path: string) => void
) {
  const [query, setQuery] = useState('');
  const [applied, setApplied] = useState('');
  const [filterCollapsed, setFilterCollapsed] = useState<{ q: string; set: Set<string> }>({
    q: '',
    set: new Set(),
  });
  // Enter / Shift+Enter pressed before the debounced query ran: go to a match once it has.
  const [pendingJump, setPendingJump] = useState<1 | -1 | null>(null);
  useEffect(() => {
    if (query === applied) return;
    const t = setTimeout(() => setApplied(query), query.trim() === '' ? 0 : FILTER_DEBOUNCE_MS);
    return () => clearTimeout(t);
  }, [query, applied]);

  const search = useMemo(
    () => (model && applied.trim() !== '' ? searchTree(model, applied) : null),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [model, version, applied]
  );
  const collapsed = search && filterCollapsed.q === applied ? filterCollapsed.set : NO_PATHS;
  // Matches in the order they are shown (for next / previous match).
  const matchOrder = useMemo(
    () => {
      const list =
        search && model
          ? flattenTree(model, NO_PATHS, search.visible).paths.filter((p) => search.matches.has(p))
          : [];
      return { list, index: new Map(list.map((p, i) => [p, i])) };
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [search, model?.structure]
  );

  /** Opens or closes a node in the filter's own collapse state. */
  const toggleFiltered = useCallback(
    (p: string) =>
      setFilterCollapsed((prev) => {
        const set = new Set(prev.q === applied ? prev.set : []);
        if (set.has(p)) set.delete(p);
        else set.add(p);
        return { q: applied, set };
      }),
    [applied]
  );

  const matchIndex = selected === null ? -1 : (matchOrder.index.get(selected) ?? -1);
  const goMatch = useCallback(
    (dir: 1 | -1) => {
      const n = matchOrder.list.length;
      if (n === 0 || !model) return;
      const i = matchIndex < 0 ? (dir > 0 ? 0 : n - 1) : (matchIndex + dir + n) % n;
      const p = matchOrder.list[i] as string;
      setSelected(p);
      const anc = ancestorsOf(model, p);
      if (anc.some((a) => collapsed.has(a))) {
        setFilterCollapsed({ q: applied, set: new Set([...collapsed].filter((a) => !anc.includes(a))) });
      }
    },
    [matchOrder, matchIndex, model, collapsed, applied, setSelected]
  );
  useEffect(() => {
    if (pendingJump === null || query !== applied) return;
    setPendingJump(null);
    goMatch(pendingJump);
  }, [pendingJump, query, applied, goMatch]);
  const onFilterKey = (e: React.KeyboardEvent<HTMLInputElement>) => {
    if (e.key !== 'Enter') return;
    e.preventDefault();
    const dir = e.shiftKey ? -1 : 1;
    if (query !== applied) {
      // Run the filter now rather than after the debounce, then jump.
      setApplied(query);
      setPendingJump(dir);
    } else goMatch(dir);
  };

  return {
    query,
    setQuery,
    search,
    collapsed,
    matchCount: matchOrder.list.length,
    matchIndex,
    goMatch,
    onFilterKey,
    toggleFiltered,
  };
}
