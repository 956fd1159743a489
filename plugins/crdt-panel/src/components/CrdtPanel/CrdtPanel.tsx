/**
 * The CRDT inspector panel: the live document tree (virtualised), flashing changes, recent updates with
 * path highlighting, node details (copy path, JSON export), search/filter, and time travel with a diff
 * between two instants over the dashboard time range.
 *
 * State lives in focused hooks (`hooks/`): the store and its flashes, time travel and compare, selection,
 * the filter with match navigation, expansion and the flattened rows, the side pane, and revealing a node
 * from the side pane. This component wires them and lays out toolbar, tree, side pane and timeline.
 */
import { useCallback, useState } from 'react';
import { type PanelProps } from '@grafana/data';
import { useStyles2 } from '@grafana/ui';

import { describeChange } from '../../data/diff';
import { subtreeJsonText } from '../../data/exportJson';
import { panelSummary } from '../../data/summary';
import { type CrdtPanelOptions, DEFAULT_OPTIONS } from '../../types';
import { copyText, downloadJson, exportFileName, type NodeChange } from '../NodeDetails/NodeDetails';
import { fmtInstant } from '../format';
import { Timeline } from '../Timeline/Timeline';
import { TreeView } from '../TreeView/TreeView';
import { useExpansion } from './hooks/useExpansion';
import { usePanelStore } from './hooks/usePanelStore';
import { useReveal } from './hooks/useReveal';
import { useSelection } from './hooks/useSelection';
import { useSidePane } from './hooks/useSidePane';
import { useTimeTravel } from './hooks/useTimeTravel';
import { useTreeFilter } from './hooks/useTreeFilter';
import { SidePane } from './SidePane';
import { getStyles } from './styles';
import { Toolbar } from './Toolbar';

export { FILTER_DEBOUNCE_MS } from './hooks/useTreeFilter';

const TOOLBAR_H = 32;
const TIMELINE_H = 56;
const NO_FLASH = new Map<string, number>();

