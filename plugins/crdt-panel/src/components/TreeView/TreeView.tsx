/**
 * Virtualised tree: only the rows in the viewport (plus a small overscan) are
 * in the DOM. Keyboard: ↑/↓ move, → expands or goes to the first child, ←
 * collapses or goes to the parent, Home/End, Enter/Space toggle. A sticky
 * header names the columns (size, items, tombstones, last change — fewer on
 * narrow panels); rows carry aria-level/-setsize/-posinset and a spoken label
 * with the same figures.
 */
import React, { useCallback, useEffect, useId, useRef, useState } from 'react';
import { css, cx, keyframes } from '@emotion/css';
import { type GrafanaTheme2, type TimeZone } from '@grafana/data';
import { useStyles2, useTheme2 } from '@grafana/ui';

import { describeChange, type DiffKind } from '../../data/diff';
import type { FlatRows } from '../../data/flatten';
import { listKeyOf, type TreeModel, type TreeNodeModel } from '../../data/model';
import { elementTag, markStyle, marksSummary, parseRuns, type Run } from '../../data/richText';
import { ROW_HEIGHT } from '../../types';
import { fmtInstant, fmtTime } from '../format';
import { badgeFor } from './icons';

export interface TreeViewProps {
  model: TreeModel;
  rows: FlatRows;
  /** Is this node open (its children shown)? */
  isOpen: (path: string) => boolean;
  selected: string | null;
  width: number;
  height: number;
  showValues: boolean;
  /** The dashboard's time zone (last change times). */
  timeZone?: TimeZone;
  /** Paths flashing now → when they changed (the stamp restarts the animation). */
  flash: { at: ReadonlyMap<string, number>; ms: number };
  /** Highlighted by the selected update: exact or on the way. */
  highlight: (path: string) => 'exact' | 'inside' | null;
  diff: ReadonlyMap<string, DiffKind> | null;
  /** The diff base (to say what changed in a changed row's tooltip). */
  diffBase?: TreeModel | null;
  matches: ReadonlySet<string> | null;
  onToggle: (path: string) => void;
  onSelect: (path: string) => void;
}

const OVERSCAN = 12;
/** The sticky column header (inside the scroller, above the rows). */
const HEADER_H = ROW_HEIGHT;
/** Columns shown: all from this width, only the counts from COUNTS_MIN_W, none below (details pane has them). */
const ALL_COLUMNS_MIN_W = 480;
const COUNTS_MIN_W = 300;
type Columns = 'all' | 'counts' | 'none';
/** The window moves in steps of this many rows (fewer renders while scrolling). */
const STEP = 4;

/**
 * What a row says about its node: an element's name then attributes (`<heading level=2>`), text with
 * its marks (content: the text; metadata: which marks cover how much), a root's editor, a subdocument.
 */
export function preview(n: TreeNodeModel): string {
  const tag = elementTag(n.nodeName, n.attrs);
  if (n.runs !== '') {
    const runs = parseRuns(n.runs);
    const hasText = runs.some((r) => r.text !== undefined);
    const text = hasText
      ? JSON.stringify(
          runs
            .map((r) => r.text ?? (r.embed ? `[${r.embed}]` : ''))
            .join('')
            .slice(0, 120)
        )
      : '';
    const marks = marksSummary(runs);
    return [tag, text, marks ? `(${marks})` : ''].filter((x) => x !== '').join(' ');
  }
  const more = n.binding ? `${n.binding} document` : n.guid ? `subdocument ${n.guid}` : '';
  if (n.value === '') return [tag, more].filter((x) => x !== '').join(' ');
  const v = n.value.length > 120 ? `${n.value.slice(0, 120)}…` : n.value;
  const shown = n.valueType === 'string' || n.type === 'Text' || n.type === 'XmlText' ? JSON.stringify(v) : v;
  return tag ? `${tag} ${shown}` : shown;
}

/** Content scope: the node's runs carry their text (drawn with marks). */
function hasRunText(n: TreeNodeModel): boolean {
  return n.runs !== '' && n.runs.includes('"text"') && parseRuns(n.runs).some((r) => r.text !== undefined);
}

/** Text runs drawn with their marks (bold, italic, underline/link, strike, code) and embeds. */
function RichRuns({ runs, className }: { runs: Run[]; className: string }) {
  return (
    <span className={className} data-testid="crdt-runs">
      {runs.slice(0, 60).map((r, i) =>
        r.embed ? (
          <span key={i} title={`embed: ${r.embed}`}>
            [{r.embed}]
          </span>
        ) : (
          <span key={i} style={markStyle(r.marks)} title={r.marks.length ? r.marks.join(', ') : undefined}>
            {r.text}
          </span>
        )
      )}
    </span>
  );
}

