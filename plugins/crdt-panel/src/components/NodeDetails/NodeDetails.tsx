/**
 * The selected node: its summary, value and (with a diff) what changed; plus the copy / download helpers
 * the panel's toolbar uses (Copy path, Export JSON of the selected subtree).
 */
import React from 'react';
import { css } from '@emotion/css';
import { type GrafanaTheme2, type TimeZone } from '@grafana/data';
import { useStyles2 } from '@grafana/ui';

import type { TreeModel } from '../../data/model';
import { fmtInstant } from '../format';

export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // Insecure context or no permission: fall back to a hidden textarea.
    const ta = document.createElement('textarea');
    ta.value = text;
    ta.style.position = 'fixed';
    ta.style.opacity = '0';
    document.body.appendChild(ta);
    ta.select();
    let ok = false;
    try {
      ok = document.execCommand('copy');
    } catch {
      ok = false;
    }
    ta.remove();
    return ok;
  }
}

export function downloadJson(name: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function exportFileName(room: string, path: string): string {
  const base = `${room}${path}`.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^_+|_+$/g, '');
  return `${base || 'document'}.json`;
}

/** The selected node against the diff base: added, or changed field by field. */
export interface NodeChange {
  kind: 'added' | 'changed';
  since: number;
  lines: string[];
}

export function NodeDetails({
  model,
  path,
  timeZone,
  change,
}: {
  model: TreeModel;
  path: string | null;
  /** The dashboard's time zone. */
  timeZone?: TimeZone;
  /** How the selected node differs from the diff base, when a diff is shown. */
  change?: NodeChange | null;
}) {
  const styles = useStyles2(getStyles);
  const n = path === null ? undefined : model.nodes.get(path);
  return (
    <div className={styles.root} data-testid="crdt-details">
      {n ? (
        <>
          <div className={styles.path} title={n.path}>
            {n.path}
          </div>
          <div className={styles.grid}>
            <span>type</span>
            <span>{n.type}</span>
            <span>size</span>
            <span>{n.size}</span>
            <span>items</span>
            <span>{n.itemCount}</span>
            <span>tombstones</span>
            <span>{n.deleted}</span>
            <span>last</span>
            <span>
              {n.lastClient !== null
                ? `client ${n.lastClient} clock ${n.lastClock ?? '?'} ${n.lastTime !== null ? fmtInstant(n.lastTime, timeZone) : ''}`
                : '—'}
            </span>
          </div>
          {change && (
            <div className={styles.change} data-testid="crdt-details-change">
              {change.kind === 'added' ? 'added' : 'changed'} since {fmtInstant(change.since, timeZone)}
              {change.lines.length > 0 && (
                <ul className={styles.changeList}>
                  {change.lines.map((l) => (
                    <li key={l}>{l}</li>
                  ))}
                </ul>
              )}
            </div>
          )}
          {n.value !== '' && <pre className={styles.value}>{n.value.slice(0, 2000)}</pre>}
        </>
      ) : (
        <div className={styles.hint}>Select a node (Export JSON exports the whole document)</div>
      )}
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  root: css({
    padding: theme.spacing(0.5),
    borderTop: `1px solid ${theme.colors.border.weak}`,
    fontSize: theme.typography.bodySmall.fontSize,
    display: 'flex',
    flexDirection: 'column',
    gap: theme.spacing(0.5),
    minHeight: 0,
    flex: 1,
    overflow: 'auto',
  }),
  path: css({ fontFamily: theme.typography.fontFamilyMonospace, wordBreak: 'break-all' }),
  grid: css({
    display: 'grid',
    gridTemplateColumns: 'auto 1fr',
    columnGap: theme.spacing(1),
    color: theme.colors.text.secondary,
  }),
  value: css({ maxHeight: 80, overflow: 'auto', margin: 0, fontSize: 11, whiteSpace: 'pre-wrap' }),
  hint: css({ color: theme.colors.text.secondary }),
  change: css({ color: theme.colors.warning.text }),
  changeList: css({ margin: 0, paddingLeft: theme.spacing(2), wordBreak: 'break-word' }),
});
