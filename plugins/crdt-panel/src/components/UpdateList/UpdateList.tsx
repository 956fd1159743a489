/** Recent update summaries (newest first); selecting one highlights the paths it touched. */
import React from 'react';
import { css, cx } from '@emotion/css';
import { type GrafanaTheme2, type TimeZone } from '@grafana/data';
import { IconButton, useStyles2 } from '@grafana/ui';

import type { UpdateEntry } from '../../data/updates';
import type { UserColors } from '../../data/userColors';
import { fmtTimeMs } from '../format';

export interface UpdateListProps {
  updates: UpdateEntry[];
  /** The colour each writer publishes (validated plain CSS colours; '' unknown: no swatch). */
  colors?: UserColors;
  /** Bumped with `colors` (memo). */
  colorsVersion?: number;
  selectedId: string | null;
  height: number;
  /** The dashboard's time zone. */
  timeZone?: TimeZone;
  onSelect: (id: string | null) => void;
  onTravel: (t: number) => void;
}

const MAX_SHOWN = 200;

/** Memoised: a time-travel step re-renders the panel but not this list (same updates, same callbacks). */
export const UpdateList = React.memo(function UpdateList({
  updates,
  colors,
  selectedId,
  height,
  timeZone,
  onSelect,
  onTravel,
}: UpdateListProps) {
  const styles = useStyles2(getStyles);
  const shown = updates.slice(-MAX_SHOWN).reverse();
  return (
    <div className={styles.root} style={{ height }} data-testid="crdt-updates" data-count={updates.length}>
      {shown.length === 0 && <div className={styles.empty}>No updates in range</div>}
      {shown.map((u) => {
        const color = colors?.of(u.clientId) ?? '';
        return (
          <div
            key={u.id}
            role="button"
            tabIndex={0}
            data-update-id={u.id}
            data-color={color || undefined}
            className={cx(styles.item, u.id === selectedId && styles.selected)}
            onClick={() => onSelect(u.id === selectedId ? null : u.id)}
            onKeyDown={(e) => {
              if (e.key === 'Enter' || e.key === ' ') {
                e.preventDefault();
                onSelect(u.id === selectedId ? null : u.id);
              }
            }}
          >
            <div className={styles.line}>
              <span>{fmtTimeMs(u.ts, timeZone)}</span>
              {color !== '' && (
                <span
                  className={styles.swatch}
                  style={{ background: color }}
                  aria-hidden="true"
                  data-testid="crdt-update-swatch"
                />
              )}
              <span className={styles.who}>
                {u.user || (u.clientId !== null ? `client ${u.clientId}` : u.origin)}
              </span>
              <span className={styles.ins}>+{u.inserted}</span>
              <span className={styles.del}>-{u.deleted}</span>
              <IconButton
                name="history"
                size="sm"
                aria-label="Show the document at this update"
                onClick={(e) => {
                  e.stopPropagation();
                  onTravel(u.ts);
                }}
              />
            </div>
            {u.formatted && (
              <div className={styles.paths} data-testid="crdt-update-formats">
                {u.formatted}
              </div>
            )}
            <div className={styles.paths}>{u.paths.slice(0, 3).join(' ') || '—'}</div>
          </div>
        );
      })}
    </div>
  );
});

const getStyles = (theme: GrafanaTheme2) => ({
  root: css({ overflowY: 'auto', fontSize: theme.typography.bodySmall.fontSize }),
  empty: css({ color: theme.colors.text.secondary, padding: theme.spacing(1) }),
  item: css({
    padding: theme.spacing(0.25, 0.5),
    borderBottom: `1px solid ${theme.colors.border.weak}`,
    cursor: 'pointer',
    '&:hover': { background: theme.colors.action.hover },
  }),
  selected: css({
    background: theme.colors.warning.transparent,
    '&:hover': { background: theme.colors.warning.transparent },
  }),
  line: css({
    display: 'flex',
    gap: theme.spacing(0.5),
    alignItems: 'center',
    fontFamily: theme.typography.fontFamilyMonospace,
  }),
  swatch: css({ width: 8, height: 8, borderRadius: '50%', flex: 'none' }),
  who: css({ flex: 1, overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }),
  ins: css({ color: theme.colors.success.text }),
  del: css({ color: theme.colors.error.text }),
  paths: css({
    color: theme.colors.text.secondary,
    overflow: 'hidden',
    textOverflow: 'ellipsis',
    whiteSpace: 'nowrap',
    fontFamily: theme.typography.fontFamilyMonospace,
  }),
});
