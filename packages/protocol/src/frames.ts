/**
 * Data-frame contracts between the collab datasource and the panels.
 *
 * The datasource (plugins/collab-datasource/src/data) builds Grafana data
 * frames with exactly these field names; the presence panel and the CRDT panel
 * read them by name. Nothing else defines them: import the constants, never
 * retype the strings. Every frame the datasource emits carries
 * `meta.custom[COLLAB_FRAME_KIND_KEY]` (one of `COLLAB_FRAME_KINDS`) so a panel
 * can pick its frame out of a response holding several.
 *
 * Emission model: `presence`, `tree`, `historyTree`, `rooms` and `heatmap` frames
 * are full snapshots (each emission replaces the previous one, same refId
 * and frame name); `updates`, `traffic`, `metrics` and `history` frames are
 * append-only windows (the newest rows last, bounded by maxDataPoints and
 * `FRAME_LIMITS.maxRows`).
 */

/** `meta.custom` key naming the collab frame kind. */
export const COLLAB_FRAME_KIND_KEY = 'collabFrame' as const;

export const COLLAB_FRAME_KINDS = [
  'rooms',
  'presence',
  'heatmap',
  'docHeatmap',
  'tree',
  'updates',
  'traffic',
  'metrics',
  'history',
  'historyTree',
  'treeSteps',
] as const;
export type CollabFrameKind = (typeof COLLAB_FRAME_KINDS)[number];

/** Grafana data-plane frame types (`meta.type`) the datasource uses. */
export const FRAME_META_TYPES = {
  table: 'table',
  heatmapCells: 'heatmap-cells',
  logLines: 'log-lines',
  timeseriesMulti: 'timeseries-multi',
} as const;

export const FRAME_LIMITS = {
  /** At most this many rows per frame; more is cut and reported as a notice/error. */
  maxRows: 10_000,
  /** One-shot queries (rooms, history, historyTree) fail after this. */
  oneShotTimeoutMs: 5_000,
  /** Default window of streaming frames when the request gives no maxDataPoints. */
  defaultStreamRows: 1_000,
} as const;

/**
 * Presence: one row per connected awareness client of one room (a snapshot).
 * `label` is the display name with `content` scope, else the pseudonym — a
 * metadata-scope (Viewer) frame never holds names, colours or values.
 * `x`/`y` are null when the client has no cursor.
 */
export const PRESENCE_FIELDS = {
  room: 'room',
  pod: 'pod',
  clientId: 'clientId',
  /** Stable pseudonym (never a personal name). */
  user: 'user',
  /** Name (content scope) or pseudonym. */
  label: 'label',
  /** CSS colour (content scope), else a colour derived from the pseudonym. */
  color: 'color',
  x: 'x',
  y: 'y',
  status: 'status',
  /** Epoch ms (time field). */
  lastSeen: 'lastSeen',
  updateCount: 'updateCount',
  /** Pseudonymous connection id ('' when unknown). */
  conn: 'conn',
  // Revision 2 (inspect `bindings.ts`): the recognised convention, pointer space, document location, activity.
  /** Awareness convention (`yjs-cursor`, `y-monaco`, `lexical`, `tldraw`, `excalidraw`, `unit-cursor`, …; '' none). */
  binding: 'binding',
  /** Space of `x`/`y`: `unit` ([0, 1]), `page` (tldraw), `scene` (Excalidraw), `configured`; '' without a pointer. */
  space: 'space',
  /** Location state: `resolved` | `unresolved` | `unknown` ('' when the user has no document position). */
  locState: 'locState',
  /** Root type name of the location ('' when none). */
  root: 'root',
  rootKind: 'rootKind',
  /** 0-based top-level block (a line in a Y.Text) of the caret; null when not resolved. */
  block: 'block',
  /** Blocks (lines) of that root; null when not resolved. */
  blocks: 'blocks',
  /** Innermost element name ('' when none). */
  nodeName: 'nodeName',
  /** Node names from the top-level block down, joined with ' › ' ('' when none). */
  nodeNames: 'nodeNames',
  /** Inspect tree path of the innermost node (joins the CRDT panel's rows). */
  nodePath: 'nodePath',
  /** Y.Text: 1-based line and 0-based column; null otherwise. */
  line: 'line',
  column: 'column',
  /** Selection length in characters (0: caret); null when unknown or spanning texts. */
  selection: 'selection',
  /** Anchor block when the selection spans blocks; null otherwise. */
  anchorBlock: 'anchorBlock',
  /** Content scope: text around the caret, `before|after` ('' in metadata scope). */
  snippet: 'snippet',
  /** Epoch ms: last caret/pointer move or document update of this client; null when unknown. */
  lastActive: 'lastActive',
  /** Binding focus signal: true / false, null when the binding says nothing. */
  focused: 'focused',
} as const;

/** `meta.custom` of a presence frame. */
export interface PresenceFrameCustom {
  collabFrame: 'presence';
  room: string;
  pod: string;
  /** Epoch ms of the last presence message folded in. */
  ts: number;
  scope: 'metadata' | 'content';
}

