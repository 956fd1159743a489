/**
 * The diff between the pinned instant ("Compare from here") and the state shown: added, changed (with what
 * changed, field by field) and removed nodes — removed nodes are no longer in the tree, so this list is where
 * they are seen. Added and changed entries select their node in the tree.
 */
import React from 'react';
import { css, cx } from '@emotion/css';
import { type GrafanaTheme2, type TimeZone } from '@grafana/data';
import { useStyles2 } from '@grafana/ui';

import { describeChange, type TreeDiff } from '../../data/diff';
import type { TreeModel, TreeNodeModel } from '../../data/model';
import { fmtInstant, fmtTimeMs } from '../format';
import { elementTag } from '../../data/richText';

export interface DiffViewProps {
  diff: TreeDiff;
  /** The state at the pinned instant (the diff base). */
  before: TreeModel;
  compareAt: number;
  height: number;
  timeZone?: TimeZone;
  onSelect: (path: string) => void;
}

/** Entries listed per section (the counts are exact). */
const MAX_ITEMS = 200;

function valuePreview(n: TreeNodeModel): string {
  const tag = elementTag(n.nodeName, n.attrs);
  if (n.value === '') return tag;
  const v = n.value.length > 60 ? `${n.value.slice(0, 60)}…` : n.value;
  return tag ? `${tag} ${v}` : v;
}

/** An added or removed node in one line: its type and value. */
const summary = (n: TreeNodeModel) => `${n.type} ${valuePreview(n)}`;

export function DiffView({ diff, before, compareAt, height, timeZone, onSelect }: DiffViewProps) {
  const styles = useStyles2(getStyles);
  const fmt = (t: number) => fmtInstant(t, timeZone);
  /** One kind of difference: its heading, the first MAX_ITEMS entries, how many more there are. */
  const section = (
    kind: 'Changed' | 'Added' | 'Removed',
    total: number,
    nodes: TreeNodeModel[],
    entry: (n: TreeNodeModel) => React.ReactNode
  ) =>
    total > 0 && (
      <section aria-label={`${kind} nodes`}>
        <h6 className={styles.title}>
          {kind} ({total})
        </h6>
        <ul className={styles.list} data-testid={`crdt-diff-${kind.toLowerCase()}`}>
          {nodes.slice(0, MAX_ITEMS).map(entry)}
          {total > MAX_ITEMS && <li className={styles.more}>… and {total - MAX_ITEMS} more</li>}
        </ul>
      </section>
    );
  const selectable = (n: TreeNodeModel, what: string) => (
    <li key={n.path}>
      <button type="button" className={styles.item} onClick={() => onSelect(n.path)} title="Show in the tree">
        <span className={styles.path}>{n.path}</span>
        <span className={styles.what}>{what}</span>
      </button>
    </li>
  );
  return (
    <div className={styles.root} style={{ height }} data-testid="crdt-diff">
      <div className={styles.head}>
        Since {fmtTimeMs(compareAt, timeZone)}: <span className={styles.added}>+{diff.added}</span>{' '}
        <span className={styles.removed}>−{diff.removed}</span>{' '}
        <span className={styles.changed}>~{diff.changed}</span>
      </div>
      {diff.kinds.size === 0 && <div className={styles.empty}>No differences</div>}
      {section('Changed', diff.changed, diff.changedNodes, (n) =>
        selectable(n, describeChange(before.nodes.get(n.path), n, fmt).join('; '))
      )}
      {section('Added', diff.added, diff.addedNodes, (n) => selectable(n, summary(n)))}
      {section('Removed', diff.removed, diff.removedNodes, (n) => (
        <li key={n.path} className={cx(styles.item, styles.gone)} data-path={n.path}>
          <span className={styles.path}>{n.path}</span>
          <span className={styles.what}>{summary(n)}</span>
        </li>
      ))}
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  root: css({
    overflowY: 'auto',
    fontSize: theme.typography.bodySmall.fontSize,
    padding: theme.spacing(0.5),
  }),
  head: css({ fontFamily: theme.typography.fontFamilyMonospace, marginBottom: theme.spacing(0.5) }),
  empty: css({ color: theme.colors.text.secondary }),
  title: css({
    fontSize: theme.typography.bodySmall.fontSize,
    color: theme.colors.text.secondary,
    margin: theme.spacing(0.5, 0, 0.25),
  }),
  list: css({ listStyle: 'none', margin: 0, padding: 0 }),
  item: css({
    display: 'flex',
    flexDirection: 'column',
    alignItems: 'flex-start',
    width: '100%',
    padding: theme.spacing(0.25, 0.5),
    border: 'none',
    borderBottom: `1px solid ${theme.colors.border.weak}`,
    background: 'none',
    color: theme.colors.text.primary,
    textAlign: 'left',
    fontSize: 'inherit',
    cursor: 'pointer',
    '&:hover': { background: theme.colors.action.hover },
  }),
  gone: css({
    cursor: 'default',
    '&:hover': { background: 'none' },
    '& > span:first-child': { textDecoration: 'line-through' },
  }),
  path: css({
    fontFamily: theme.typography.fontFamilyMonospace,
    wordBreak: 'break-all',
  }),
  what: css({ color: theme.colors.text.secondary, wordBreak: 'break-word' }),
  more: css({ color: theme.colors.text.secondary, padding: theme.spacing(0.25, 0.5) }),
  added: css({ color: theme.colors.success.text }),
  removed: css({ color: theme.colors.error.text }),
  changed: css({ color: theme.colors.warning.text }),
});
