import { useCallback, useMemo, useState } from 'react';

import { touches } from '../../../data/updates';
import { type PanelStore } from '../ingest';
import { useRoomChange } from './useRoomChange';

/** The selected node and the selected update (whose touched paths the tree highlights). */
export function useSelection(s: PanelStore) {
  const [selected, setSelected] = useState<string | null>(null);
  const [selectedUpdate, setSelectedUpdate] = useState<string | null>(null);
  useRoomChange(s.epoch, () => {
    setSelected(null);
    setSelectedUpdate(null);
  });
  const touched = useMemo(
    () => s.updates.find((u) => u.id === selectedUpdate)?.paths ?? null,
    [s.updates, selectedUpdate]
  );
  const highlight = useCallback((p: string) => (touched ? touches(p, touched) : null), [touched]);
  return { selected, setSelected, selectedUpdate, setSelectedUpdate, highlight };
}
