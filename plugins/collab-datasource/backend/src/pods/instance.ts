/**
 * One datasource instance in the backend: its settings, and per inspect scope one pool of pod connections
 * and one token source. Every query, stream and resource call of the instance shares them, so any number of
 * viewers make one inspect socket per pod and scope. Instances are keyed by Grafana organisation, datasource
 * id and uid — a uid is unique within one organisation only, and every org-scoped Grafana organisation
 * provisions its collab datasource under the same uid with its own org's key — and replaced (the old one
 * closed) when Grafana sends newer settings.
 */
import WebSocket from 'ws';
import { INSPECT_LIMITS, type InspectScope } from '@collabblocks/protocol';

import { podUrlsOf } from '../../../src/settings';
import type { BackoffOptions } from '../../../src/stream/backoff';
import type { PodConnection, PodNames } from '../../../src/stream/podConnection';
import { PodPool } from '../../../src/stream/pool';
import type { SocketFactory, SocketLike } from '../../../src/stream/socket';
import { TokenSource } from '../../../src/stream/tokens';
import type { DataSourceInstanceSettings, PluginContext } from '../grpc/messages';
import { tokenFetcher } from './mintToken';
import { AnnotationRecorder } from '../query/annotationRecorder';

export interface InstanceConfig {
  uid: string;
  podUrls: string[];
  apiKey: string;
  tokenTtlSeconds?: number;
  updatedAt: number;
}

/** A request that cannot be served as sent (bad settings, bad query): its message is shown as is. */
export class BadRequest extends Error {
  override name = 'BadRequest';
}

export function parseSettings(s: DataSourceInstanceSettings | null | undefined): InstanceConfig {
  if (!s) throw new BadRequest('the request carries no datasource settings');
  let json: unknown = {};
  const text = s.jsonData?.length ? s.jsonData.toString('utf8') : '';
  if (text) {
    try {
      json = JSON.parse(text);
    } catch {
      throw new BadRequest('the datasource jsonData is not JSON');
    }
  }
  const o = (json && typeof json === 'object' ? json : {}) as Record<string, unknown>;
  const ttl = Number(o.tokenTtlSeconds);
  return {
    uid: s.uid || String(s.id),
    podUrls: podUrlsOf({ podUrls: Array.isArray(o.podUrls) ? (o.podUrls as string[]) : [] }),
    apiKey: s.decryptedSecureJsonData?.apiKey ?? '',
    ...(Number.isFinite(ttl) && ttl > 0 ? { tokenTtlSeconds: Math.floor(ttl) } : {}),
    updatedAt: s.lastUpdatedMS,
  };
}

/** Viewer (and a request without a user, e.g. alerting) → metadata; Editor and Admin → content. */
export function scopeOfRole(role: string | undefined): InspectScope {
  return role === 'Editor' || role === 'Admin' ? 'content' : 'metadata';
}

export const nodeSocketFactory: SocketFactory = (url) =>
  new WebSocket(url, { maxPayload: 64 * 1024 * 1024 }) as unknown as SocketLike;

export interface InstanceDeps {
  socketFactory?: SocketFactory;
  fetch?: typeof globalThis.fetch;
  lingerMs?: number;
  backoff?: BackoffOptions;
}

/**
 * Reconnect backoff of the backend's pod connections. The browser's 30 s cap spreads many viewers'
 * reconnects; the backend holds a handful of sockets per pod, and with a 30 s cap a pod that was down for
 * half a minute came back to channels that stayed stale for up to 30 s more (the retry timer had grown):
 * capped at 5 s, a returning pod is back on every channel within 5 s.
 */
export const BACKEND_BACKOFF: BackoffOptions = { baseMs: 500, maxMs: 5_000, jitter: 0.5 };

/**
 * A pod allows INSPECT_LIMITS.maxSubscriptions per inspect session. Subscriptions are spread over shards —
 * each one pool, so one session per pod — filled one after the other: up to SHARD_CAPACITY subscriptions of
 * this backend share a session, the next ones open the next shard.
 */