/**
 * Tree (and historyTree): the Yjs document flattened in pre-order, one row per
 * node (a parent before its children). Paths are the inspect protocol's
 * JSON-Pointer paths (`/root/key/0`); `parentPath` is `''` for root types.
 * With the query's `rootPath` / `maxDepth` only that subtree (down to that
 * depth) is in the frame; `path`, `parentPath` and `depth` stay those of the
 * document (absolute), so the first row's parent is not in the frame.
 * `value` is a string (JSON for non-strings) and is empty unless the frame was
 * built with `content` scope.
 */
export const TREE_FIELDS = {
  path: 'path',
  parentPath: 'parentPath',
  depth: 'depth',
  key: 'key',
  /** Yjs type: Map, Array, Text, XmlFragment, XmlElement, XmlText, XmlHook, Doc, value, unknown. */
  type: 'type',
  size: 'size',
  itemCount: 'itemCount',
  deleted: 'deleted',
  children: 'children',
  lastClient: 'lastClient',
  lastClock: 'lastClock',
  /** Epoch ms (time field), null when unknown. */
  lastTime: 'lastTime',
  valueType: 'valueType',
  nodeName: 'nodeName',
  value: 'value',
  // Revision 2 (inspect `bindings.ts`): XML attributes, formatting runs, embeds, the editor a root suggests.
  /** XmlElement / XmlText attributes as a JSON object ('' none; metadata scope: numbers, booleans, null). */
  attrs: 'attrs',
  /** Text / XmlText formatting runs as JSON `[{length, marks?, embed?, text?, values?}]` ('' none). */
  runs: 'runs',
  /** Text / XmlText embeds (Quill images, Lexical text-node maps); null when not text. */
  embeds: 'embeds',
  /** Root types: the editor binding the root's name and kind suggest (`prosemirror`, `quill`, …; '' none). */
  binding: 'binding',
  /** `Doc` nodes (subdocuments): the guid ('' otherwise). */
  guid: 'guid',
} as const;

/** `meta.custom` of a tree / historyTree frame. */
export interface TreeFrameCustom {
  collabFrame: 'tree' | 'historyTree';
  room: string;
  pod: string;
  /** Epoch ms of the snapshot/last patch (tree) or the requested instant (historyTree). */
  ts: number;
  /** Last log seq folded in, when known. */
  seq?: number;
  /** False while a chunked snapshot is still arriving. */
  complete: boolean;
  /** Nodes selected (the whole tree, or the rootPath/maxDepth subtree); may exceed the rows when capped. */
  total: number;
  truncated: boolean;
  scope: 'metadata' | 'content';
  /**
   * Query `rootPath`: the frame holds the subtree under this node ('' = the whole document). Paths stay
   * absolute, so the subtree root's `parentPath` is not in the frame (a panel treats it as a root).
   */
  rootPath?: string;
  /** Query `maxDepth`: levels kept below the subtree root (below the root types without rootPath); null = all. */
  maxDepth?: number | null;
  /** False when no node has `rootPath` (yet): the frame is empty; a live tree fills in once it is created. */
  rootFound?: boolean;
}

/**
 * Tree steps (historyTree query with `through`): the tree patch of every update
 * logged after the historyTree frame's instant, in log order, one row per
 * touched node. A step may have several rows (same `seq`); a step that changed
 * nothing visible has one row with `op` = `none` and an empty path. Rows carry
 * the TREE_FIELDS of the node (all but `path` empty for `removed`).
 * Applied in order on top of the historyTree frame of the same response, they
 * give the document at every update instant of the range. With `rootPath` /
 * `maxDepth`, only rows inside that selection are kept and steps touching
 * nothing in it are dropped (no `none` rows); removing an ancestor of the
 * subtree root appears as a `removed` row of the root itself.
 */
export const TREE_STEP_FIELDS = {
  /** Epoch ms of the update (time field). */
  time: 'timestamp',
  seq: 'seq',
  clientId: 'clientId',
  /** `added` | `changed` | `removed` | `none`. */
  op: 'op',
  ...TREE_FIELDS,
} as const;

export const TREE_STEP_OPS = ['added', 'changed', 'removed', 'none'] as const;
export type TreeStepOp = (typeof TREE_STEP_OPS)[number];

/** `meta.custom` of a treeSteps frame. */
export interface TreeStepsFrameCustom {
  collabFrame: 'treeSteps';
  room: string;
  pod: string;
  /** The instant of the base state (the historyTree frame's `ts`). */
  from: number;
  /** The last instant replayed through. */
  to: number;
  /** Updates (steps) in the frame. */
  steps: number;
  /** More updates exist in the range than were replayed (pod bound or row cap). */
  truncated: boolean;
  scope: 'metadata' | 'content';
  /** The historyTree query's rootPath/maxDepth: only steps touching that selection are in the frame. */
  rootPath?: string;
  maxDepth?: number | null;
}

/**
 * Updates (and history): a Grafana `log-lines` frame (timestamp, body,
 * severity, labels) plus structured fields. `paths` is a JSON string array;
 * `preview` is a JSON array of delta previews and is `''` without `content` scope.
 */
