/**
 * What the inspect protocol says about documents and presence as real editor bindings write them
 * (schema revision 2, all fields optional additions to version 1):
 *
 * - presence: the awareness convention a state was recognised as (`binding`), the **document
 *   location** the pod resolved from its relative positions, canvas pointers with their coordinate
 *   space, and activity (`lastActive`, the binding's own focus/idle signals);
 * - tree: XML node names and attributes, text as formatting runs (marks, embeds), subdocuments,
 *   the editor a root's name and type suggest;
 * - updates: formatting operations counted apart from inserts; (revision 3) the Y.Text lines an
 *   update touched.
 *
 * Open sets (binding names, mark names, node names) are strings, not enums, so a pod that learns a
 * new binding never breaks an older client's parser; the known values are listed in constants.
 */
import { z } from 'zod';

const Ts = z.number().finite().nonnegative();
const Count = z.number().int().nonnegative();
const Coord = z.number().finite();

/** Most entries of a location's `path` (enclosing node names, outermost first). */
export const MAX_LOCATION_DEPTH = 16;
/** Longest snippet side (content scope), in characters. */
export const MAX_SNIPPET_CHARS = 40;
/** Most formatting runs in one tree node (the rest: `runsTruncated`). */
export const MAX_TEXT_RUNS = 200;
/** Most formatting operations listed in one update summary. */
export const MAX_UPDATE_FORMATS = 16;

/**
 * Awareness conventions the pod recognises without configuration (presence `binding`):
 * - `yjs-cursor`: `cursor: {anchor, head}` as `Y.RelativePosition` JSON — y-prosemirror, TipTap
 *   (CollaborationCaret/Cursor), BlockNote, y-codemirror.next, y-quill;
 * - `y-monaco`: `selection: {anchor, head}` relative positions;
 * - `lexical`: @lexical/yjs flat `anchorPos` / `focusPos` / `name` / `color` / `focusing` / `awarenessData`;
 * - `tldraw`: `presence: {cursor: {x, y}, camera, currentPageId, selectedShapeIds, …}` (page coordinates);
 * - `excalidraw`: `pointer: {x, y, tool}`, `button`, `selectedElementIds`, `user` (scene coordinates);
 * - `unit-cursor`: `cursor: {x, y}` in [0, 1] (this project's simulator);
 * - `configured`: field paths from the pod's `COLLAB_PRESENCE_FIELDS` or the subscription's `presence.fields`;
 * - `none`: no position convention recognised (the user may still have a name, colour, status).
 */
export const AWARENESS_BINDINGS = [
  'yjs-cursor',
  'y-monaco',
  'lexical',
  'tldraw',
  'excalidraw',
  'unit-cursor',
  'configured',
  'none',
] as const;
export type AwarenessBinding = (typeof AWARENESS_BINDINGS)[number];

/**
 * Editors a root type's name and kind suggest (tree node `binding`, root types only): `prosemirror`
 * (y-prosemirror's `prosemirror` XmlFragment), `tiptap` (TipTap's `default` XmlFragment), `blocknote`
 * (`document-store`, or an XmlFragment of `blockGroup`/`blockContainer` elements), `codemirror`,
 * `monaco`, `quill` (Y.Text of those names), `lexical` (`root` XmlText), `tldraw`, `excalidraw`.
 */
export const DOC_BINDINGS = [
  'prosemirror',
  'tiptap',
  'blocknote',
  'codemirror',
  'monaco',
  'quill',
  'lexical',
  'tldraw',
  'excalidraw',
] as const;
export type DocBinding = (typeof DOC_BINDINGS)[number];

export const LOCATION_STATES = ['resolved', 'unresolved', 'unknown'] as const;
/**
 * Why a location is not `resolved`:
 * - `unresolved` + `missing-item`: it points at an item this pod has not received (yet);
 *   `collected`: at an item garbage-collected since; `unknown-root`: at a root the document lacks;
 * - `unknown` + `no-position`: the state carries no position (e.g. an unfocused editor);
 *   `invalid`: position fields malformed (NaN, wrong types, oversized); `pending`: not resolved
 *   yet (resolution is throttled per client; a later patch carries it); `not-document`: a canvas
 *   pointer, which has no document location.
 */
export const LOCATION_REASONS = [
  'missing-item',
  'collected',
  'unknown-root',
  'no-position',
  'invalid',
  'pending',
  'not-document',
] as const;

