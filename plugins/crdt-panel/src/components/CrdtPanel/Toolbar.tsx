import type React from 'react';
import { IconButton, Input } from '@grafana/ui';

import { type CrdtPanelStyles } from './styles';

export interface ToolbarProps {
  styles: CrdtPanelStyles;
  height: number;
  query: string;
  onQuery: (q: string) => void;
  onFilterKey: (e: React.KeyboardEvent<HTMLInputElement>) => void;
  /** A filter is applied: show the previous / next match buttons. */
  filtering: boolean;
  matchCount: number;
  onMatch: (dir: 1 | -1) => void;
  summary: string;
  /** The selected node's path ('' when none: copy is disabled, export takes the whole document). */
  target: string;
  copied: { path: string; ok: boolean } | null;
  onCopy: () => void;
  onExport: () => void;
  sideOpen: boolean;
  onToggleSide: () => void;
}

/** The filter box with match navigation, the summary line, copy path, export JSON and the side toggle. */
export function Toolbar(p: ToolbarProps) {
  const { styles, target } = p;
  return (
    <div className={styles.toolbar} style={{ height: p.height }}>
      <Input
        className={styles.search}
        placeholder="Filter by path or value"
        value={p.query}
        aria-label="Filter tree"
        data-testid="crdt-search"
        onChange={(e) => p.onQuery(e.currentTarget.value)}
        onKeyDown={p.onFilterKey}
      />
      {p.filtering && (
        <>
          <IconButton
            name="arrow-up"
            aria-label="Previous match"
            title="Previous match (Shift+Enter)"
            disabled={p.matchCount === 0}
            onClick={() => p.onMatch(-1)}
          />
          <IconButton
            name="arrow-down"
            aria-label="Next match"
            title="Next match (Enter)"
            disabled={p.matchCount === 0}
            onClick={() => p.onMatch(1)}
          />
        </>
      )}
      <span className={styles.info} data-testid="crdt-summary">
        {p.summary}
      </span>
      <span role="status" className={styles.status} data-testid="crdt-copy-status">
        {p.copied && p.copied.path === target && target !== ''
          ? p.copied.ok
            ? 'Copied'
            : 'Copy failed'
          : ''}
      </span>
      <IconButton
        name="copy"
        aria-label="Copy path"
        title={target ? `Copy path ${target}` : 'Copy path (select a node first)'}
        disabled={target === ''}
        onClick={p.onCopy}
      />
      <IconButton
        name="download-alt"
        aria-label="Export JSON"
        title={target ? `Export ${target} as JSON` : 'Export the whole document as JSON'}
        onClick={p.onExport}
      />
      <IconButton
        name="list-ul"
        aria-label="Updates and details"
        aria-pressed={p.sideOpen}
        title={p.sideOpen ? 'Hide updates and details' : 'Show updates and details'}
        data-testid="crdt-side-toggle"
        onClick={p.onToggleSide}
      />
    </div>
  );
}
