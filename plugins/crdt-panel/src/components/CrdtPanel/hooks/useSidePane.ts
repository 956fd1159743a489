import { useState } from 'react';

import { useRoomChange } from './useRoomChange';

/** From this width the side pane sits beside the tree; narrower, it opens over the tree (toolbar toggle). */
export const SIDE_BESIDE_MIN_W = 560;

/** The side pane: open or not (the option's default until toggled), beside or over the tree, which tab. */
export function useSidePane(epoch: number, width: number, showSide: boolean) {
  /** What the side pane lists: the updates, or the diff against the pinned instant. */
  const [sideTab, setSideTab] = useState<'updates' | 'diff'>('updates');
  /** The side pane's toggle (null: the option's default, open when beside the tree). */
  const [sideToggled, setSideToggled] = useState<boolean | null>(null);
  useRoomChange(epoch, () => setSideTab('updates'));
  const sideBeside = width >= SIDE_BESIDE_MIN_W;
  const sideOpen = sideToggled ?? (showSide && sideBeside);
  // Beside the tree on wide panels; over it (full width, tree hidden) on narrow ones.
  const sideW = !sideOpen ? 0 : sideBeside ? Math.min(320, Math.round(width * 0.34)) : width;
  return { sideTab, setSideTab, setSideToggled, sideOpen, sideBeside, sideW };
}