export const UPDATES_FIELDS = {
  /** The log-lines time field (epoch ms). */
  time: 'timestamp',
  body: 'body',
  severity: 'severity',
  /** log-lines labels (JSON object: room, pod, origin). */
  labels: 'labels',
  /** Unique per row: `<pod>:<room>:<seq|ts-clientId-n>`. */
  id: 'id',
  room: 'room',
  seq: 'seq',
  clientId: 'clientId',
  conn: 'conn',
  user: 'user',
  origin: 'origin',
  bytes: 'bytes',
  inserted: 'inserted',
  deleted: 'deleted',
  paths: 'paths',
  preview: 'preview',
  // Revision 2: formatting apart from inserts.
  /** Characters whose formatting the update changed (not counted in `inserted`). */
  formatted: 'formatted',
  /** Formatting operations as JSON `[{path, key, length, removed?, value?}]` ('' none; `value` content only). */
  formats: 'formats',
  /** Embeds inserted. */
  embeds: 'embeds',
  // Revision 3: the Y.Text lines an update touched.
  /** JSON `[{path, from, to}]` of 0-based Y.Text lines ('' none; structure, every scope). */
  lines: 'lines',
} as const;

/** Traffic: a `log-lines` frame of wire frames seen by the pod for one room. */
export const TRAFFIC_FIELDS = {
  time: 'timestamp',
  body: 'body',
  severity: 'severity',
  labels: 'labels',
  id: 'id',
  room: 'room',
  direction: 'direction',
  conn: 'conn',
  kind: 'kind',
  bytes: 'bytes',
  count: 'count',
} as const;

/** Metrics: a time series per pod/room (one frame per pod, `timeseries-multi`). */
export const METRICS_FIELDS = {
  time: 'time',
  opsPerSec: 'opsPerSec',
  connections: 'connections',
  presence: 'presence',
  bytesIn: 'bytesIn',
  bytesOut: 'bytesOut',
  framesIn: 'framesIn',
  framesOut: 'framesOut',
  docBytes: 'docBytes',
} as const;

/** Rooms: a table across pods, one row per (pod, room). */
export const ROOMS_FIELDS = {
  pod: 'pod',
  org: 'org',
  room: 'room',
  loaded: 'loaded',
  connections: 'connections',
  presence: 'presence',
  docBytes: 'docBytes',
  ops: 'ops',
  lastActivity: 'lastActivity',
  storedBytes: 'storedBytes',
  lastSeq: 'lastSeq',
} as const;

/**
 * Presence heatmap: Grafana's dense `heatmap-cells` format (DataFrameType.HeatmapCells: "xMin, yMin,
 * count … all values in the grid exist and have regular spacing") — exactly these three fields in this
 * order, one row per grid cell, **y varying fastest** (x0y0, x0y1, …, x1y0, …). `xMin`/`yMin` are the
 * lower cell bounds (cursor coordinates), `count` the accumulated cursor samples in the cell. Grafana's
 * Heatmap panel reads the fields by position and infers the bucket counts and sizes from the repetition
 * of y; do not add `xMax`/`yMax` (a frame with both `yMin` and `yMax` is read as the sparse format).
 * `meta.custom`: `room`, `gridSize`, `samples`, the grid bounds `xMin`/`xMax`/`yMin`/`yMax` and the
 * cell sizes `xSize`/`ySize`.
 */
export const HEATMAP_FIELDS = {
  xMin: 'xMin',
  yMin: 'yMin',
  count: 'count',
} as const;

/**
 * Presence heatmap over document position (collab frame kind `docHeatmap`): the same dense
 * `heatmap-cells` layout as `HEATMAP_FIELDS` (three fields in this order, y varying fastest), with
 * `xMin` = the lower bound of a time bucket (epoch ms) and `yMin` = a top-level block index (a line
 * in a Y.Text root), `count` = caret samples (presence) or changed items (updates) in the cell, so
 * Grafana's core Heatmap panel shows where people are and where edits land over the time range.
 * `meta.custom`: {@link DocHeatmapFrameCustom}.
 */
export const DOC_HEATMAP_FIELDS = HEATMAP_FIELDS;

/** `meta.custom` of a docHeatmap frame. */
export interface DocHeatmapFrameCustom {
  collabFrame: 'docHeatmap';
  room: string;
  /** Root type whose blocks form the y axis. */
  root: string;
  /** `presence` (caret samples) or `edits` (changed items joined with blocks). */
  measure: 'presence' | 'edits';
  /** Time bucket width (ms) and the number of block rows. */
  bucketMs: number;
  blocks: number;
  samples: number;
}

/** Read the collab frame kind of a frame's `meta.custom`, or undefined. */
export function collabFrameKind(
  meta: { custom?: Record<string, unknown> } | undefined
): CollabFrameKind | undefined {
  const k = meta?.custom?.[COLLAB_FRAME_KIND_KEY];
  return typeof k === 'string' && (COLLAB_FRAME_KINDS as readonly string[]).includes(k)
    ? (k as CollabFrameKind)
    : undefined;
}
