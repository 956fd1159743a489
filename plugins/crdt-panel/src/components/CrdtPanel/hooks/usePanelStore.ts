import { useRef } from 'react';
import { type DataFrame } from '@grafana/data';

import { PanelStore } from '../ingest';
import { useRoomChange } from './useRoomChange';

/** At most this many paths start flashing from one ingest. */
const MAX_FLASH = 5_000;

export interface PanelStoreState {
  store: PanelStore;
  /** Path → when it last changed (kept for `flashMs`, bounded). Mutated in place; cleared per room. */
  flashes: Map<string, number>;
}

/**
 * The panel's store, fed synchronously on every render (idempotent per `series` identity) so the first
 * paint already has the tree, and the flash map of the paths the last ingests changed.
 */
export function usePanelStore(series: DataFrame[], flashMs: number): PanelStoreState {
  const store = useRef<PanelStore | null>(null);
  if (store.current === null) store.current = new PanelStore();
  const s = store.current;
  const flashRef = useRef(new Map<string, number>());
  const changed = s.ingest(series);
  if (changed.length > 0 || flashRef.current.size > 0) {
    const now = Date.now();
    const flashes = flashRef.current;
    for (const [p, t] of flashes) if (now - t > flashMs) flashes.delete(p);
    for (const p of changed.slice(0, MAX_FLASH)) flashes.set(p, now);
  }
  useRoomChange(s.epoch, () => flashRef.current.clear());
  return { store: s, flashes: flashRef.current };
}
