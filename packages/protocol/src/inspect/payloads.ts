/** Payload shapes carried by the pod's messages: rooms, presence users, tree nodes, update summaries, traffic. */
import { z } from 'zod';
import { PresenceBindingFields, TreeNodeBindingFields, UpdateBindingFields } from './bindings.js';
import { Count, Ts } from './fields.js';

export const RoomInfoSchema = z.object({
  room: z.string(),
  org: z.string(),
  /** Loaded in memory on this pod (else only stored). */
  loaded: z.boolean(),
  connections: Count,
  presence: Count,
  docBytes: Count,
  /** Updates applied since load (loaded) or retained log entries (stored). */
  ops: Count,
  lastActivity: Ts,
  storedBytes: Count.optional(),
  lastSeq: Count.optional(),
});
export type RoomInfo = z.infer<typeof RoomInfoSchema>;

/** Presence statuses the pod sends in `metadata` scope. */
export const PRESENCE_STATUSES = ['editing', 'idle', 'away', 'unknown'] as const;
export type PresenceStatus = (typeof PRESENCE_STATUSES)[number];

export const PresenceUserSchema = z.object({
  /** Awareness client id (random per Yjs doc, not personal). */
  clientId: z.number().int(),
  /**
   * Stable pseudonym: the connection's user pseudonym (`u_…`) on the pod the client is
   * connected to, else (`remote`, or unknown) `a_…`, a keyed hash of org + client id that
   * every pod of a deployment computes alike (the key derives from the shared inspect secret).
   */
  user: z.string(),
  /** Pseudonymous pod connection id, when known. */
  conn: z.string().optional(),
  /**
   * True when the awareness state reached this pod from another pod (cross-pod fan-out): this
   * pod knows no connection for it (no `conn`, `user` is the `a_…` pseudonym). The pod the
   * client is connected to reports the same `clientId` without `remote`, with the user
   * pseudonym: when merging several pods' views by `clientId`, prefer the entry without
   * `remote`. Absent from pods older than this field.
   */
  remote: z.boolean().optional(),
  /** Display name: `content` scope only. */
  name: z.string().optional(),
  /**
   * Colour: `content` scope as published (≤ 32 chars); `metadata` scope only when it is a plain CSS
   * colour (`#rgb`, `#rrggbb[aa]`, `rgb()/rgba()/hsl()/hsla()` of numbers), so users are drawn in the
   * colour their editor draws them in.
   */
  color: z.string().optional(),
  /**
   * A pointer in [0, 1] (the simulator's `cursor: {x, y}`), else null. Page/scene pointers of tldraw and
   * Excalidraw and every other position are in `pointer` / `location` (revision 2).
   */
  cursor: z.object({ x: z.number(), y: z.number() }).nullable(),
  /**
   * The awareness `status`: `metadata` scope only one of `PRESENCE_STATUSES` (other client
   * text becomes `unknown`); `content` scope the client's text (≤ 32 chars).
   */
  status: z.string().optional(),
  /** Last awareness change seen for this client. */
  lastSeen: Ts,
  /** Awareness updates seen from this client since the subscription started. */
  updates: Count,
  ...PresenceBindingFields,
});
export type PresenceUser = z.infer<typeof PresenceUserSchema>;

export const TREE_NODE_TYPES = [
  'Map',
  'Array',
  'Text',
  'XmlFragment',
  'XmlElement',
  'XmlText',
  'XmlHook',
  'Doc',
  'value',
  'unknown',
] as const;
export const TreeNodeTypeSchema = z.enum(TREE_NODE_TYPES);
export type TreeNodeType = z.infer<typeof TreeNodeTypeSchema>;

export const VALUE_TYPES = [
  'string',
  'number',
  'boolean',
  'null',
  'object',
  'array',
  'binary',
  'undefined',
  'embed',
] as const;

export const TreeNodeSchema = z.object({
  /** See `paths.ts`: `/<root>`, `/<root>/<key>`, `/<root>/<index>`… */
  path: z.string(),
  /** Parent path (`''` for root types). */
  parent: z.string(),
  /** 1 for root types. */
  depth: z.number().int().positive(),
  /** Root name, Map key, or child index as a string. */
  key: z.string(),
  /** Child index for Array/Xml children. */
  index: Count.optional(),
  type: TreeNodeTypeSchema,
  /** Map: live keys; Array/Text/Xml: length; value: JSON length of the value in bytes. */
  size: Count,
  /** Struct items held by the type (live + deleted), 1 for a value. */
  itemCount: Count,
  /** Deleted (tombstone) items still held by the type. */
  deleted: Count,
  /** Number of child nodes in the tree (Map keys, Array/Xml children). */
  children: Count,
  lastClient: z.number().int().optional(),
  lastClock: Count.optional(),
  /** Epoch ms of the last change, from the update log (absent when unknown). */
  lastTime: Ts.optional(),
  /** XmlElement tag name. */
  nodeName: z.string().optional(),
  /** value nodes: the JSON type of the value. */
  valueType: z.enum(VALUE_TYPES).optional(),
  /** value nodes (and Text, as a string): `content` scope only, long values truncated. */
  value: z.unknown().optional(),
  ...TreeNodeBindingFields,
});
export type TreeNode = z.infer<typeof TreeNodeSchema>;

export const DeltaPreviewSchema = z.object({
  path: z.string(),
  op: z.enum(['insert', 'delete', 'set']),
  /** Inserted / set value (strings truncated). */
  value: z.unknown().optional(),
  /** Length inserted/deleted. */
  length: Count.optional(),
});
export type DeltaPreview = z.infer<typeof DeltaPreviewSchema>;

export const UpdateSummarySchema = z.object({
  /** Log sequence number (absent for updates not logged on this pod). */
  seq: Count.optional(),
  ts: Ts,
  /** Yjs client id of the author. */
  clientId: z.number().int(),
  /** Pseudonymous pod connection id (absent for remote/storage updates). */
  conn: z.string().optional(),
  /** Author's user pseudonym when known. */
  user: z.string().optional(),
  origin: z.enum(['client', 'remote', 'storage']),
  bytes: Count,
  /** Inserted items (content length: characters, array elements, map sets); format markers are not inserts. */
  inserted: Count,
  /** Deleted length (from the update's delete set). */
  deleted: Count,
  /** Paths touched (bounded, see `pathsTruncated`). */
  paths: z.array(z.string()),
  pathsTruncated: z.boolean().optional(),
  /** `content` scope only (bounded). */
  preview: z.array(DeltaPreviewSchema).optional(),
  ...UpdateBindingFields,
});
export type UpdateSummary = z.infer<typeof UpdateSummarySchema>;

export const TRAFFIC_KINDS = [
  'sync-step1',
  'sync-step2',
  'sync-update',
  'awareness',
  'auth',
  'query-awareness',
  'trace-context',
  'unknown',
] as const;

export const TrafficFrameSchema = z.object({
  ts: Ts,
  direction: z.enum(['in', 'out']),
  conn: z.string(),
  kind: z.enum(TRAFFIC_KINDS),
  bytes: Count,
  /** Short summary, e.g. `update 34 B client 123` — never values or names. */
  summary: z.string(),
  /** When coalesced: how many frames of this conn/direction/kind this row stands for (bytes summed). */
  count: Count.optional(),
});
export type TrafficFrame = z.infer<typeof TrafficFrameSchema>;
