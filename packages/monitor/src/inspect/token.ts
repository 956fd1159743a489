/**
 * Inspect tokens: short-lived HS256 JWTs with `aud: "inspect"`, the org and
 * the scope, minted by `POST /api/inspect/token` for an org API key and
 * presented in the first frame of the `/inspect` WebSocket.
 *
 * The signing secret is `COLLAB_INSPECT_SECRET` or, by default, derived from
 * the client JWT secret with HMAC and a fixed label, so every pod that shares
 * the JWT secret accepts tokens minted by any of them.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { errors, jwtVerify, SignJWT } from 'jose';
import {
  CloseCode,
  INSPECT_AUDIENCE,
  INSPECT_LIMITS,
  InspectScopeSchema,
  isSlug,
  type InspectScope,
} from '@collabblocks/protocol';

export const INSPECT_SECRET_LABEL = 'collabblocks/inspect-token/v1';
const ISSUER = 'collab-pod';

/**
 * Resolves the inspect secret: explicit `COLLAB_INSPECT_SECRET` (>= 32 bytes),
 * else HMAC-SHA256(jwtSecret, label). Returns null when neither is available
 * (e.g. JWKS-only auth without an inspect secret): inspect is then disabled.
 */
export function resolveInspectSecret(opts: {
  inspectSecret?: string | undefined;
  jwtSecret?: string | undefined;
}): Uint8Array | null {
  if (opts.inspectSecret !== undefined && opts.inspectSecret !== '') {
    if (Buffer.byteLength(opts.inspectSecret) < 32) {
      throw new Error('COLLAB_INSPECT_SECRET must be at least 32 bytes');
    }
    return new Uint8Array(Buffer.from(opts.inspectSecret));
  }
  if (opts.jwtSecret !== undefined && opts.jwtSecret !== '') {
    return new Uint8Array(createHmac('sha256', opts.jwtSecret).update(INSPECT_SECRET_LABEL).digest());
  }
  return null;
}

export interface MintedToken {
  token: string;
  expiresAt: number;
  scope: InspectScope;
  org: string;
}

/** Clamps a requested TTL into [min, max]; undefined → default (5 min). */
export function clampTtl(
  ttlSeconds: number | undefined,
  maxTtlSeconds = INSPECT_LIMITS.maxTokenTtlSeconds
): number {
  if (ttlSeconds === undefined) return Math.min(INSPECT_LIMITS.defaultTokenTtlSeconds, maxTtlSeconds);
  return Math.max(INSPECT_LIMITS.minTokenTtlSeconds, Math.min(Math.floor(ttlSeconds), maxTtlSeconds));
}

/** A minted token's `key` claim: which org API key minted it (`apiKeyId`), for the per-key session cap. */
const KEY_ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * A stable, non-secret identifier of an org API key: keyed by the inspect secret (so it reveals
 * nothing about the key without it), the same on every instance sharing the secret.
 */
export function apiKeyId(secret: Uint8Array, apiKey: string): string {
  return (
    'k_' +
    createHmac('sha256', Buffer.from(secret)).update(`api-key:${apiKey}`).digest('base64url').slice(0, 12)
  );
}

export async function mintInspectToken(
  secret: Uint8Array,
  org: string,
  scope: InspectScope,
  ttlSeconds: number,
  now = Date.now(),
  keyId?: string
): Promise<MintedToken> {
  const iat = Math.floor(now / 1000);
  // exp in whole seconds (JWT); expiresAt reports exactly that instant.
  const exp = iat + ttlSeconds;
  if (keyId !== undefined && !KEY_ID.test(keyId))
    throw new TypeError('mintInspectToken: keyId must match [A-Za-z0-9_-]{1,64}');
  const token = await new SignJWT({ org, scope, ...(keyId !== undefined ? { key: keyId } : {}) })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setAudience(INSPECT_AUDIENCE)
    .setIssuer(ISSUER)
    .setSubject(`org:${org}`)
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .setJti(randomUUID())
    .sign(secret);
  return { token, expiresAt: exp * 1000, scope, org };
}

export interface VerifiedInspectToken {
  org: string;
  scope: InspectScope;
  /** Epoch ms. */
  expiresAt: number;
  /** The org API key that minted it (`key` claim), when the token says. */
  keyId?: string;
}

export type InspectVerifyResult =
  | { ok: true; value: VerifiedInspectToken }
  | { ok: false; closeCode: number; code: 'auth_invalid' | 'auth_expired'; reason: string };

/** Verifies an inspect token (signature, audience, issuer, expiry, claims). Never throws. */
export async function verifyInspectToken(
  secret: Uint8Array,
  token: string,
  now = Date.now()
): Promise<InspectVerifyResult> {
  try {
    const { payload } = await jwtVerify(token, secret, {
      algorithms: ['HS256'],
      audience: INSPECT_AUDIENCE,
      issuer: ISSUER,
      requiredClaims: ['exp'],
      currentDate: new Date(now),
    });
    const org = payload.org;
    const scope = InspectScopeSchema.safeParse(payload.scope);
    if (typeof org !== 'string' || !isSlug(org) || !scope.success || typeof payload.exp !== 'number') {
      return {
        ok: false,
        closeCode: CloseCode.AUTH_INVALID,
        code: 'auth_invalid',
        reason: 'inspect token claims invalid',
      };
    }
    const value: VerifiedInspectToken = { org, scope: scope.data, expiresAt: payload.exp * 1000 };
    if (typeof payload.key === 'string' && KEY_ID.test(payload.key)) value.keyId = payload.key;
    return { ok: true, value };
  } catch (err) {
    if (err instanceof errors.JWTExpired) {
      return {
        ok: false,
        closeCode: CloseCode.AUTH_EXPIRED,
        code: 'auth_expired',
        reason: 'inspect token expired',
      };
    }
    return {
      ok: false,
      closeCode: CloseCode.AUTH_INVALID,
      code: 'auth_invalid',
      reason: 'inspect token invalid (signature, audience or format)',
    };
  }
}