export function TreeView(props: TreeViewProps) {
  const { model, rows, isOpen, selected, width, height, onToggle, onSelect } = props;
  const styles = useStyles2(getStyles);
  const theme = useTheme2();
  const scroller = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const count = rows.paths.length;

  const selIndex = selected === null ? -1 : rows.paths.indexOf(selected);
  // Row ids unique per panel (several panels may share a page).
  const idBase = useId();

  // Keep the selected row in view (below the sticky header).
  useEffect(() => {
    const el = scroller.current;
    if (!el || selIndex < 0) return;
    const top = selIndex * ROW_HEIGHT;
    if (top < el.scrollTop) el.scrollTop = top;
    else if (HEADER_H + top + ROW_HEIGHT > el.scrollTop + height) {
      el.scrollTop = HEADER_H + top + ROW_HEIGHT - height;
    }
  }, [selIndex, height]);

  const onKeyDown = useCallback(
    (e: React.KeyboardEvent) => {
      if (count === 0) return;
      const at = selIndex < 0 ? 0 : selIndex;
      const path = rows.paths[at] as string;
      const node = model.nodes.get(path);
      const hasKids = (model.childrenOf.get(path)?.length ?? 0) > 0;
      const page = Math.max(1, Math.floor((height - HEADER_H) / ROW_HEIGHT) - 1);
      const go = (i: number) => onSelect(rows.paths[Math.max(0, Math.min(count - 1, i))] as string);
      switch (e.key) {
        case 'ArrowDown':
          go(selIndex < 0 ? 0 : at + 1);
          break;
        case 'ArrowUp':
          go(at - 1);
          break;
        case 'PageDown':
          go(at + page);
          break;
        case 'PageUp':
          go(at - page);
          break;
        case 'Home':
          go(0);
          break;
        case 'End':
          go(count - 1);
          break;
        case 'ArrowRight':
          if (hasKids && !isOpen(path)) onToggle(path);
          else if (hasKids) go(at + 1);
          break;
        case 'ArrowLeft':
          if (hasKids && isOpen(path)) onToggle(path);
          else if (node && listKeyOf(model, node) !== '') onSelect(node.parent);
          break;
        case 'Enter':
        case ' ':
          if (selIndex < 0) go(0);
          else if (hasKids) onToggle(path);
          break;
        default:
          return;
      }
      e.preventDefault();
    },
    [count, selIndex, rows, model, isOpen, height, onSelect, onToggle]
  );

  const first = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(count, Math.ceil((scrollTop + height) / ROW_HEIGHT) + STEP + OVERSCAN);
  const items: React.ReactNode[] = [];
  const columns: Columns = width >= ALL_COLUMNS_MIN_W ? 'all' : width >= COUNTS_MIN_W ? 'counts' : 'none';
  const colorOf = (c: string) =>
    c === 'text' ? theme.colors.text.secondary : theme.visualization.getColorByName(c);
  for (let i = first; i < last; i++) {
    const path = rows.paths[i] as string;
    const n = model.nodes.get(path);
    if (!n) continue;
    const kids = model.childrenOf.get(path)?.length ?? 0;
    const stamp = props.flash.ms > 0 ? props.flash.at.get(path) : undefined;
    const badge = badgeFor(n.type);
    const dk = props.diff?.get(path);
    const diffTitle =
      dk === 'changed' && props.diffBase
        ? `changed: ${describeChange(props.diffBase.nodes.get(path), n, (t) => fmtInstant(t, props.timeZone)).join('; ')}`
        : dk === 'added'
          ? 'added'
          : undefined;
    items.push(
      <Row
        key={stamp !== undefined ? `${path}#${stamp}` : path}
        node={n}
        index={i}
        id={`${idBase}-row-${i}`}
        depth={rows.depths[i] ?? 0}
        pos={rows.pos[i] ?? 1}
        setSize={rows.size[i] ?? 1}
        kids={kids}
        open={kids > 0 && isOpen(path)}
        selected={path === selected}
        hl={props.highlight(path)}
        dk={dk}
        diffTitle={diffTitle}
        flashMs={stamp !== undefined ? props.flash.ms : 0}
        match={props.matches?.has(path) ?? false}
        showValues={props.showValues}
        columns={columns}
        timeZone={props.timeZone}
        badge={badge.label}
        badgeColor={colorOf(badge.color)}
        styles={styles}
        onToggle={onToggle}
        onSelect={onSelect}
      />
    );
  }

  return (
    <div
      ref={scroller}
      role="tree"
      aria-label="Document tree"
      tabIndex={0}
      data-testid="crdt-tree"
      data-rows={count}
      aria-activedescendant={selIndex >= 0 ? `${idBase}-row-${selIndex}` : undefined}
      className={styles.scroller}
      style={{ width, height }}
      onScroll={(e) => {
        const top = Math.floor(e.currentTarget.scrollTop / ROW_HEIGHT / STEP) * STEP * ROW_HEIGHT;
        if (top !== scrollTop) setScrollTop(top);
      }}
      onKeyDown={onKeyDown}
    >
      <div
        className={styles.header}
        style={{ height: HEADER_H }}
        aria-hidden="true"
        data-testid="crdt-tree-header"
      >
        <span>Node</span>
        <span className={styles.fill} />
        {columns !== 'none' && (
          <span className={cx(styles.stats, columns === 'counts' && styles.statsCounts)}>
            <span title="size (characters or items, as Yjs counts it)">Size</span>
            <span title="items">Items</span>
            <span title="tombstones: deleted items Yjs keeps">Tomb.</span>
            {columns === 'all' && <span title="last change: client:clock time">Last change</span>}
          </span>
        )}
      </div>
      <div className={styles.inner} style={{ height: count * ROW_HEIGHT }}>
        {items}
      </div>
    </div>
  );
}

