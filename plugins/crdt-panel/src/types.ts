export interface CrdtPanelOptions {
  /** Text shown when the query returns no tree frames. */
  emptyMessage: string;
  /** Levels expanded when a document first appears (0 = all collapsed). */
  expandDepth: number;
  /** Show value previews (content scope only). */
  showValues: boolean;
  /** How long a changed node flashes (ms, 0 = off). */
  flashMs: number;
  /** Side pane (recent updates, diff, node details) open by default; the toolbar toggles it. */
  showSide: boolean;
}

export const DEFAULT_OPTIONS: CrdtPanelOptions = {
  emptyMessage: 'No document selected',
  expandDepth: 1,
  showValues: true,
  flashMs: 1200,
  showSide: true,
};

export const ROW_HEIGHT = 22;
