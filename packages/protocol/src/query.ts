/**
 * The collab datasource's query model (what dashboards store in `targets[]`).
 * The datasource, the dashboard generator and the provisioning checks all use
 * this one definition.
 */
import type { PresenceFieldPaths } from './inspect/bindings.js';

export const COLLAB_DATASOURCE_TYPE = 'collabblocks-collab-datasource';
export const PRESENCE_PANEL_TYPE = 'collabblocks-presence-panel';
export const CRDT_PANEL_TYPE = 'collabblocks-crdt-panel';

export const COLLAB_QUERY_TYPES = [
  'rooms',
  'presence',
  'presenceHeatmap',
  'documentHeatmap',
  'tree',
  'updates',
  'traffic',
  'metrics',
  'history',
  'historyTree',
] as const;

export type CollabQueryType = (typeof COLLAB_QUERY_TYPES)[number];

export interface CollabQueryModel {
  refId: string;
  queryType: CollabQueryType;
  /** `<org>/<room>`; may hold template variables (`$room`, `${org}/${room}`). Empty = all rooms (rooms query). */
  room?: string;
  /** Restrict to one pod (by pod name); empty = fan in from every configured pod. */
  pod?: string;
  /** Presence heatmap grid size (cells per side). */
  gridSize?: number;
  /** historyTree: the instant to show, ISO time or epoch ms or a variable such as `$__to`. */
  at?: string;
  /**
   * historyTree: also replay every update after `at` through this instant (ISO time, epoch ms or
   * a variable such as `$__to`) and return the tree patch of each one (a `treeSteps` frame), so a
   * panel can step through a past range exactly. Empty = no replay.
   */
  through?: string;
  /**
   * tree / historyTree: show only the subtree under this node (a tree path such as `/root/items/3`,
   * may hold template variables); empty = the whole document. The subtree root is the frame's
   * first row, so a document larger than the 10,000-row frame cap can be inspected part by part.
   */
  rootPath?: string;
  /** tree / historyTree: keep nodes at most this many levels below the subtree root (0 = the root only); empty = all. */
  maxDepth?: number;
  /** updates / traffic / history: optional text filter. */
  filter?: string;
  /**
   * A numeric view for alert rules and server-side expressions (backend only): keep just this number field
   * of each frame, plus its string fields, which Grafana's alerting turns into series labels — e.g.
   * `docBytes` of a rooms query is one series per pod/org/room. Empty = the frames as they are.
   */
  measure?: string;
  /**
   * documentHeatmap: count carets (`presence`, default) or changed items joined with the blocks they lie
   * in (`edits`) per time bucket × top-level block (line of a Y.Text).
   */
  heatmapMeasure?: 'presence' | 'edits';
  /** documentHeatmap: time bucket width in seconds; empty = the dashboard range / 100 (at least 1 s). */
  bucketSeconds?: number;
  /**
   * presence: where to read positions in awareness states no built-in convention recognises (dotted
   * field paths, see `PresenceFieldPathsSchema` of the inspect protocol: `anchor`/`head` relative
   * positions, or `x`/`y` + `space`, and `name`/`color`); sent as the presence subscription's `fields`
   * (presence, presenceHeatmap, documentHeatmap). Checked with `parsePresenceFields`.
   */
  presenceFields?: PresenceFieldPaths;
}

export const COLLAB_VARIABLE_KINDS = ['orgs', 'rooms', 'pods'] as const;
export type CollabVariableKind = (typeof COLLAB_VARIABLE_KINDS)[number];

export interface CollabVariableQueryModel {
  kind: CollabVariableKind;
  /** rooms: restrict to this org (may be a variable). */
  org?: string;
}