type Styles = ReturnType<typeof getStyles>;

interface RowProps {
  node: TreeNodeModel;
  index: number;
  id: string;
  depth: number;
  /** Position among the shown siblings (1-based) and their number. */
  pos: number;
  setSize: number;
  kids: number;
  open: boolean;
  selected: boolean;
  hl: 'exact' | 'inside' | null;
  dk: DiffKind | undefined;
  /** Tooltip of a row that differs from the diff base. */
  diffTitle: string | undefined;
  /** > 0 while flashing. */
  flashMs: number;
  match: boolean;
  showValues: boolean;
  columns: Columns;
  timeZone: TimeZone | undefined;
  badge: string;
  badgeColor: string;
  styles: Styles;
  onToggle: (path: string) => void;
  onSelect: (path: string) => void;
}

/** One row; memoised so scrolling only renders the rows that enter the window. */
const Row = React.memo(function Row(p: RowProps) {
  const { node: n, styles } = p;
  const path = n.path;
  const key = /^\d+$/.test(n.key) ? `[${n.key}]` : n.key;
  const when = fmtTime(n.lastTime, p.timeZone);
  const value = p.showValues ? preview(n) : '';
  // What a screen reader says for the row: the figures with their names (the header is visual only).
  const label = [
    `${key} ${n.type}${value ? ` ${value.slice(0, 80)}` : ''}`,
    `size ${n.size}`,
    `${n.itemCount} items`,
    `${n.deleted} tombstones`,
    ...(n.lastClient !== null
      ? [`last change client ${n.lastClient} clock ${n.lastClock ?? '?'} ${when}`]
      : []),
    ...(p.dk ? [p.dk] : []),
    ...(p.match ? ['match'] : []),
  ].join(', ');
  return (
    <div
      id={p.id}
      role="treeitem"
      aria-label={label}
      aria-level={p.depth + 1}
      aria-setsize={p.setSize}
      aria-posinset={p.pos}
      aria-selected={p.selected}
      aria-expanded={p.kids > 0 ? p.open : undefined}
      data-path={path}
      data-flash={p.flashMs > 0 ? 'true' : undefined}
      data-diff={p.dk}
      title={p.diffTitle}
      data-highlight={p.hl ?? undefined}
      className={cx(
        styles.row,
        p.selected && styles.selected,
        p.hl === 'exact' && styles.hlExact,
        p.hl === 'inside' && styles.hlInside,
        p.dk === 'added' && styles.added,
        p.dk === 'changed' && styles.changed,
        p.match && styles.match
      )}
      style={{ top: p.index * ROW_HEIGHT }}
      onClick={() => p.onSelect(path)}
    >
      {p.flashMs > 0 && <span className={styles.flash} style={{ animationDuration: `${p.flashMs}ms` }} />}
      <span style={{ width: p.depth * 14, flex: 'none' }} />
      <span
        className={styles.toggle}
        data-toggle=""
        aria-hidden="true"
        onClick={(e) => {
          e.stopPropagation();
          if (p.kids > 0) p.onToggle(path);
        }}
      >
        {p.kids > 0 ? (p.open ? '▾' : '▸') : ''}
      </span>
      <span
        className={styles.badge}
        style={{ color: p.badgeColor, borderColor: p.badgeColor }}
        title={n.type}
      >
        {p.badge}
      </span>
      <span className={styles.key}>{key}</span>
      {p.showValues &&
        (hasRunText(n) ? (
          <span className={styles.value} title={value}>
            {n.nodeName ? `${elementTag(n.nodeName, n.attrs)} ` : ''}
            <RichRuns runs={parseRuns(n.runs)} className={styles.runs} />
          </span>
        ) : (
          <span className={styles.value}>{value}</span>
        ))}
      <span className={styles.fill} />
      {p.columns !== 'none' && (
        <span className={cx(styles.stats, p.columns === 'counts' && styles.statsCounts)}>
          <span title="size">{n.size}</span>
          <span title="items">{n.itemCount}</span>
          <span title="tombstones" className={n.deleted > 0 ? styles.tomb : undefined}>
            {n.deleted}
          </span>
          {p.columns === 'all' && (
            <span title="last change: client:clock time" className={styles.last}>
              {n.lastClient !== null ? `${n.lastClient}:${n.lastClock ?? ''} ${when}` : ''}
            </span>
          )}
        </span>
      )}
    </div>
  );
});

