/**
 * One simulated user: a Y.Doc synced through the stock y-websocket
 * `WebsocketProvider` (with `ws` as the WebSocket implementation), an
 * awareness state with a moving cursor and a status, and a token it re-mints
 * before reconnecting when the old one is close to expiry.
 */
import { CloseCode } from '@collabblocks/protocol';
import WebSocket from 'ws';
import { WebsocketProvider } from 'y-websocket';
import { Awareness } from 'y-protocols/awareness';
import * as Y from 'yjs';
import { applyEdit, chooseEditKind, DEFAULT_LIMITS, type EditKind, type EditLimits } from './content.js';
import { CursorMotion, StatusModel, type Point } from './presence.js';
import { newCaret, PROFILES, type BotCaret, type BotContext, type Profile } from './profiles/index.js';
import type { Rng } from './random.js';
import type { SimStats } from './stats.js';
import type { MintedToken, TokenMinter } from './tokens.js';
import { encodeTraceContext, newTraceContext } from './trace.js';

export type BotState = 'offline' | 'joining' | 'online' | 'closed';

export interface BotIdentity {
  index: number;
  /** Stable subject claim, e.g. `bot-17` (no person). */
  sub: string;
  name: string;
  color: string;
  org: string;
  /** `<org>/<room>`. */
  roomId: string;
}

export interface BotOptions {
  identity: BotIdentity;
  url: string;
  rng: Rng;
  stats: SimStats;
  /** Undefined: connect without a token (stock servers ignore it anyway). */
  minter?: TokenMinter;
  /** Probability that an update is preceded by a TRACE_CONTEXT frame (0 = off). */
  traceRatio: number;
  limits?: EditLimits;
  /** How this bot writes its document and awareness (default: the simulator's own `sim`). */
  profile?: Profile;
  /** Called when the server closed for good (4400-4499 except expiry / rate limit). */
  onTerminalClose?: (bot: Bot, code: number) => void;
}

/** y-websocket wants a DOM-style WebSocket constructor; `ws` is one at runtime. */
const WebSocketPolyfill = WebSocket as unknown as ConstructorParameters<
  typeof WebsocketProvider
>[3] extends infer O
  ? O extends { WebSocketPolyfill?: infer W }
    ? W
    : never
  : never;

/** Close codes after which reconnecting is worth it even though they are 44xx. */
const RETRYABLE_44XX = new Set<number>([CloseCode.AUTH_EXPIRED, CloseCode.RATE_LIMITED]);

export class Bot {
  state: BotState = 'offline';
  private doc: Y.Doc | null = null;
  private provider: WebsocketProvider | null = null;
  private awareness: Awareness | null = null;
  private token: MintedToken | null = null;
  private everConnected = false;
  private readonly motion: CursorMotion;
  private readonly status: StatusModel;
  private readonly author: { name: string; caret: number };
  private lastSent: { x: number; y: number; status: string } | null = null;
  private readonly limits: EditLimits;
  private readonly profile: Profile;
  private readonly caret: BotCaret = newCaret();

  constructor(private readonly opts: BotOptions) {
    this.motion = new CursorMotion(opts.identity.roomId, opts.rng);
    this.status = new StatusModel(opts.rng);
    this.author = { name: opts.identity.name, caret: 0 };
    this.limits = opts.limits ?? DEFAULT_LIMITS;
    this.profile = opts.profile ?? PROFILES.sim;
  }

  get profileName(): string {
    return this.profile.name;
  }

  private context(now = Date.now()): BotContext {
    return {
      rng: this.opts.rng,
      name: this.opts.identity.name,
      color: this.opts.identity.color,
      room: this.opts.identity.roomId,
      caret: this.caret,
      limits: this.limits,
      point: this.motion.position,
      status: this.status.current,
      now,
      author: this.author,
    };
  }

  get identity(): BotIdentity {
    return this.opts.identity;
  }

  /**
   * Moves the bot to another room of the same org (a new document generation):
   * leaves now; the caller joins again. Cursor hotspots stay those of the
   * original room so the picture stays stable.
   */
  moveTo(roomId: string): void {
    this.leave();
    this.opts.identity = { ...this.opts.identity, roomId };
  }

  get connected(): boolean {
    return this.provider?.wsconnected === true;
  }

  get synced(): boolean {
    return this.provider?.synced === true;
  }

  /** Online, connected and not away. */
  get canEdit(): boolean {
    return this.state === 'online' && this.connected && this.status.canEdit;
  }

  get document(): Y.Doc | null {
    return this.doc;
  }

