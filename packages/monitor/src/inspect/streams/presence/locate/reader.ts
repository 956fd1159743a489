/**
 * Per-room presence reader: recognises each client's awareness state, resolves its document
 * location (throttled per client, memoised while neither the position nor the document changed)
 * and keeps activity — the last time the client's position moved or it sent a document update.
 *
 * Never on the update path: `noteEdit` is O(1); resolution happens when the presence stream renders
 * a user (its patches are coalesced), at most once per `minIntervalMs` per client.
 */
import type * as Y from 'yjs';
import type { DocLocation, PresenceFieldPaths } from '@collabblocks/protocol';
import { recognise, type Recognised } from '../recognise/index.js';
import { locate } from './locate.js';
import { RootIndexCache } from './rootIndex.js';

export interface ReaderOptions {
  /** Fewest milliseconds between two resolutions of one client's location (default 100: 10 Hz). */
  minIntervalMs?: number;
  /** Pod-wide field paths for unrecognised states (`COLLAB_PRESENCE_FIELDS`). */
  fields?: PresenceFieldPaths;
}

export interface ReadOptions {
  /** Subscription field paths (tried when the pod's own are not set). */
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

interface ClientMemo {
  state?: unknown;
  fields?: PresenceFieldPaths;
  recognised?: Recognised;
  posKey?: string;
  lastActive?: number;
  lastEdit?: number;
  location?: DocLocation;
  locKey?: string;
  locVersion?: number;
  locSnippet?: boolean;
  locAt?: number;
}

function positionKey(r: Recognised): string {
  if (r.head) return JSON.stringify([r.anchor, r.head]);
  if (r.pointer) return `${r.pointer.x},${r.pointer.y},${r.pointer.page ?? ''}`;
  return '';
}

export class PresenceReader {
  private readonly clients = new Map<number, ClientMemo>();
  private readonly cache: RootIndexCache;
  private readonly minIntervalMs: number;
  /** Bumped by every document transaction: memoised locations are fresh only within one version. */
  private version = 0;
  private readonly onTransaction = (): void => {
    this.version++;
  };
  /** Resolutions done (benchmark and tests). */
  resolutions = 0;

  constructor(
    private readonly doc: Y.Doc,
    private readonly opts: ReaderOptions = {}
  ) {
    this.cache = new RootIndexCache(doc);
    this.minIntervalMs = opts.minIntervalMs ?? 100;
    doc.on('afterTransaction', this.onTransaction);
  }

  /** A document update from this client (O(1); call from the update hook). */
  noteEdit(clientId: number, now: number): void {
    const m = this.memo(clientId);
    m.lastEdit = now;
    m.lastActive = now;
  }

  read(clientId: number, state: unknown, o: ReadOptions): Reading {
    const m = this.memo(clientId);
    const fields = this.opts.fields ?? o.fields;
    if (m.state !== state || m.fields !== fields || !m.recognised) {
      m.state = state;
      m.fields = fields;
      m.recognised = recognise(state, fields);
      const key = positionKey(m.recognised);
      // A first sighting is not activity; a moved caret or pointer is.
      if (m.posKey !== undefined && key !== m.posKey && key !== '') m.lastActive = o.now;
      m.posKey = key;
    }
    const r = m.recognised;
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
    const fresh =
      m.location !== undefined &&
      m.locKey === m.posKey &&
      m.locVersion === this.version &&
      (m.locSnippet === true || !o.snippet);
    if (fresh) {
      out.location = m.location;
      return out;
    }
    if (m.locAt !== undefined && o.now - m.locAt < this.minIntervalMs) {
      out.location = m.location ?? { state: 'unknown', reason: 'pending' };
      out.retryAt = m.locAt + this.minIntervalMs;
      return out;
    }
    let loc: DocLocation;
    try {
      loc = locate(this.doc, this.cache, r.anchor, r.head, { snippet: o.snippet });
    } catch {
      // A document shape the resolver does not expect is the room's business, never an error.
      loc = { state: 'unknown', reason: 'invalid' };
    }
    this.resolutions++;
    m.location = loc;
    m.locKey = m.posKey;
    m.locVersion = this.version;
    m.locSnippet = o.snippet;
    m.locAt = o.now;
    out.location = loc;
    return out;
  }

  forget(clientId: number): void {
    this.clients.delete(clientId);
  }

  /** Root index builds so far (tests, benchmark). */
  get indexBuilds(): number {
    return this.cache.builds;
  }

  dispose(): void {
    this.doc.off('afterTransaction', this.onTransaction);
    this.cache.dispose();
    this.clients.clear();
  }

  private memo(clientId: number): ClientMemo {
    let m = this.clients.get(clientId);
    if (!m) {
      m = {};
      this.clients.set(clientId, m);
    }
    return m;
  }
}
