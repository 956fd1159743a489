/**
 * Inspect tokens for a datasource instance. One token is valid on every pod
 * (shared inspect secret), so a single cached token serves all pod
 * connections; it is re-minted when less than `marginMs` of its life is left.
 * Content scope is asked first when the user's role allows it; a 403 (route
 * role check or a metadata-only API key) falls back to metadata and sticks.
 */
import { InspectTokenResponseSchema, type InspectScope } from '@collabblocks/protocol';

import type { InspectToken, TokenProvider } from './types';

/** A failed HTTP call with its status (0 = network). */
export class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    message: string
  ) {
    super(message);
    this.name = 'HttpStatusError';
  }
}

/** POSTs to the token route of `scope` and returns the parsed JSON body (throws HttpStatusError). */
export type TokenFetcher = (scope: InspectScope) => Promise<unknown>;

export interface TokenSourceOptions {
  fetch: TokenFetcher;
  /** Scope to try first (content for Editors/Admins). */
  preferred: InspectScope;
  /** Re-mint when less than this is left (default 30 s, at most half the token's life). */
  marginMs?: number;
  now?: () => number;
}

export class TokenSource {
  private cached: InspectToken | null = null;
  private cachedAt = 0;
  private inflight: Promise<InspectToken> | null = null;
  private scope: InspectScope;
  /** True once content was refused (403): stay on metadata. */
  downgraded = false;

  constructor(private readonly opts: TokenSourceOptions) {
    this.scope = opts.preferred;
  }

  get currentScope(): InspectScope {
    return this.scope;
  }

  readonly provider: TokenProvider = (opts) => this.get(opts);

  async get(opts: { expiringAfter?: number; fresh?: boolean } = {}): Promise<InspectToken> {
    const now = (this.opts.now ?? Date.now)();
    if (opts.fresh) this.cached = null;
    const c = this.cached;
    if (c && (opts.expiringAfter === undefined || c.expiresAt > opts.expiringAfter)) {
      // Renew when less than the margin (at most half the token's life) is left.
      const margin = Math.max(
        1000,
        Math.min(this.opts.marginMs ?? 30_000, (c.expiresAt - this.cachedAt) / 2)
      );
      if (c.expiresAt - now > margin) return c;
    }
    this.inflight ??= this.mint().finally(() => {
      this.inflight = null;
    });
    return this.inflight;
  }

  /** Forget the cached token (e.g. the pod rejected it). */
  invalidate(): void {
    this.cached = null;
  }

  private async mint(): Promise<InspectToken> {
    try {
      return await this.mintScope(this.scope);
    } catch (err) {
      if (this.scope === 'content' && err instanceof HttpStatusError && err.status === 403) {
        this.scope = 'metadata';
        this.downgraded = true;
        return this.mintScope('metadata');
      }
      throw err;
    }
  }

  private async mintScope(scope: InspectScope): Promise<InspectToken> {
    const body = await this.opts.fetch(scope);
    const parsed = InspectTokenResponseSchema.safeParse(body);
    if (!parsed.success) throw new Error('token endpoint returned an unexpected body');
    const t: InspectToken = {
      token: parsed.data.token,
      expiresAt: parsed.data.expiresAt,
      scope: parsed.data.scope,
      org: parsed.data.org,
    };
    this.cached = t;
    this.cachedAt = (this.opts.now ?? Date.now)();
    return t;
  }
}