export function CrdtPanel(props: PanelProps<CrdtPanelOptions>) {
  const { data, width, height, timeRange, timeZone } = props;
  const options = { ...DEFAULT_OPTIONS, ...props.options };
  const styles = useStyles2(getStyles);

  const { store: s, flashes } = usePanelStore(data.series, options.flashMs);
  const travel = useTimeTravel(s, timeZone);
  const { model, travelled, diff, compareState, compareAt, travelAt } = travel;
  const sel = useSelection(s);
  const { selected, setSelected } = sel;
  const filter = useTreeFilter(model, travel.version, selected, setSelected);
  const { search } = filter;
  const tree = useExpansion(model, options.expandDepth, search, filter.collapsed, filter.toggleFiltered);
  const side = useSidePane(s.epoch, width, options.showSide);
  const { onReveal, onSelectUpdate } = useReveal(
    s,
    { model, expanded: tree.expanded, docKey: tree.docKey, overlay: side.sideOpen && !side.sideBeside },
    {
      setExpanded: tree.setExpanded,
      setSelected,
      setSelectedUpdate: sel.setSelectedUpdate,
      setSideToggled: side.setSideToggled,
    }
  );
  const { setCompareAt } = travel;
  const { setSideTab } = side;
  const onCompare = useCallback(
    (t: number | null) => {
      setCompareAt(t);
      setSideTab(t === null ? 'updates' : 'diff');
    },
    [setCompareAt, setSideTab]
  );
  /** The last Copy path: which path, and whether the clipboard took it. */
  const [copied, setCopied] = useState<{ path: string; ok: boolean } | null>(null);

  const showTree = !side.sideOpen || side.sideBeside;
  const treeW = width - (side.sideBeside ? side.sideW : 0);
  const bodyH = Math.max(40, height - TOOLBAR_H - TIMELINE_H);

  if (!model) {
    return (
      <div className={styles.empty} style={{ width, height }} data-testid="collabblocks-crdt-panel-root">
        {options.emptyMessage}
      </div>
    );
  }

  const meta = model.meta;
  const selectedKind = diff && selected !== null ? diff.kinds.get(selected) : undefined;
  const change: NodeChange | null =
    compareAt === null || !compareState || selected === null
      ? null
      : selectedKind === 'added'
        ? { kind: 'added', since: compareAt, lines: [] }
        : selectedKind === 'changed'
          ? {
              kind: 'changed',
              since: compareAt,
              lines: describeChange(compareState.model.nodes.get(selected), model.nodes.get(selected), (t) =>
                fmtInstant(t, timeZone)
              ),
            }
          : null;
  const target = selected !== null && model.nodes.has(selected) ? selected : '';
  const onCopy = () => {
    const path = target;
    void copyText(path).then((ok) => setCopied({ path, ok }));
  };
  const onExport = () => downloadJson(exportFileName(meta.room, target), subtreeJsonText(model, target));
  return (
    <div
      className={styles.root}
      style={{ width, height }}
      data-testid="collabblocks-crdt-panel-root"
      data-nodes={model.nodes.size}
      data-mode={travelAt === null ? 'live' : 'travel'}
      data-state-ts={travelled ? travelled.ts : meta.ts}
      data-exact={travelled ? String(travelled.exact) : ''}
      data-ingest-ms={Math.round(s.lastIngestMs * 10) / 10}
      data-flatten-ms={Math.round(tree.flattenMs * 10) / 10}
    >
      <Toolbar
        styles={styles}
        height={TOOLBAR_H}
        query={filter.query}
        onQuery={filter.setQuery}
        onFilterKey={filter.onFilterKey}
        filtering={search !== null}
        matchCount={filter.matchCount}
        onMatch={filter.goMatch}
        summary={panelSummary({ model, search, matchIndex: filter.matchIndex, travelled, diff })}
        target={target}
        copied={copied}
        onCopy={onCopy}
        onExport={onExport}
        sideOpen={side.sideOpen}
        onToggleSide={() => side.setSideToggled(!side.sideOpen)}
      />
      <div className={styles.body} style={{ height: bodyH }}>
        {showTree && (
          <TreeView
            model={model}
            rows={tree.rows}
            isOpen={tree.isOpen}
            selected={selected}
            width={treeW}
            height={bodyH}
            showValues={options.showValues}
            timeZone={timeZone}
            flash={{ at: travelAt === null ? flashes : NO_FLASH, ms: options.flashMs }}
            highlight={sel.highlight}
            diff={diff?.kinds ?? null}
            diffBase={compareState?.model ?? null}
            matches={search?.matches ?? null}
            onToggle={tree.onToggle}
            onSelect={setSelected}
          />
        )}
        {side.sideW > 0 && (
          <SidePane
            styles={styles}
            width={side.sideW}
            height={bodyH}
            timeZone={timeZone}
            model={model}
            diff={diff}
            before={compareState?.model ?? null}
            compareAt={compareAt}
            tab={side.sideTab}
            onTab={side.setSideTab}
            updates={s.updates}
            colors={s.colors}
            colorsVersion={s.colors.version}
            selectedUpdate={sel.selectedUpdate}
            onSelectUpdate={onSelectUpdate}
            onTravel={travel.setTravelAt}
            onReveal={onReveal}
            selected={selected}
            change={change}
          />
        )}
      </div>
      <Timeline
        from={timeRange.from.valueOf()}
        to={timeRange.to.valueOf()}
        at={travelAt}
        compareAt={compareAt}
        instants={travel.instants}
        ticks={travel.ticks}
        exactRanges={travel.exactRanges}
        status={travel.travelStatus}
        width={width}
        timeZone={timeZone}
        onTravel={travel.setTravelAt}
        onCompare={onCompare}
      />
    </div>
  );
}