export const SHARD_CAPACITY = INSPECT_LIMITS.maxSubscriptions - 4;
export const MAX_SHARDS = 8;

export class Instance {
  readonly tokens: Record<InspectScope, TokenSource>;
  /** Annotation recordings (the annotations kind is a live log; Grafana asks for it as a one-shot). */
  readonly annotations = new AnnotationRecorder();
  private readonly shards: Record<InspectScope, PodPool[]> = { content: [], metadata: [] };
  /** Pod names learned by any connection (every scope and shard): a pod never reached by one is still named. */
  private readonly podNames: PodNames = new Map();

  constructor(
    readonly config: InstanceConfig,
    private readonly deps: InstanceDeps = {}
  ) {
    const fetchToken = tokenFetcher({
      podUrls: config.podUrls,
      apiKey: config.apiKey,
      ...(config.tokenTtlSeconds ? { ttlSeconds: config.tokenTtlSeconds } : {}),
      ...(deps.fetch ? { fetch: deps.fetch } : {}),
    });
    const make = (scope: InspectScope) => new TokenSource({ fetch: fetchToken, preferred: scope });
    this.tokens = { content: make('content'), metadata: make('metadata') };
  }

  private newShard(scope: InspectScope): PodPool {
    const pool = new PodPool({
      tokens: this.tokens[scope].provider,
      socketFactory: this.deps.socketFactory ?? nodeSocketFactory,
      lingerMs: this.deps.lingerMs ?? 5000,
      backoff: this.deps.backoff ?? BACKEND_BACKOFF,
      names: this.podNames,
    });
    this.shards[scope].push(pool);
    return pool;
  }

  /** The pool new subscriptions of `scope` go to: the first shard with room left on every pod. */
  pool(scope: InspectScope): PodPool {
    const list = this.shards[scope];
    const fits = (p: PodPool) => this.config.podUrls.every((u) => p.get(u).refs < SHARD_CAPACITY);
    const found = list.find(fits);
    if (found) return found;
    if (list.length >= MAX_SHARDS) return list[list.length - 1]!;
    return this.newShard(scope);
  }

  /** Pod connections for one more query or stream of `scope` (one per pod URL). */
  connections(scope: InspectScope): PodConnection[] {
    const pool = this.pool(scope);
    return this.config.podUrls.map((u) => pool.get(u));
  }

  /** Upstream inspect sockets open now, per pod URL (every scope and shard). */
  openSockets(): Map<string, number> {
    const out = new Map<string, number>();
    for (const list of Object.values(this.shards)) {
      for (const pool of list)
        for (const c of pool.all()) if (c.isOpen) out.set(c.url, (out.get(c.url) ?? 0) + 1);
    }
    return out;
  }

  dispose(): void {
    this.annotations.dispose();
    for (const list of Object.values(this.shards)) for (const pool of list) pool.dispose();
    this.shards.content = [];
    this.shards.metadata = [];
  }
}

/** The instance key of a request: organisation, datasource id and uid (never the uid alone). */
export function instanceKey(ctx: PluginContext | null | undefined, config: InstanceConfig): string {
  return `${ctx?.orgId ?? 0}/${ctx?.dataSourceInstanceSettings?.id ?? 0}/${config.uid}`;
}

export class Instances {
  private readonly byKey = new Map<string, Instance>();

  constructor(private readonly deps: InstanceDeps = {}) {}

  /** The instance of the request's datasource (created, or replaced when its settings changed). */
  of(ctx: PluginContext | null | undefined): Instance {
    const config = parseSettings(ctx?.dataSourceInstanceSettings);
    const key = instanceKey(ctx, config);
    const cur = this.byKey.get(key);
    if (cur && cur.config.updatedAt === config.updatedAt) return cur;
    cur?.dispose();
    const next = new Instance(config, this.deps);
    this.byKey.set(key, next);
    return next;
  }

  all(): Instance[] {
    return [...this.byKey.values()];
  }

  dispose(): void {
    for (const i of this.byKey.values()) i.dispose();
    this.byKey.clear();
  }
}
