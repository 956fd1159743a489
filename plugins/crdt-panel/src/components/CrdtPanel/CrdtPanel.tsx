/**
 * The CRDT inspector panel: the live document tree (virtualised), flashing changes, recent updates with
 * path highlighting, node details (copy path, JSON export), search/filter, and time travel with a diff
 * between two instants over the dashboard time range.
 */
import React, { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { css } from '@emotion/css';
import { type GrafanaTheme2, type PanelProps } from '@grafana/data';
import { IconButton, Input, useStyles2 } from '@grafana/ui';

import { describeChange, diffTrees } from '../../data/diff';
import { ancestorsOf, defaultExpanded, flattenTree, openRule, type FlatRows } from '../../data/flatten';
import { subtreeRootOf, type TreeModel } from '../../data/model';
import { searchTree } from '../../data/search';
import { touches } from '../../data/updates';
import { type CrdtPanelOptions, DEFAULT_OPTIONS } from '../../types';
import { DiffView } from '../DiffView/DiffView';
import {
  copyText,
  downloadJson,
  exportFileName,
  NodeDetails,
  type NodeChange,
} from '../NodeDetails/NodeDetails';
import { subtreeJsonText } from '../../data/exportJson';
import { fmtInstant, fmtTimeMs } from '../format';
import { Timeline } from '../Timeline/Timeline';
import { TreeView } from '../TreeView/TreeView';
import { UpdateList } from '../UpdateList/UpdateList';
import { PanelStore } from './ingest';

const TOOLBAR_H = 32;
const DETAILS_H = 150;
/** From this width the side pane sits beside the tree; narrower, it opens over the tree (toolbar toggle). */
const SIDE_BESIDE_MIN_W = 560;
const TABS_H = 26;
const TIMELINE_H = 56;
const MAX_FLASH = 5_000;
/** The filter runs this long after the last keystroke (a search is O(nodes)). */
export const FILTER_DEBOUNCE_MS = 150;
const NO_PATHS: ReadonlySet<string> = new Set();
const EMPTY_ROWS: FlatRows = {
  paths: [],
  depths: new Int32Array(0),
  pos: new Int32Array(0),
  size: new Int32Array(0),
};
const NO_FLASH = new Map<string, number>();

export function CrdtPanel(props: PanelProps<CrdtPanelOptions>) {
  const { data, width, height, timeRange, timeZone } = props;
  const options = { ...DEFAULT_OPTIONS, ...props.options };
  const styles = useStyles2(getStyles);
  const store = useRef<PanelStore | null>(null);
  if (store.current === null) store.current = new PanelStore();
  const s = store.current;

  // Ingest synchronously (idempotent per data.series identity) so the first paint has the tree.
  // Flash: path → when it changed (kept for flashMs, bounded).
  const flashRef = useRef(new Map<string, number>());
  const changed = s.ingest(data.series);
  if (changed.length > 0 || flashRef.current.size > 0) {
    const now = Date.now();
    const flashes = flashRef.current;
    for (const [p, t] of flashes) if (now - t > options.flashMs) flashes.delete(p);
    for (const p of changed.slice(0, MAX_FLASH)) flashes.set(p, now);
  }

  const flattenMs = useRef(0);
  const [travelAt, setTravelAt] = useState<number | null>(null);
  const [compareAt, setCompareAt] = useState<number | null>(null);
  /** What the side pane lists: the updates, or the diff against the pinned instant. */
  const [sideTab, setSideTab] = useState<'updates' | 'diff'>('updates');
  /** The side pane's toggle (null: the option's default, open when beside the tree). */
  const [sideToggled, setSideToggled] = useState<boolean | null>(null);
  /** The last Copy path: which path, and whether the clipboard took it. */
  const [copied, setCopied] = useState<{ path: string; ok: boolean } | null>(null);
  // The filter box's text, and the query applied (debounced).
  const [query, setQuery] = useState('');
  const [applied, setApplied] = useState('');
  // While filtering every node is open but those collapsed here (reset with the query): the saved
  // expansion is left alone.
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
  const [selected, setSelected] = useState<string | null>(null);
  const [selectedUpdate, setSelectedUpdate] = useState<string | null>(null);
  const [expandedState, setExpanded] = useState<{ doc: string; set: Set<string> } | null>(null);
  // Another room: the instant, diff base and selections were about the previous document.
  const [epoch, setEpoch] = useState(s.epoch);
  if (epoch !== s.epoch) {
    setEpoch(s.epoch);
    setTravelAt(null);
    setCompareAt(null);
    setSideTab('updates');
    setSelected(null);
    setSelectedUpdate(null);
    flashRef.current.clear();
  }

  const live = s.current();
  const liveVersion = live?.version ?? 0;
  const travelled = useMemo(
    () => (travelAt === null ? null : s.history.stateAt(travelAt, { view: true })),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [travelAt, s, s.history.revision, liveVersion]
  );
  const model: TreeModel | null = travelled ? travelled.model : live;
  const version = travelled ? `t${travelled.ts}` : `v${liveVersion}`;

  const compareState = useMemo(
    () => (compareAt === null ? null : s.history.stateAt(compareAt)),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [compareAt, s, s.history.revision]
  );
  const diff = useMemo(
    () => (compareState && model ? diffTrees(compareState.model, model) : null),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [compareState, model, version]
  );

  // Expansion: defaults per document (room), then the user's toggles.
  const docKey = model ? `${model.meta.room}|${model.meta.pod}` : '';
  let expanded: Set<string>;
  if (expandedState && expandedState.doc === docKey) expanded = expandedState.set;
  else {
    expanded = model ? defaultExpanded(model, options.expandDepth) : new Set();
    if (model && model.nodes.size > 0) setExpanded({ doc: docKey, set: expanded });
  }

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

  const touched = useMemo(
    () => s.updates.find((u) => u.id === selectedUpdate)?.paths ?? null,
    [s.updates, selectedUpdate]
  );
  const highlight = useCallback((p: string) => (touched ? touches(p, touched) : null), [touched]);

  const filtering = search !== null;
  const onToggle = useCallback(
    (p: string) => {
      if (filtering) {
        // The filter's own collapse state; the saved expansion is what comes back without a filter.
        setFilterCollapsed((prev) => {
          const set = new Set(prev.q === applied ? prev.set : []);
          if (set.has(p)) set.delete(p);
          else set.add(p);
          return { q: applied, set };
        });
        return;
      }
      setExpanded((prev) => {
        const set = new Set(prev?.doc === docKey ? prev.set : expanded);
        if (set.has(p)) set.delete(p);
        else set.add(p);
        return { doc: docKey, set };
      });
    },
    [docKey, expanded, filtering, applied]
  );

  // Next / previous match (Enter / Shift+Enter in the filter box), wrapping; opens collapsed ancestors.
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
    [matchOrder, matchIndex, model, collapsed, applied]
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

  const sideBeside = width >= SIDE_BESIDE_MIN_W;
  const sideOpen = sideToggled ?? (options.showSide && sideBeside);
  // Stable across renders (reads the current model/expansion from a ref) so the memoised update list
  // does not re-render on every time-travel step.
  const selectCtx = useRef({ model, expanded, docKey, overlay: false });
  selectCtx.current = { model, expanded, docKey, overlay: sideOpen && !sideBeside };
  // Selects a node and expands its ancestors (the diff's added/changed entries).
  const onReveal = useCallback((path: string) => {
    const { model: m, expanded: exp, docKey: doc } = selectCtx.current;
    if (!m || !m.nodes.has(path)) return;
    const set = new Set(exp);
    for (const a of ancestorsOf(m, path)) set.add(a);
    setExpanded({ doc, set });
    setSelected(path);
    // Over the tree (narrow panel): show the tree with the node.
    if (selectCtx.current.overlay) setSideToggled(false);
  }, []);
  const onCompare = useCallback((t: number | null) => {
    setCompareAt(t);
    setSideTab(t === null ? 'updates' : 'diff');
  }, []);

  const onSelectUpdate = useCallback(
    (id: string | null) => {
      setSelectedUpdate(id);
      const { model: m, expanded: exp, docKey: doc } = selectCtx.current;
      const u = s.updates.find((x) => x.id === id);
      if (!u || !m) return;
      // Reveal the touched nodes (their nearest existing ancestors).
      const set = new Set(exp);
      for (const p of u.paths) {
        let q: string = p;
        while (q !== '' && !m.nodes.has(q)) q = q.slice(0, Math.max(0, q.lastIndexOf('/')));
        if (q === '') continue;
        for (const a of ancestorsOf(m, q)) set.add(a);
      }
      setExpanded({ doc, set });
    },
    [s]
  );

  const from = timeRange.from.valueOf();
  const to = timeRange.to.valueOf();
  const historyInstants = useMemo(
    () => s.history.instants(),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [s, s.history.revision]
  );
  const instants = useMemo(
    () => [...new Set([...historyInstants, ...s.updates.map((u) => u.ts)])].sort((a, b) => a - b),
    [historyInstants, s.updates]
  );
  // Ticks: the update list's updates and the replayed steps (a dashboard may have no history query).
  const ticks = useMemo(
    () => {
      const steps = s.history.replayInstants();
      return steps.length === 0 ? s.updates.map((u) => u.ts) : instantsUnion(steps, s.updates);
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [s, s.history.revision, s.updates]
  );
  const exactRanges = useMemo(
    () => s.history.exactRanges(),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [s, s.history.revision]
  );
  const travelStatus = !travelled
    ? null
    : travelled.exact
      ? `replayed from pod log${travelled.model.meta.seq !== undefined ? ` · seq ${travelled.model.meta.seq}` : ''}`
      : travelled.before
        ? 'earliest known state'
        : travelled.source === 'keyframe'
          ? `pod state at ${fmtTimeMs(travelled.ts, timeZone)}`
          : 'watched live';

  // Beside the tree on wide panels; over it (full width, tree hidden) on narrow ones.
  const sideW = !sideOpen ? 0 : sideBeside ? Math.min(320, Math.round(width * 0.34)) : width;
  const showTree = !sideOpen || sideBeside;
  const treeW = width - (sideBeside ? sideW : 0);
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
  const showDiff = diff !== null && compareState !== null && compareAt !== null && sideTab === 'diff';
  const listH = Math.max(40, bodyH - DETAILS_H - (diff ? TABS_H : 0));
  // A subtree frame (query rootPath / maxDepth): which part of the document is shown.
  const subtree = subtreeRootOf(model);
  const scope = [
    subtree ? `subtree ${subtree}${meta.rootFound === false ? ' not found' : ''}` : '',
    typeof meta.maxDepth === 'number' ? `depth ≤ ${meta.maxDepth}` : '',
  ]
    .filter((x) => x !== '')
    .join(' ');
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
      data-flatten-ms={Math.round(flattenMs.current * 10) / 10}
    >
      <div className={styles.toolbar} style={{ height: TOOLBAR_H }}>
        <Input
          className={styles.search}
          placeholder="Filter by path or value"
          value={query}
          aria-label="Filter tree"
          data-testid="crdt-search"
          onChange={(e) => setQuery(e.currentTarget.value)}
          onKeyDown={onFilterKey}
        />
        {search && (
          <>
            <IconButton
              name="arrow-up"
              aria-label="Previous match"
              title="Previous match (Shift+Enter)"
              disabled={matchOrder.list.length === 0}
              onClick={() => goMatch(-1)}
            />
            <IconButton
              name="arrow-down"
              aria-label="Next match"
              title="Next match (Enter)"
              disabled={matchOrder.list.length === 0}
              onClick={() => goMatch(1)}
            />
          </>
        )}
        <span className={styles.info} data-testid="crdt-summary">
          {meta.room && `${meta.room} · `}
          {scope && `${scope} · `}
          {model.nodes.size} nodes
          {meta.truncated ? ` (of ${meta.total})` : ''}
          {search
            ? ` · ${matchIndex >= 0 ? `${matchIndex + 1} of ` : ''}${search.matches.size} match${
                search.matches.size === 1 ? '' : 'es'
              }`
            : ''}
          {travelled?.exact ? ' · replayed from pod log' : ''}
          {travelled?.before ? ' · earliest known state' : ''}
          {diff ? ` · diff +${diff.added} −${diff.removed} ~${diff.changed}` : ''}
          {meta.scope === 'metadata' ? ' · metadata only' : ''}
        </span>
        <span role="status" className={styles.status} data-testid="crdt-copy-status">
          {copied && copied.path === target && target !== '' ? (copied.ok ? 'Copied' : 'Copy failed') : ''}
        </span>
        <IconButton
          name="copy"
          aria-label="Copy path"
          title={target ? `Copy path ${target}` : 'Copy path (select a node first)'}
          disabled={target === ''}
          onClick={onCopy}
        />
        <IconButton
          name="download-alt"
          aria-label="Export JSON"
          title={target ? `Export ${target} as JSON` : 'Export the whole document as JSON'}
          onClick={onExport}
        />
        <IconButton
          name="list-ul"
          aria-label="Updates and details"
          aria-pressed={sideOpen}
          title={sideOpen ? 'Hide updates and details' : 'Show updates and details'}
          data-testid="crdt-side-toggle"
          onClick={() => setSideToggled(!sideOpen)}
        />
      </div>
      <div className={styles.body} style={{ height: bodyH }}>
        {showTree && (
          <TreeView
            model={model}
            rows={rows}
            isOpen={isOpen}
            selected={selected}
            width={treeW}
            height={bodyH}
            showValues={options.showValues}
            timeZone={timeZone}
            flash={{
              at: travelAt === null ? flashRef.current : NO_FLASH,
              ms: options.flashMs,
            }}
            highlight={highlight}
            diff={diff?.kinds ?? null}
            diffBase={compareState?.model ?? null}
            matches={search?.matches ?? null}
            onToggle={onToggle}
            onSelect={setSelected}
          />
        )}
        {sideW > 0 && (
          <div className={styles.side} style={{ width: sideW, height: bodyH }} data-testid="crdt-side">
            {diff && (
              <div className={styles.tabs} role="tablist" aria-label="Side pane" style={{ height: TABS_H }}>
                <button
                  type="button"
                  role="tab"
                  aria-selected={!showDiff}
                  className={styles.tab}
                  onClick={() => setSideTab('updates')}
                >
                  Updates
                </button>
                <button
                  type="button"
                  role="tab"
                  aria-selected={showDiff}
                  className={styles.tab}
                  data-testid="crdt-diff-tab"
                  onClick={() => setSideTab('diff')}
                >
                  Diff +{diff.added} −{diff.removed} ~{diff.changed}
                </button>
              </div>
            )}
            {showDiff ? (
              <DiffView
                diff={diff}
                before={compareState.model}
                compareAt={compareAt}
                height={listH}
                timeZone={timeZone}
                onSelect={onReveal}
              />
            ) : (
              <UpdateList
                updates={s.updates}
                selectedId={selectedUpdate}
                height={listH}
                timeZone={timeZone}
                onSelect={onSelectUpdate}
                onTravel={setTravelAt}
              />
            )}
            <NodeDetails model={model} path={selected} timeZone={timeZone} change={change} />
          </div>
        )}
      </div>
      <Timeline
        from={from}
        to={to}
        at={travelAt}
        compareAt={compareAt}
        instants={instants}
        ticks={ticks}
        exactRanges={exactRanges}
        status={travelStatus}
        width={width}
        timeZone={timeZone}
        onTravel={setTravelAt}
        onCompare={onCompare}
      />
    </div>
  );
}

function instantsUnion(steps: number[], updates: Array<{ ts: number }>): number[] {
  const all = new Set(steps);
  for (const u of updates) all.add(u.ts);
  return [...all].sort((a, b) => a - b);
}

const getStyles = (theme: GrafanaTheme2) => ({
  root: css({
    display: 'flex',
    flexDirection: 'column',
    overflow: 'hidden',
    background: theme.colors.background.primary,
    color: theme.colors.text.primary,
  }),
  empty: css({
    display: 'flex',
    alignItems: 'center',
    justifyContent: 'center',
    color: theme.colors.text.secondary,
    background: theme.colors.background.secondary,
    borderRadius: theme.shape.radius.default,
    fontSize: theme.typography.bodySmall.fontSize,
  }),
  toolbar: css({
    display: 'flex',
    alignItems: 'center',
    gap: theme.spacing(1),
    padding: theme.spacing(0, 0.5),
    borderBottom: `1px solid ${theme.colors.border.weak}`,
  }),
  // At most ~half the toolbar, so the summary stays readable on narrow panels.
  search: css({ flex: '0 1 260px', minWidth: 80, maxWidth: '45%' }),
  status: css({
    color: theme.colors.text.secondary,
    fontSize: theme.typography.bodySmall.fontSize,
    whiteSpace: 'nowrap',
  }),
  info: css({
    flex: 1,
    minWidth: 0,
    color: theme.colors.text.secondary,
    fontSize: theme.typography.bodySmall.fontSize,
    whiteSpace: 'nowrap',
    overflow: 'hidden',
    textOverflow: 'ellipsis',
  }),
  body: css({ display: 'flex', minHeight: 0 }),
  tabs: css({
    display: 'flex',
    borderBottom: `1px solid ${theme.colors.border.weak}`,
    flex: 'none',
  }),
  tab: css({
    flex: 1,
    border: 'none',
    background: 'none',
    color: theme.colors.text.secondary,
    fontSize: theme.typography.bodySmall.fontSize,
    cursor: 'pointer',
    whiteSpace: 'nowrap',
    overflow: 'hidden',
    textOverflow: 'ellipsis',
    '&[aria-selected="true"]': {
      color: theme.colors.text.primary,
      boxShadow: `inset 0 -2px 0 ${theme.colors.primary.main}`,
    },
    '&:focus-visible': { outline: `2px solid ${theme.colors.primary.border}` },
  }),
  side: css({
    display: 'flex',
    flexDirection: 'column',
    borderLeft: `1px solid ${theme.colors.border.weak}`,
    minWidth: 0,
  }),
});