  async join(): Promise<void> {
    if (this.state === 'joining' || this.state === 'online') return;
    this.state = 'joining';
    // A rejoin after a leave is a new session, not a reconnect of the old one.
    this.everConnected = false;
    const { identity, minter } = this.opts;
    try {
      if (minter)
        this.token = await minter.mint({ sub: identity.sub, org: identity.org, name: identity.name });
    } catch (err) {
      this.state = 'offline';
      throw err;
    }
    if (this.state !== 'joining') return; // left while minting
    const doc = new Y.Doc();
    const awareness = new Awareness(doc);
    const params: Record<string, string> = this.token ? { token: this.token.token } : {};
    const provider = new WebsocketProvider(this.opts.url, identity.roomId, doc, {
      awareness,
      params,
      WebSocketPolyfill,
      disableBc: true,
      maxBackoffTime: 5000,
      shouldReconnect: (ev) => !(ev.code >= 4400 && ev.code < 4500) || RETRYABLE_44XX.has(ev.code),
    });
    this.doc = doc;
    this.awareness = awareness;
    this.provider = provider;
    this.author.caret = 0;
    Object.assign(this.caret, newCaret());
    this.lastSent = null;

    provider.on('status', ({ status }) => {
      if (status !== 'connected') return;
      this.opts.stats.connected(identity.org, this.everConnected);
      this.everConnected = true;
    });
    provider.on('connection-close', (ev) => {
      if (ev) this.opts.stats.closed(identity.org, ev.code);
      void this.refreshToken(ev?.code === CloseCode.AUTH_EXPIRED);
    });
    provider.on('connection-error', () => this.opts.stats.connectionError(identity.org));
    provider.on('closed', ({ code }) => {
      this.state = 'closed';
      this.opts.onTerminalClose?.(this, code);
    });
    this.state = 'online';
    this.publishPresence(true);
  }

  /** Re-mints the token into the provider's URL params before the next reconnect attempt. */
  private async refreshToken(force: boolean): Promise<void> {
    const { minter, identity } = this.opts;
    const provider = this.provider;
    if (!minter || !provider) return;
    if (!force && this.token && !minter.needsRefresh(this.token)) return;
    try {
      this.token = await minter.mint({ sub: identity.sub, org: identity.org, name: identity.name });
      if (this.provider === provider) provider.params = { ...provider.params, token: this.token.token };
    } catch {
      this.opts.stats.connectionError(identity.org);
    }
  }

  /** Disconnects (awareness removal is sent) and drops the document. */
  leave(): void {
    const provider = this.provider;
    this.provider = null;
    if (provider) {
      // Our own close is normal (1000) and not reported by the provider as a server close.
      provider.destroy();
    }
    this.awareness?.destroy();
    this.doc?.destroy();
    this.awareness = null;
    this.doc = null;
    this.state = 'offline';
  }

  /**
   * Performs one edit (one Yjs update) when the bot can edit. `preferText`
   * keeps a typing burst on the text. Returns what was edited, or null.
   */
  edit(preferText: boolean): EditKind | null {
    const doc = this.doc;
    if (!doc || !this.canEdit) return null;
    if (this.opts.traceRatio > 0 && this.opts.rng.chance(this.opts.traceRatio)) this.sendTraceContext();
    let kind: EditKind;
    if (this.profile.name === 'sim') {
      kind = preferText && this.opts.rng.chance(0.8) ? 'text' : chooseEditKind(this.opts.rng);
      applyEdit(doc, kind, this.opts.rng, this.author, this.limits);
    } else kind = this.profile.edit(doc, this.context());
    this.status.noteEdit(Date.now());
    this.opts.stats.op(this.opts.identity.org, kind);
    // An editor's caret moves with every edit it makes.
    this.publishPresence(this.profile.name !== 'sim');
    return kind;
  }

  private sendTraceContext(): void {
    const ws = this.provider?.ws;
    if (!ws || !this.connected || ws.readyState !== 1) return;
    ws.send(encodeTraceContext(newTraceContext()));
    this.opts.stats.traceContextsSent++;
  }

  /** Moves the cursor and advances the status; publishes awareness when it changed visibly. */
  tickPresence(now: number, dtMs: number): void {
    if (this.state !== 'online') return;
    const statusChanged = this.status.step(now, dtMs);
    if (this.status.current !== 'away') this.motion.step(dtMs);
    // Editors move their caret without typing now and then (clicks, arrow keys, selections).
    const caretMoved =
      this.profile.name !== 'sim' && this.status.current !== 'away' && this.opts.rng.chance(0.15);
    if (caretMoved) this.moveCaret();
    this.publishPresence(statusChanged || caretMoved);
  }

  private moveCaret(): void {
    const c = this.caret;
    const rng = this.opts.rng;
    c.block = Math.max(0, c.block + rng.int(3) - 1);
    c.offset = rng.int(24);
    c.index = Math.max(0, c.index + rng.int(41) - 20);
    c.length = rng.chance(0.25) ? 1 + rng.int(10) : 0;
  }

  private publishPresence(force: boolean): void {
    const awareness = this.awareness;
    if (!awareness) return;
    const p: Point = this.motion.position;
    const status = this.status.current;
    const last = this.lastSent;
    const moved = !last || Math.abs(last.x - p.x) > 0.002 || Math.abs(last.y - p.y) > 0.002;
    if (!force && !moved && last?.status === status) return;
    const doc = this.doc;
    if (!doc) return;
    awareness.setLocalState(this.profile.awareness(doc, this.context()));
    this.lastSent = { x: p.x, y: p.y, status };
    this.opts.stats.awarenessUpdates++;
  }
}