const flashAnim = keyframes({ from: { opacity: 0.9 }, to: { opacity: 0 } });

const getStyles = (theme: GrafanaTheme2) => ({
  scroller: css({
    overflow: 'auto',
    position: 'relative',
    outline: 'none',
    fontFamily: theme.typography.fontFamilyMonospace,
    fontSize: theme.typography.bodySmall.fontSize,
    contain: 'strict',
    '&:focus-visible': { boxShadow: `inset 0 0 0 1px ${theme.colors.primary.border}` },
  }),
  inner: css({ position: 'relative', contain: 'layout paint style' }),
  header: css({
    position: 'sticky',
    top: 0,
    zIndex: 1,
    display: 'flex',
    alignItems: 'center',
    gap: theme.spacing(0.5),
    padding: theme.spacing(0, 1, 0, 2.5),
    background: theme.colors.background.primary,
    borderBottom: `1px solid ${theme.colors.border.weak}`,
    color: theme.colors.text.secondary,
    fontFamily: theme.typography.fontFamily,
    whiteSpace: 'nowrap',
  }),
  row: css({
    position: 'absolute',
    left: 0,
    right: 0,
    height: ROW_HEIGHT,
    display: 'flex',
    alignItems: 'center',
    gap: theme.spacing(0.5),
    paddingRight: theme.spacing(1),
    whiteSpace: 'nowrap',
    cursor: 'default',
    color: theme.colors.text.primary,
    contain: 'strict',
    '&:hover': { background: theme.colors.action.hover },
  }),
  selected: css({
    background: theme.colors.action.selected,
    '&:hover': { background: theme.colors.action.selected },
  }),
  hlExact: css({
    boxShadow: `inset 3px 0 0 ${theme.colors.warning.main}`,
    background: theme.colors.warning.transparent,
  }),
  hlInside: css({ boxShadow: `inset 3px 0 0 ${theme.colors.warning.border}` }),
  added: css({ background: theme.colors.success.transparent }),
  changed: css({ background: theme.colors.warning.transparent }),
  match: css({ fontWeight: theme.typography.fontWeightMedium, textDecoration: 'underline dotted' }),
  flash: css({
    position: 'absolute',
    inset: 0,
    pointerEvents: 'none',
    background: theme.colors.primary.transparent,
    boxShadow: `inset 0 0 0 1px ${theme.colors.primary.border}`,
    animationName: flashAnim,
    animationTimingFunction: 'ease-out',
    animationFillMode: 'forwards',
  }),
  toggle: css({
    width: 12,
    flex: 'none',
    textAlign: 'center',
    color: theme.colors.text.secondary,
    cursor: 'pointer',
  }),
  badge: css({
    flex: 'none',
    minWidth: 18,
    padding: '0 2px',
    border: '1px solid',
    borderRadius: theme.shape.radius.default,
    fontSize: 10,
    lineHeight: '14px',
    textAlign: 'center',
  }),
  key: css({ flex: 'none', color: theme.colors.text.primary }),
  runs: css({ whiteSpace: 'pre' }),
  value: css({
    overflow: 'hidden',
    textOverflow: 'ellipsis',
    color: theme.colors.text.secondary,
    minWidth: 0,
  }),
  fill: css({ flex: 1 }),
  stats: css({
    flex: 'none',
    display: 'grid',
    gridTemplateColumns: '48px 48px 40px 190px',
    textAlign: 'right',
    color: theme.colors.text.secondary,
    gap: theme.spacing(0.5),
  }),
  statsCounts: css({ gridTemplateColumns: '48px 48px 40px' }),
  tomb: css({ color: theme.colors.error.text }),
  last: css({ overflow: 'hidden', textOverflow: 'ellipsis' }),
});
