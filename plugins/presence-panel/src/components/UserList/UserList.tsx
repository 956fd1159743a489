import { memo } from 'react';
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { useStyles2 } from '@grafana/ui';

import { whereText } from '../../data/describe';
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
  /** Show each user's room (small multiples: the list merges several rooms). */
  showRoom?: boolean;
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
  where: css({
    color: theme.colors.text.secondary,
    fontFamily: theme.typography.fontFamilyMonospace,
    overflow: 'hidden',
    textOverflow: 'ellipsis',
    maxWidth: '45%',
    flex: '0 1 auto',
  }),
  stale: css({
    color: theme.colors.warning.text,
    border: `1px solid ${theme.colors.warning.border}`,
    borderRadius: theme.shape.radius.default,
    padding: theme.spacing(0, 0.5),
  }),
  more: css({ color: theme.colors.text.secondary, padding: theme.spacing(0.5, 0) }),
  room: css({
    color: theme.colors.text.secondary,
    overflow: 'hidden',
    textOverflow: 'ellipsis',
    maxWidth: '40%',
    flex: '0 1 auto',
  }),
  /** Visually hidden, read by screen readers. */
  srOnly: css({
    position: 'absolute',
    width: 1,
    height: 1,
    padding: 0,
    margin: -1,
    overflow: 'hidden',
    clip: 'rect(0, 0, 0, 0)',
    whiteSpace: 'nowrap',
    border: 0,
  }),
});

const statusRank = { editing: 0, idle: 1, unknown: 2, away: 3 } as const;

interface Row {
  u: UserEntry;
  stale: boolean;
  /** Where the user is in the document ('' none). */
  where: string;
}

/** Fresh before stale, then by status and label (grouped by room first when the list merges rooms). */
function sortedRows(users: readonly UserEntry[], now: number, rules: StaleRules, byRoom: boolean): Row[] {
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return users
    .map((u) => ({ u, stale: isStale(u, now, rules), where: whereText(u) }))
    .sort(
      (a, b) =>
        (byRoom ? cmp(a.u.room, b.u.room) : 0) ||
        Number(a.stale) - Number(b.stale) ||
        statusRank[a.u.status] - statusRank[b.u.status] ||
        cmp(a.u.label, b.u.label)
    );
}

/** Users of a room: fresh before stale, then by status and label; bounded number of DOM rows. */
export const UserList = memo(UserListView, (a, b) => a.renderKey === b.renderKey);

function UserListView({ users, palette, now, rules, maxRows = 50, height, showRoom = false }: UserListProps) {
  const styles = useStyles2(getStyles);
  const rows = sortedRows(users, now, rules, showRoom);
  const shown = rows.slice(0, maxRows);
  return (
    <div
      className={styles.list}
      style={{ height }}
      data-testid="presence-user-list"
      role="list"
      aria-label="Users"
    >
      {shown.map(({ u, stale, where }) => (
        <div
          key={showRoom ? `${u.room}\u0000${u.key}` : u.key}
          className={styles.row}
          role="listitem"
          data-testid="presence-user-row"
          data-user={u.user}
          data-room={u.room}
          data-stale={stale ? 'true' : 'false'}
          data-status={u.status}
          data-client={u.clientId}
          data-block={Number.isFinite(u.block) ? u.block : undefined}
          data-line={Number.isFinite(u.line) ? u.line : undefined}
        >
          <span
            className={styles.swatch}
            style={{ background: u.color || palette[u.paletteIdx % Math.max(1, palette.length)] }}
            aria-hidden="true"
          />
          <span className={styles.label} title={u.label}>
            {u.label}
          </span>
          {showRoom && (
            <span className={styles.room} title={u.room} data-testid="presence-user-room">
              {u.room}
            </span>
          )}
          {where !== '' && (
            <span className={styles.where} title={u.nodeNames || where} data-testid="presence-user-where">
              {where}
            </span>
          )}
          <span className={styles.meta}>
            {u.status === 'unknown' ? '' : u.status} {formatAgo(now - (u.lastSeen || u.changedAt))}
          </span>
          {stale && <span className={styles.stale}>stale</span>}
        </div>
      ))}
      {rows.length > shown.length && (
        <div className={styles.more} role="listitem">
          +{rows.length - shown.length} more
        </div>
      )}
    </div>
  );
}

export interface UserSummaryProps {
  users: readonly UserEntry[];
  now: number;
  rules: StaleRules;
  /** Users named at most (the rest is counted). */
  maxNames?: number;
  showRoom?: boolean;
  /** Re-render key, as for UserList. */
  renderKey: string;
}

/** One user as text: "Ada (editing, stale, in acme/doc)". */
export function describeUser(u: UserEntry, stale: boolean, showRoom: boolean): string {
  const parts: string[] = [];
  if (u.status !== 'unknown') parts.push(u.status);
  if (stale) parts.push('stale');
  if (showRoom) parts.push(`in ${u.room}`);
  return parts.length > 0 ? `${u.label} (${parts.join(', ')})` : u.label;
}

/**
 * The text alternative when the user list is not shown (narrow panel or list turned off): a visually
 * hidden, bounded list of who is there, for screen readers.
 */
export const UserSummary = memo(UserSummaryView, (a, b) => a.renderKey === b.renderKey);

function UserSummaryView({ users, now, rules, maxNames = 20, showRoom = false }: UserSummaryProps) {
  const styles = useStyles2(getStyles);
  const rows = sortedRows(users, now, rules, showRoom);
  const shown = rows.slice(0, maxNames);
  return (
    <ul className={styles.srOnly} aria-label="Users" data-testid="presence-user-summary">
      {shown.map(({ u, stale }) => (
        <li key={showRoom ? `${u.room}\u0000${u.key}` : u.key}>{describeUser(u, stale, showRoom)}</li>
      ))}
      {rows.length > shown.length && <li>and {rows.length - shown.length} more</li>}
    </ul>
  );
}
