import { type TreeDiff } from '../../data/diff';
import { type TreeModel } from '../../data/model';
import { type UpdateEntry } from '../../data/updates';
import { type UserColors } from '../../data/userColors';
import { DiffView } from '../DiffView/DiffView';
import { NodeDetails, type NodeChange } from '../NodeDetails/NodeDetails';
import { UpdateList } from '../UpdateList/UpdateList';
import { type CrdtPanelStyles } from './styles';

const TABS_H = 26;
const DETAILS_H = 150;

export interface SidePaneProps {
  styles: CrdtPanelStyles;
  width: number;
  height: number;
  timeZone: string;
  model: TreeModel;
  /** The diff against the pinned instant (null: nothing pinned). */
  diff: TreeDiff | null;
  /** The state at the pinned instant. */
  before: TreeModel | null;
  compareAt: number | null;
  tab: 'updates' | 'diff';
  onTab: (tab: 'updates' | 'diff') => void;
  updates: UpdateEntry[];
  /** Writers' published colours, and its version (the memoised list re-renders when it moves). */
  colors: UserColors;
  colorsVersion: number;
  selectedUpdate: string | null;
  onSelectUpdate: (id: string | null) => void;
  onTravel: (t: number) => void;
  onReveal: (path: string) => void;
  selected: string | null;
  change: NodeChange | null;
}

/** Beside (or over) the tree: the update list or the diff (tabs once an instant is pinned), then details. */
export function SidePane(p: SidePaneProps) {
  const { styles, diff } = p;
  const showDiff = diff !== null && p.before !== null && p.compareAt !== null && p.tab === 'diff';
  const listH = Math.max(40, p.height - DETAILS_H - (diff ? TABS_H : 0));
  return (
    <div className={styles.side} style={{ width: p.width, height: p.height }} data-testid="crdt-side">
      {diff && (
        <div className={styles.tabs} role="tablist" aria-label="Side pane" style={{ height: TABS_H }}>
          <button
            type="button"
            role="tab"
            aria-selected={!showDiff}
            className={styles.tab}
            onClick={() => p.onTab('updates')}
          >
            Updates
          </button>
          <button
            type="button"
            role="tab"
            aria-selected={showDiff}
            className={styles.tab}
            data-testid="crdt-diff-tab"
            onClick={() => p.onTab('diff')}
          >
            Diff +{diff.added} −{diff.removed} ~{diff.changed}
          </button>
        </div>
      )}
      {showDiff && p.before !== null && p.compareAt !== null ? (
        <DiffView
          diff={diff}
          before={p.before}
          compareAt={p.compareAt}
          height={listH}
          timeZone={p.timeZone}
          onSelect={p.onReveal}
        />
      ) : (
        <UpdateList
          updates={p.updates}
          colors={p.colors}
          colorsVersion={p.colorsVersion}
          selectedId={p.selectedUpdate}
          height={listH}
          timeZone={p.timeZone}
          onSelect={p.onSelectUpdate}
          onTravel={p.onTravel}
        />
      )}
      <NodeDetails model={p.model} path={p.selected} timeZone={p.timeZone} change={p.change} />
    </div>
  );
}
