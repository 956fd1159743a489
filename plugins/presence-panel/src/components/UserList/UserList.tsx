import { memo } from 'react';
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { useStyles2 } from '@grafana/ui';

import { isStale, type StaleRules } from '../../data/staleness';
import type { UserEntry } from '../../data/store';

export interface UserListProps {
  users: readonly UserEntry[];
  palette: readonly string[];
  now: number;
  rules: StaleRules;
  /** Rows rendered at most (the rest is summarised). */
  maxRows?: number;
  height: number;
  /**
   * The list re-renders only when this changes (the panel passes the second tick, the user and stale
   * counts and the room): at 10 updates/s with 1,000 users, sorting on every update is wasted work.
   */
  renderKey: string;
}

export function formatAgo(ms: number): string {
  if (!Number.isFinite(ms)) return '–';
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s ago`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m}m ago`;
  return `${Math.round(m / 60)}h ago`;
}

const getStyles = (theme: GrafanaTheme2) => ({
  list: css({
    overflowY: 'auto',
    fontSize: theme.typography.bodySmall.fontSize,
    borderLeft: `1px solid ${theme.colors.border.weak}`,
    padding: theme.spacing(0, 1),
  }),
  row: css({
    display: 'flex',
    alignItems: 'center',
    gap: theme.spacing(0.75),
    padding: theme.spacing(0.25, 0),
    whiteSpace: 'nowrap',
  }),
  swatch: css({ width: 10, height: 10, borderRadius: '50%', flex: '0 0 auto' }),
  label: css({
    overflow: 'hidden',
    textOverflow: 'ellipsis',
    flex: '1 1 auto',
    color: theme.colors.text.primary,
  }),
  meta: css({ color: theme.colors.text.secondary }),
  stale: css({
    color: theme.colors.warning.text,
    border: `1px solid ${theme.colors.warning.border}`,
    borderRadius: theme.shape.radius.default,
    padding: theme.spacing(0, 0.5),
  }),
  more: css({ color: theme.colors.text.secondary, padding: theme.spacing(0.5, 0) }),
});

const statusRank = { editing: 0, idle: 1, unknown: 2, away: 3 } as const;

/** Users of a room: fresh before stale, then by status and label; bounded number of DOM rows. */
export const UserList = memo(UserListView, (a, b) => a.renderKey === b.renderKey);

function UserListView({ users, palette, now, rules, maxRows = 50, height }: UserListProps) {
  const styles = useStyles2(getStyles);
  const rows = users
    .map((u) => ({ u, stale: isStale(u, now, rules) }))
    .sort(
      (a, b) =>
        Number(a.stale) - Number(b.stale) ||
        statusRank[a.u.status] - statusRank[b.u.status] ||
        (a.u.label < b.u.label ? -1 : a.u.label > b.u.label ? 1 : 0)
    );
  const shown = rows.slice(0, maxRows);
  return (
    <div className={styles.list} style={{ height }} data-testid="presence-user-list">
      {shown.map(({ u, stale }) => (
        <div
          key={u.key}
          className={styles.row}
          data-testid="presence-user-row"
          data-user={u.user}
          data-stale={stale ? 'true' : 'false'}
          data-status={u.status}
        >
          <span className={styles.swatch} style={{ background: palette[u.paletteIdx] }} />
          <span className={styles.label} title={u.label}>
            {u.label}
          </span>
          <span className={styles.meta}>
            {u.status === 'unknown' ? '' : u.status} {formatAgo(now - (u.lastSeen || u.changedAt))}
          </span>
          {stale && <span className={styles.stale}>stale</span>}
        </div>
      ))}
      {rows.length > shown.length && <div className={styles.more}>+{rows.length - shown.length} more</div>}
    </div>
  );
}