/**
 * Where a user's caret (the selection head) is in the document, resolved on the pod from the
 * binding's relative positions. Metadata scope carries structure only — root, block index,
 * node names, line, column, selection length — never text; content scope adds `snippet`.
 *
 * Blocks: for an XmlFragment (ProseMirror, TipTap, BlockNote) or Lexical's root XmlText, the
 * index of the top-level child holding the caret among `blocks` top-level children; for a Y.Text
 * (CodeMirror, Monaco, Quill) the 0-based line (`line - 1`) among `blocks` lines, so one document
 * minimap serves both.
 */
export const DocLocationSchema = z.object({
  state: z.enum(LOCATION_STATES),
  reason: z.enum(LOCATION_REASONS).optional(),
  /** Root type name (`prosemirror`, `default`, `codemirror`, `quill`, `root`, …). */
  root: z.string().max(128).optional(),
  /** Kind of that root (`XmlFragment`, `Text`, `XmlText`, …, as tree node `type`). */
  rootKind: z.string().max(32).optional(),
  /** 0-based top-level block of the caret (a line in a Y.Text). */
  block: Count.optional(),
  /** Top-level blocks in the root (lines in a Y.Text). */
  blocks: Count.optional(),
  /** Inspect tree path (see `paths.ts`) of the innermost node holding the caret. */
  nodePath: z.string().max(1_024).optional(),
  /** Node names from the top-level block down to the innermost element (`bulletList`, `listItem`, `paragraph`). */
  path: z.array(z.string().max(64)).max(MAX_LOCATION_DEPTH).optional(),
  /** Innermost element name (`paragraph`, `heading`, `blockContainer`, Lexical `__type`…). */
  nodeName: z.string().max(64).optional(),
  /** Caret offset inside its text (a Y.Text: from the start; XML: inside the innermost XmlText). */
  offset: Count.optional(),
  /** Y.Text: 1-based line of the caret, as editors number lines. */
  line: Count.optional(),
  /** Y.Text: characters before the caret on its line (0-based). */
  column: Count.optional(),
  /** Characters between anchor and head (0: a caret); absent when they lie in different texts. */
  selection: Count.optional(),
  /** When the selection spans blocks: the anchor's top-level block (`block` is the head's). */
  anchorBlock: Count.optional(),
  /** Content scope only: a few characters either side of the caret. */
  snippet: z
    .object({ before: z.string().max(MAX_SNIPPET_CHARS), after: z.string().max(MAX_SNIPPET_CHARS) })
    .optional(),
});
export type DocLocation = z.infer<typeof DocLocationSchema>;

/**
 * Coordinate space of a pointer: `unit` = [0, 1] on both axes (the simulator); `page` = tldraw page
 * coordinates; `scene` = Excalidraw scene coordinates; `configured` = whatever the configured fields hold.
 * Page and scene coordinates are unbounded: a canvas fits its view to the pointers seen.
 */
export const POINTER_SPACES = ['unit', 'page', 'scene', 'configured'] as const;

export const PointerSchema = z.object({
  x: Coord,
  y: Coord,
  space: z.enum(POINTER_SPACES),
  /** Excalidraw `pointer.tool` (`pointer`, `laser`), bounded. */
  tool: z.string().max(32).optional(),
  /** Excalidraw `button === 'down'`. */
  down: z.boolean().optional(),
  /** tldraw `currentPageId` (a record id, bounded). */
  page: z.string().max(64).optional(),
  /** Shapes / elements the user has selected (tldraw `selectedShapeIds`, Excalidraw `selectedElementIds`). */
  selected: Count.optional(),
  /** tldraw camera: the viewport origin and zoom, in page coordinates. */
  viewport: z.object({ x: Coord, y: Coord, zoom: Coord }).optional(),
});
export type Pointer = z.infer<typeof PointerSchema>;

/**
 * The binding's own activity signals, as published (the pod keeps them, it does not judge them):
 * `focused` (Lexical `focusing`; y-prosemirror / y-codemirror.next / y-quill clear `cursor` on blur →
 * false), `idle` (Excalidraw `idleState`, or the awareness `status` when it is one of these words),
 * `at` (the binding's activity timestamp, client clock: tldraw `lastActivityTimestamp`).
 */
export const BindingSignalsSchema = z.object({
  focused: z.boolean().optional(),
  idle: z.enum(['active', 'idle', 'away']).optional(),
  at: Ts.optional(),
});
export type BindingSignals = z.infer<typeof BindingSignalsSchema>;

