import { useCallback, useRef } from 'react';

import { ancestorsOf } from '../../../data/flatten';
import { type TreeModel } from '../../../data/model';
import { type PanelStore } from '../ingest';

export interface RevealContext {
  model: TreeModel | null;
  expanded: Set<string>;
  docKey: string;
  /** The side pane is open over the tree (narrow panel). */
  overlay: boolean;
}

export interface RevealSetters {
  setExpanded: (v: { doc: string; set: Set<string> }) => void;
  setSelected: (path: string) => void;
  setSelectedUpdate: (id: string | null) => void;
  setSideToggled: (open: boolean) => void;
}

/**
 * Going from the side pane to the tree: a diff entry selects its node and opens its ancestors; an update
 * opens the nearest existing ancestors of the paths it touched. Stable across renders (the current model
 * and expansion are read from a ref) so the memoised lists do not re-render on every time-travel step.
 */
export function useReveal(s: PanelStore, ctx: RevealContext, set: RevealSetters) {
  const ref = useRef({ ctx, set });
  ref.current = { ctx, set };
  const onReveal = useCallback((path: string) => {
    const { model: m, expanded: exp, docKey: doc, overlay } = ref.current.ctx;
    const { setExpanded, setSelected, setSideToggled } = ref.current.set;
    if (!m || !m.nodes.has(path)) return;
    const next = new Set(exp);
    for (const a of ancestorsOf(m, path)) next.add(a);
    setExpanded({ doc, set: next });
    setSelected(path);
    // Over the tree (narrow panel): show the tree with the node.
    if (overlay) setSideToggled(false);
  }, []);

  const onSelectUpdate = useCallback(
    (id: string | null) => {
      const { model: m, expanded: exp, docKey: doc } = ref.current.ctx;
      const { setExpanded, setSelectedUpdate } = ref.current.set;
      setSelectedUpdate(id);
      const u = s.updates.find((x) => x.id === id);
      if (!u || !m) return;
      // Reveal the touched nodes (their nearest existing ancestors).
      const next = new Set(exp);
      for (const p of u.paths) {
        let q: string = p;
        while (q !== '' && !m.nodes.has(q)) q = q.slice(0, Math.max(0, q.lastIndexOf('/')));
        if (q === '') continue;
        for (const a of ancestorsOf(m, q)) next.add(a);
      }
      setExpanded({ doc, set: next });
    },
    [s]
  );
  return { onReveal, onSelectUpdate };
}
