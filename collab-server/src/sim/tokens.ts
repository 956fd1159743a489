/**
 * Mints the HS256 JWTs the bots present as `?token=`. The secret comes from
 * `COLLAB_JWT_SECRET` (the same one the pod verifies with); tokens are short
 * lived and re-minted before each (re)connect when close to expiry.
 */
import { SignJWT } from 'jose';

export interface TokenClaims {
  /** Subject: a stable bot id (not a person). */
  sub: string;
  org: string;
  /** Display name (fake, "Bot Ada"). */
  name: string;
}

export interface TokenMinterOptions {
  secret: string;
  /** Lifetime in seconds (default 3600). */
  ttlSeconds?: number;
  audience?: string;
  issuer?: string;
  /** Clock, for tests. */
  now?: () => number;
}

export interface MintedToken {
  token: string;
  /** Expiry, epoch milliseconds. */
  expiresAt: number;
}

export class TokenMinter {
  private readonly key: Uint8Array;
  private readonly ttlSeconds: number;
  private readonly now: () => number;

  constructor(private readonly opts: TokenMinterOptions) {
    if (typeof opts.secret !== 'string' || opts.secret.length === 0) {
      throw new Error('COLLAB_JWT_SECRET is empty: the simulator needs it to mint tokens');
    }
    this.key = new TextEncoder().encode(opts.secret);
    this.ttlSeconds = opts.ttlSeconds ?? 3600;
    if (!Number.isFinite(this.ttlSeconds) || this.ttlSeconds < 10) {
      throw new Error('token TTL must be at least 10 seconds');
    }
    this.now = opts.now ?? Date.now;
  }

  async mint(claims: TokenClaims): Promise<MintedToken> {
    const iat = Math.floor(this.now() / 1000);
    const exp = iat + this.ttlSeconds;
    let jwt = new SignJWT({ org: claims.org, name: claims.name })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(claims.sub)
      .setIssuedAt(iat)
      .setExpirationTime(exp);
    if (this.opts.audience) jwt = jwt.setAudience(this.opts.audience);
    if (this.opts.issuer) jwt = jwt.setIssuer(this.opts.issuer);
    return { token: await jwt.sign(this.key), expiresAt: exp * 1000 };
  }

  /** True when the token expires within `marginMs` (re-mint before reconnecting). */
  needsRefresh(t: MintedToken, marginMs = 60_000): boolean {
    return t.expiresAt - this.now() <= marginMs;
  }
}
