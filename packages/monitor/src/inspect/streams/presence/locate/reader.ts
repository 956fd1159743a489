/**
 * Per-room presence reader: recognises each client's awareness state, resolves its document
 * location (throttled per client, memoised while neither the position nor what the location
 * depends on changed: its root's block list and the block it lies in, see `DocChanges`) and keeps
 * activity — the last time the client's position moved or it sent a document update.
 *
 * Never on the update path: `noteEdit` is O(1), the document's transactions only list their
 * changed types; resolution happens when the presence stream renders a user (its patches are
 * coalesced) or checks for moved blocks (`moved`, coalesced), once per `minIntervalMs` per client
 * on average (a token bucket: `THROTTLE_BURST` in a row at most).
 */
import type * as Y from 'yjs';
import type { DocLocation, PresenceFieldPaths } from '@collabblocks/protocol';
import { recognise, type Recognised } from '../recognise/index.js';
import { locate, type Structure } from './locate.js';
import { RootIndexCache } from './rootIndex.js';
import { DocChanges, type LocationDeps } from './changes.js';

export interface ReaderOptions {
  /**
   * One client's locations are resolved once per this many milliseconds on average (default 100:
   * 10 Hz), with a burst of `THROTTLE_BURST` (see `ClientMemo.tokens`).
   */
  minIntervalMs?: number;
  /** Pod-wide field paths for unrecognised states (`COLLAB_PRESENCE_FIELDS`). */
  fields?: PresenceFieldPaths;
  /**
   * Called (O(1), from the document's `afterTransaction`) after every transaction: the caller
   * schedules a coalesced `moved` check. Must not do the work itself.
   */
  onChange?: () => void;
}

export interface ReadOptions {
  /** Subscription field paths (used instead of the pod's own for this subscription). */
  fields?: PresenceFieldPaths;
  /** Resolve document locations (false: the subscription opted out). */
  locations: boolean;
  /** Content scope somewhere: resolve the snippet too. */
  snippet: boolean;
  now: number;
}

export interface Reading {
  recognised: Recognised;
  location?: DocLocation;
  /** Pod clock: position moved or document update sent (absent until either was seen). */
  lastActive?: number;
  lastEdit?: number;
  /** Throttled: read this client again at this time for a fresh location. */
  retryAt?: number;
}

/** One recognition of a client's state with one set of field paths. */
interface Recognition {
  state: unknown;
  recognised: Recognised;
  posKey: string;
}

/** Resolutions one client may make in a row before the throttle holds it to one per `minIntervalMs`. */
const THROTTLE_BURST = 2;

/** Field-path sets remembered per client (subscriptions with their own paths); past this, forgotten. */
const MAX_RECOGNITIONS = 8;

interface ClientMemo {
  /** Per field-path set (`undefined`: none): subscriptions with different paths read one state differently. */
  recs: Map<PresenceFieldPaths | undefined, Recognition>;
  /** The last position key seen, '' for a state without a caret or pointer (activity: one placed or moved). */
  posKey?: string;
  lastActive?: number;
  lastEdit?: number;
  location?: DocLocation;
  locKey?: string;
  /** The positions `location` was resolved from. */
  locRec?: Recognised;
  /** `DocChanges` stamp and dependencies of `location`. */
  locTx?: number;
  locDeps?: LocationDeps;
  locSnippet?: boolean;
  /**
   * Throttle (a token bucket counted in milliseconds): a resolution costs `minIntervalMs` of credit,
   * credit accrues with time up to `THROTTLE_BURST` resolutions' worth, as of `creditAt`. A caret
   * moving at the limit rate with jitter (an update 99 ms after the last) keeps being resolved at
   * once — with a strict minimum interval, half its updates were throttled, rendered with a stale
   * location and rendered again by the retry; a faster client is held to the rate on average.
   */
  credit?: number;
  creditAt?: number;
  /**
   * The structure (root, block, tree path, node names) of the last resolution of a caret inside a
   * block, and the `DocChanges` stamp it was valid at: a caret that moved inside the same text reuses
   * it while its root's block list and its block are unchanged.
   */
  struct?: Structure;
  structTx?: number;
}