/** The fields revision 2 adds to a presence user (all optional). */
export const PresenceBindingFields = {
  /** Awareness convention recognised (see `AWARENESS_BINDINGS`; an open set). */
  binding: z.string().max(32).optional(),
  /** Document location of the caret (text and rich-text bindings). */
  location: DocLocationSchema.optional(),
  /** Canvas pointer with its coordinate space (tldraw, Excalidraw, simulator). */
  pointer: PointerSchema.optional(),
  /**
   * Pod clock: the last time this client's position (caret, selection, pointer) changed or it
   * sent a document update. A user typing is active even when their awareness state is unchanged.
   */
  lastActive: Ts.optional(),
  /** Pod clock: the last document update from this client's connection. */
  lastEdit: Ts.optional(),
  signals: BindingSignalsSchema.optional(),
};

/**
 * A dotted field path into an awareness state (`presence.cursor.x`, `sel.anchor`): at most 8
 * segments of letters, digits, `_`, `$`, `-`.
 */
export const FieldPathSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+){0,7}$/, 'a dotted field path (at most 8 segments)');

/**
 * Where to read positions in awareness states no built-in convention recognises (pod config
 * `COLLAB_PRESENCE_FIELDS` as JSON, or a presence subscription's `presence.fields`). Either
 * `anchor`/`head` (relative positions; `head` alone is a caret) or `x`/`y` (a pointer in `space`).
 */
export const PresenceFieldPathsSchema = z
  .object({
    anchor: FieldPathSchema.optional(),
    head: FieldPathSchema.optional(),
    x: FieldPathSchema.optional(),
    y: FieldPathSchema.optional(),
    space: z.enum(POINTER_SPACES).optional(),
    name: FieldPathSchema.optional(),
    color: FieldPathSchema.optional(),
  })
  .refine((f) => f.head !== undefined || (f.x !== undefined && f.y !== undefined) || f.anchor === undefined, {
    message: 'anchor needs head',
    path: ['head'],
  })
  .refine((f) => (f.x === undefined) === (f.y === undefined), {
    message: 'x and y go together',
    path: ['y'],
  });
export type PresenceFieldPaths = z.infer<typeof PresenceFieldPathsSchema>;

/**
 * A query's or a channel's `presenceFields`, checked: absent or an empty object gives no paths; a
 * bad path gives one readable sentence naming the field (`presenceFields.head: a dotted field path
 * (at most 8 segments)`), for the query's error or the backend's refusal.
 */
export function parsePresenceFields(
  raw: unknown
): { ok: true; value: PresenceFieldPaths | undefined } | { ok: false; error: string } {
  if (raw === undefined || raw === null) return { ok: true, value: undefined };
  // Fields left empty in the query editor are not set.
  const cleaned =
    typeof raw === 'object' && !Array.isArray(raw)
      ? Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined && v !== ''))
      : raw;
  if (typeof cleaned === 'object' && cleaned !== null && Object.keys(cleaned).length === 0)
    return { ok: true, value: undefined };
  const r = PresenceFieldPathsSchema.safeParse(cleaned);
  if (r.success) return { ok: true, value: r.data };
  const issue = r.error.issues[0];
  const where = issue && issue.path.length > 0 ? `presenceFields.${issue.path.join('.')}` : 'presenceFields';
  const what =
    issue?.code === 'unrecognized_keys' ? `unknown key(s) ${issue.keys.join(', ')}` : issue?.message;
  return { ok: false, error: `${where}: ${what ?? 'invalid'}` };
}

/** Options of a `presence` subscription. */
export const PresenceSubscribeOptionsSchema = z.object({
  /** Field paths for states the built-in conventions do not recognise (tried after them). */
  fields: PresenceFieldPathsSchema.optional(),
  /** False: skip document-location resolution for this subscription (default true). */
  locations: z.boolean().optional(),
});
export type PresenceSubscribeOptions = z.infer<typeof PresenceSubscribeOptionsSchema>;

/** Attribute values a tree node may carry: metadata scope numbers, booleans and null only; content scope strings too. */
export const AttrValueSchema = z.union([z.string().max(256), z.number(), z.boolean(), z.null()]);

/**
 * A formatting run of a Y.Text / XmlText: consecutive characters with the same marks, or one embed.
 * Metadata scope: `length`, `marks` and `embed` (structure); content scope adds `text` and mark values.
 */
