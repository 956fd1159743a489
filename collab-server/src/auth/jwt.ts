/**
 * Client token verification (JWT via `jose`). HS256 with a shared secret by
 * default; ES256 (and other asymmetric algorithms) via a JWKS URL or a PEM
 * public key. Required claims: `sub`, `org`, `exp`; optional `name`.
 *
 * The token itself never leaves this module: callers get the verified claims
 * or a rejection with the protocol close code. Reasons are generic enough to
 * never echo token content.
 */
import {
  createRemoteJWKSet,
  errors,
  importSPKI,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import { CloseCode, isSlug } from '@collabblocks/protocol';
import type { Config } from '../config.js';

export interface ClientClaims {
  sub: string;
  org: string;
  /** Display name; content scope only, never logged. */
  name?: string;
  exp: number;
}

export type VerifyResult = { ok: true; claims: ClientClaims } | { ok: false; code: number; reason: string };

export interface TokenVerifier {
  /** Verifies `token` for a room in `roomOrg`. */
  verify(token: string | undefined, roomOrg: string): Promise<VerifyResult>;
  readonly mode: Config['jwt']['mode'];
}

const ASYMMETRIC_ALGS = ['ES256', 'ES384', 'RS256', 'PS256', 'EdDSA'];
const MAX_TOKEN_CHARS = 8192;

function fail(code: number, reason: string): VerifyResult {
  return { ok: false, code, reason };
}

/** Validates the claim shapes after signature verification. */
export function checkClaims(payload: JWTPayload, roomOrg: string): VerifyResult {
  const { sub, org, name, exp } = payload as Record<string, unknown>;
  if (typeof exp !== 'number') return fail(CloseCode.AUTH_INVALID, 'token has no exp claim');
  if (typeof sub !== 'string' || sub.length === 0 || sub.length > 256) {
    return fail(CloseCode.AUTH_INVALID, 'token sub claim missing or invalid');
  }
  if (typeof org !== 'string' || !isSlug(org))
    return fail(CloseCode.AUTH_INVALID, 'token org claim missing or invalid');
  if (name !== undefined && typeof name !== 'string')
    return fail(CloseCode.AUTH_INVALID, 'token name claim invalid');
  if (org !== roomOrg) return fail(CloseCode.AUTH_WRONG_ORG, 'token org does not match the room org');
  const claims: ClientClaims = { sub, org, exp };
  if (typeof name === 'string') claims.name = name.slice(0, 200);
  return { ok: true, claims };
}

export async function createTokenVerifier(config: Config): Promise<TokenVerifier> {
  const jwt = config.jwt;
  if (jwt.mode === 'disabled') {
    // Dev mode: no verification. The caller derives org from the path and a pseudonymous subject.
    return {
      mode: 'disabled',
      async verify(_token, roomOrg) {
        return { ok: true, claims: { sub: 'anonymous', org: roomOrg, exp: Number.MAX_SAFE_INTEGER } };
      },
    };
  }
  let key: Uint8Array | Awaited<ReturnType<typeof importSPKI>> | JWTVerifyGetKey;
  let algorithms: string[];
  if (jwt.mode === 'hs256') {
    key = new TextEncoder().encode(jwt.secret);
    algorithms = ['HS256'];
  } else if (jwt.mode === 'jwks') {
    key = createRemoteJWKSet(new URL(jwt.jwksUrl), { timeoutDuration: 5000, cooldownDuration: 30_000 });
    algorithms = ASYMMETRIC_ALGS;
  } else {
    key = await importSPKI(jwt.publicKeyPem, 'ES256');
    algorithms = ['ES256'];
  }
  const options = {
    algorithms,
    requiredClaims: ['exp', 'sub'],
    clockTolerance: 5,
    ...(config.jwtAudience !== undefined ? { audience: config.jwtAudience } : {}),
    ...(config.jwtIssuer !== undefined ? { issuer: config.jwtIssuer } : {}),
  };
  return {
    mode: jwt.mode,
    async verify(token, roomOrg) {
      if (token === undefined || token === '') return fail(CloseCode.AUTH_MISSING, 'no token presented');
      if (token.length > MAX_TOKEN_CHARS) return fail(CloseCode.AUTH_INVALID, 'token too long');
      try {
        // Overloads differ by key type; both branches verify identically.
        const { payload } =
          typeof key === 'function'
            ? await jwtVerify(token, key, options)
            : await jwtVerify(token, key, options);
        return checkClaims(payload, roomOrg);
      } catch (err) {
        if (err instanceof errors.JWTExpired) return fail(CloseCode.AUTH_EXPIRED, 'token expired');
        if (err instanceof errors.JWKSTimeout || err instanceof errors.JOSEError) {
          const code = (err as errors.JOSEError).code;
          return fail(CloseCode.AUTH_INVALID, `token rejected (${code})`);
        }
        return fail(CloseCode.AUTH_INVALID, 'token rejected');
      }
    },
  };
}