/** The structure a caret's neighbours see move: block, line, enclosing node, anchor block, state. */
function placeKey(l: DocLocation | undefined): string {
  if (!l) return '';
  return `${l.state}|${l.root ?? ''}|${l.block ?? ''}|${l.line ?? ''}|${l.anchorBlock ?? ''}|${l.nodePath ?? ''}`;
}

function positionKey(r: Recognised): string {
  if (r.head) return JSON.stringify([r.anchor, r.head]);
  if (r.pointer) return `${r.pointer.x},${r.pointer.y},${r.pointer.page ?? ''}`;
  return '';
}

export class PresenceReader {
  private readonly clients = new Map<number, ClientMemo>();
  private readonly cache: RootIndexCache;
  private readonly changes: DocChanges;
  private readonly minIntervalMs: number;
  /** Transaction stamp of the last `moved` check that left no stale client behind. */
  private checkedTx = 0;
  /** Resolutions done (benchmark and tests). */
  resolutions = 0;
  /** Of those, resolutions that reused a caret's structure (only offsets recomputed). */
  reuses = 0;

  constructor(
    private readonly doc: Y.Doc,
    private readonly opts: ReaderOptions = {}
  ) {
    this.cache = new RootIndexCache(doc);
    this.changes = new DocChanges(doc, opts.onChange);
    this.minIntervalMs = opts.minIntervalMs ?? 100;
  }

  /** A document update from this client (O(1); call from the update hook). */
  noteEdit(clientId: number, now: number): void {
    const m = this.memo(clientId);
    m.lastEdit = now;
    m.lastActive = now;
  }

  read(clientId: number, state: unknown, o: ReadOptions): Reading {
    const m = this.memo(clientId);
    // The subscription's own paths first (the more specific), then the host's.
    const fields = o.fields ?? this.opts.fields;
    let rec = m.recs.get(fields);
    if (!rec || rec.state !== state) {
      const recognised = recognise(state, fields);
      rec = { state, recognised, posKey: positionKey(recognised) };
      if (!m.recs.has(fields) && m.recs.size >= MAX_RECOGNITIONS) m.recs.clear();
      m.recs.set(fields, rec);
      // A first sighting is not activity; a caret or pointer placed or moved since is (one removed, a blur,
      // is not: a user first seen focused-out who then clicks into the editor is active).
      if (m.posKey !== undefined && rec.posKey !== '' && rec.posKey !== m.posKey) m.lastActive = o.now;
      m.posKey = rec.posKey;
    }
    const r = rec.recognised;
    const out: Reading = { recognised: r };
    if (m.lastActive !== undefined) out.lastActive = m.lastActive;
    if (m.lastEdit !== undefined) out.lastEdit = m.lastEdit;
    if (r.problem) {
      out.location = { state: 'unknown', reason: r.problem };
      return out;
    }
    if (!r.head || !r.anchor) {
      if (r.pointer) out.location = undefined;
      return out;
    }
    if (!o.locations) return out;
    if (m.locKey === rec.posKey && this.fresh(m, o.snippet)) {
      out.location = m.location;
      return out;
    }
    const wait = this.throttled(m, o.now);
    if (wait > 0) {
      out.location = m.location ?? { state: 'unknown', reason: 'pending' };
      out.retryAt = o.now + wait;
      return out;
    }
    out.location = this.resolve(m, r, rec.posKey, o.snippet, o.now);
    return out;
  }