export const TextRunSchema = z.object({
  length: Count,
  /** Content scope: the run's text (long runs cut with `…`). */
  text: z.string().optional(),
  /** Mark / format keys active on the run (`bold`, `italic`, `link`, Quill `header` on a newline…). */
  marks: z.array(z.string().max(64)).max(16).optional(),
  /** Content scope: mark values other than `true` (`link: {href}`, `color: '#f00'`), bounded JSON. */
  values: z.record(z.string(), z.unknown()).optional(),
  /** An embed (length 1): its kind — the embed object's first key (`image`, `video`), or a Yjs type name. */
  embed: z.string().max(64).optional(),
});
export type TextRun = z.infer<typeof TextRunSchema>;

/** The fields revision 2 adds to a tree node (all optional). */
export const TreeNodeBindingFields = {
  /**
   * XmlElement / XmlText attributes. Metadata scope: numbers, booleans and null (heading `level: 2`,
   * `checked: true`); content scope: strings too (bounded). Keys of every attribute: `attrKeys`.
   */
  attrs: z.record(z.string().max(64), AttrValueSchema).optional(),
  /** Names of every attribute (both scopes), sorted. */
  attrKeys: z.array(z.string().max(64)).max(64).optional(),
  /** Text / XmlText: formatting runs (bounded by `MAX_TEXT_RUNS`, then `runsTruncated`). */
  runs: z.array(TextRunSchema).max(MAX_TEXT_RUNS).optional(),
  runsTruncated: z.boolean().optional(),
  /** Text / XmlText: embeds (Quill images, Lexical text-node maps…). */
  embeds: Count.optional(),
  /** Root types: the editor binding the root's name and kind suggest (see `DOC_BINDINGS`; an open set). */
  binding: z.string().max(32).optional(),
  /** `Doc` nodes (subdocuments): guid, and whether the pod holds its content (never, today). */
  guid: z.string().max(128).optional(),
  shouldLoad: z.boolean().optional(),
};

/** A formatting operation in an update: `length` characters given (or, `removed`, cleared of) mark `key`. */
export const FormatOpSchema = z.object({
  path: z.string(),
  key: z.string().max(64),
  length: Count,
  removed: z.boolean().optional(),
  /** Content scope: the mark's value when it is not `true` (a link's href…), bounded. */
  value: z.unknown().optional(),
});
export type FormatOp = z.infer<typeof FormatOpSchema>;

/** Most line ranges listed in one update summary (the rest: `linesTruncated`). */
export const MAX_UPDATE_LINES = 16;

/**
 * Lines of a Y.Text (CodeMirror, Monaco, Quill) an update touched: 0-based lines `from`..`to` of the
 * text at `path` (a root path such as `/codemirror`), as the pod's document reads them when it
 * summarises the update (later edits may have moved them since). Structure only, never text.
 */
export const LineRangeSchema = z
  .object({
    path: z.string().max(1_024),
    from: Count,
    to: Count,
  })
  .refine((r) => r.from <= r.to, { message: 'from after to', path: ['to'] });
export type LineRange = z.infer<typeof LineRangeSchema>;

/** The fields revision 2 adds to an update summary. `inserted` then no longer counts format markers. */
export const UpdateBindingFields = {
  /** Characters whose formatting the update changed (between format markers), not counted in `inserted`. */
  formatted: Count.optional(),
  /** Formatting operations (bounded by `MAX_UPDATE_FORMATS`): "formatted 12 chars bold". */
  formats: z.array(FormatOpSchema).max(MAX_UPDATE_FORMATS).optional(),
  /** Embeds inserted (Quill images, Lexical text-node maps, ContentEmbed items). */
  embeds: Count.optional(),
  /**
   * Revision 3: Y.Text lines the update touched (inserts, deletes, formatting), merged ranges,
   * bounded by `MAX_UPDATE_LINES` (then `linesTruncated`). Absent: no Y.Text touched, or a pod
   * that does not index lines (a text too long to index within its bound).
   */
  lines: z.array(LineRangeSchema).max(MAX_UPDATE_LINES).optional(),
  linesTruncated: z.boolean().optional(),
};

/** Capabilities a pod announces in `hello.features`. */
export const INSPECT_FEATURES = [
  'locations',
  'pointers',
  'textRuns',
  'formats',
  'presenceFields',
  'updateLines',
] as const;