  /**
   * Clients whose memoised location others' edits moved (block, line, enclosing node: a block
   * inserted above the caret) although their awareness state did not change: re-resolved now (those
   * the throttle allows; `retryAt` for the rest). Cost: the stale clients only, each O(depth ×
   * siblings). The presence stream calls it coalesced after document updates.
   */
  moved(o: { snippet: boolean; now: number }): { ids: number[]; retryAt?: number } {
    const ids: number[] = [];
    let retryAt = Infinity;
    if (!this.changes.anySince(this.checkedTx)) return { ids };
    for (const [id, m] of this.clients) {
      const r = m.locRec;
      if (!r || m.locKey === undefined || m.location === undefined || this.fresh(m, false)) continue;
      // Moved since: its awareness update re-renders it anyway.
      if (m.locKey !== m.posKey) continue;
      const wait = this.throttled(m, o.now);
      if (wait > 0) {
        retryAt = Math.min(retryAt, o.now + wait);
        continue;
      }
      const before = placeKey(m.location);
      const loc = this.resolve(m, r, m.locKey, o.snippet || m.locSnippet === true, o.now);
      if (placeKey(loc) !== before) ids.push(id);
    }
    // Throttled clients stay stale: the next check (at `retryAt`) finds them again.
    if (retryAt === Infinity) this.checkedTx = this.changes.now();
    return retryAt === Infinity ? { ids } : { ids, retryAt };
  }

  /** Milliseconds until the throttle lets this client be resolved (0: now). */
  private throttled(m: ClientMemo, now: number): number {
    if (this.minIntervalMs <= 0) return 0;
    return Math.max(0, this.minIntervalMs - this.creditNow(m, now));
  }

  /** The client's throttle credit at `now`, ms (a client never resolved has a full bucket). */
  private creditNow(m: ClientMemo, now: number): number {
    const full = THROTTLE_BURST * this.minIntervalMs;
    if (m.credit === undefined || m.creditAt === undefined) return full;
    return Math.min(full, m.credit + Math.max(0, now - m.creditAt));
  }

  private fresh(m: ClientMemo, snippet: boolean): boolean {
    return (
      m.location !== undefined &&
      m.locTx !== undefined &&
      m.locDeps !== undefined &&
      (m.locSnippet === true || !snippet) &&
      !this.changes.staleSince(m.locTx, m.locDeps)
    );
  }

  private resolve(m: ClientMemo, r: Recognised, posKey: string, snippet: boolean, now: number): DocLocation {
    const deps: LocationDeps = { blocks: [], volatile: false };
    const tx = this.changes.now();
    const reuse =
      m.struct && m.structTx !== undefined && !this.changes.staleSince(m.structTx, m.struct.deps)
        ? m.struct
        : undefined;
    const keep: { structure?: Structure } = {};
    let loc: DocLocation;
    try {
      loc =
        r.anchor && r.head
          ? locate(this.doc, this.cache, r.anchor, r.head, { snippet, deps, reuse, keep })
          : { state: 'unknown', reason: 'invalid' };
    } catch {
      // A document shape the resolver does not expect is the room's business, never an error.
      loc = { state: 'unknown', reason: 'invalid' };
      deps.volatile = true;
      delete keep.structure;
    }
    this.resolutions++;
    if (reuse && keep.structure === reuse) this.reuses++;
    m.struct = keep.structure;
    m.structTx = keep.structure ? tx : undefined;
    m.location = loc;
    m.locKey = posKey;
    m.locRec = r;
    m.locTx = tx;
    m.locDeps = deps;
    m.locSnippet = snippet;
    if (this.minIntervalMs > 0) {
      m.credit = Math.max(0, this.creditNow(m, now) - this.minIntervalMs);
      m.creditAt = now;
    }
    return loc;
  }

  forget(clientId: number): void {
    this.clients.delete(clientId);
  }

  /** Root index builds so far (tests, benchmark). */
  get indexBuilds(): number {
    return this.cache.builds;
  }

  dispose(): void {
    this.changes.dispose();
    this.cache.dispose();
    this.clients.clear();
  }

  private memo(clientId: number): ClientMemo {
    let m = this.clients.get(clientId);
    if (!m) {
      m = { recs: new Map() };
      this.clients.set(clientId, m);
    }
    return m;
  }
}
