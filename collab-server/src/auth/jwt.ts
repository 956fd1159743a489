/**
 * Client token verification (JWT via `jose`). HS256 with a shared secret by
 * default; ES256 (and other asymmetric algorithms) via a JWKS URL or a PEM
 * public key. Required claims: `sub`, `org`, `exp`; optional `name`.
 *
 * The token itself never leaves this module: callers get the verified claims
 * or a rejection with the protocol close code. Reasons are generic enough to
 * never echo token content. With a JWKS URL, a key set that cannot be fetched
 * (timeout, network error, non-200, not a key set) refuses with INTERNAL_ERROR
 * (4500, retryable) and says why in `keySetFailure`, never with AUTH_INVALID:
 * the token was not checked at all. A token whose `kid` is not in the cached
 * key set is refused with AUTH_INVALID only on the word of a key set fetched
 * within the last `jwksUnknownKidProbeMs` (default 5 s): otherwise the set is
 * fetched again first (at most once per that interval, so tokens with random
 * kids cannot flood the key server), and if that fetch fails the answer is
 * the retryable 4500 — also inside jose's 30 s refetch cooldown, which alone
 * would have answered 4402 for a key rotated in while the JWKS was down.
 */
import {
  createRemoteJWKSet,
  customFetch,
  errors,
  importSPKI,
  jwtVerify,
  type FetchImplementation,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import { CloseCode, isSlug } from '@collabblocks/protocol';
import type { Config } from '../config.js';
import type { KeySetFailure } from '../hooks/index.js';

export interface ClientClaims {
  sub: string;
  org: string;
  /** Display name; content scope only, never logged. */
  name?: string;
  exp: number;
}

export type VerifyResult =
  | { ok: true; claims: ClientClaims }
  | {
      ok: false;
      code: number;
      reason: string;
      /** Set when the token could not be checked because the JWKS could not be fetched (code 4500). */
      keySetFailure?: KeySetFailure;
    };

export interface TokenVerifierOptions {
  /** JWKS mode: HTTP timeout of one key-set fetch (default 5000 ms). */
  jwksTimeoutMs?: number;
  /**
   * JWKS mode: a token with an unknown `kid` makes the pod fetch the key set again unless a fetch was
   * attempted within this many ms (default 5000); that attempt's outcome answers meanwhile.
   */
  jwksUnknownKidProbeMs?: number;
}

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

/** Largest JWKS response read (a key set is a few KiB). */
const MAX_JWKS_BYTES = 1024 * 1024;

/** The key set could not be fetched: says nothing about the token, so it must not look like a bad one. */
class KeySetUnavailableError extends Error {
  constructor(readonly failure: KeySetFailure) {
    super(`JWKS ${failure}`);
    // Not "TimeoutError": jose would wrap it in its own JWKSTimeout.
    this.name = 'KeySetUnavailableError';
  }
}

async function readBounded(res: Response): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_JWKS_BYTES) {
      await reader.cancel().catch(() => undefined);
      throw new KeySetUnavailableError('bad-response');
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * jose's fetch of the key set, with every failure of the fetch itself classified: timeout, network
 * error or non-200 status, or a body that is not JSON. jose's own errors do not tell these apart from
 * errors about the token (a generic JOSEError for a 503 and for a bad signature alike).
 */
const classifiedFetch = async (
  url: string,
  options: Parameters<FetchImplementation>[1]
): Promise<Response> => {
  let res: Response;
  try {
    res = await fetch(url, options);
  } catch (err) {
    const name = err instanceof Error ? err.name : '';
    throw new KeySetUnavailableError(
      name === 'TimeoutError' || options.signal.aborted ? 'timeout' : 'unreachable'
    );
  }
  if (res.status !== 200) {
    await res.body?.cancel().catch(() => undefined);
    throw new KeySetUnavailableError('unreachable');
  }
  let body: string;
  try {
    body = await readBounded(res);
    JSON.parse(body);
  } catch (err) {
    if (err instanceof KeySetUnavailableError) throw err;
    throw new KeySetUnavailableError(options.signal.aborted ? 'timeout' : 'bad-response');
  }
  return new Response(body, { status: 200, headers: { 'content-type': 'application/json' } });
};

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

export async function createTokenVerifier(
  config: Config,
  opts: TokenVerifierOptions = {}
): Promise<TokenVerifier> {
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
  /** JWKS mode: the last key-set fetch attempt (when, and its failure or null for a success). */
  const lastFetch: { at: number; failure: KeySetFailure | null } = { at: -Infinity, failure: null };
  let reloadKeySet: (() => Promise<void>) | null = null;
  if (jwt.mode === 'hs256') {
    key = new TextEncoder().encode(jwt.secret);
    algorithms = ['HS256'];
  } else if (jwt.mode === 'jwks') {
    const fetchRecorded: FetchImplementation = async (url, options) => {
      lastFetch.at = performance.now();
      try {
        const res = await classifiedFetch(url, options);
        lastFetch.failure = null;
        return res;
      } catch (err) {
        lastFetch.failure = err instanceof KeySetUnavailableError ? err.failure : 'unreachable';
        throw err;
      }
    };
    const remote = createRemoteJWKSet(new URL(jwt.jwksUrl), {
      timeoutDuration: opts.jwksTimeoutMs ?? 5000,
      cooldownDuration: 30_000,
      [customFetch]: fetchRecorded,
    });
    key = remote;
    reloadKeySet = () => remote.reload();
    algorithms = ASYMMETRIC_ALGS;
  } else {
    key = await importSPKI(jwt.publicKeyPem, 'ES256');
    algorithms = ['ES256'];
  }
  const probeMs = opts.jwksUnknownKidProbeMs ?? 5000;
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
      // Overloads differ by key type; both branches verify identically.
      const verifyOnce = async (): Promise<JWTPayload> =>
        typeof key === 'function'
          ? (await jwtVerify(token, key, options)).payload
          : (await jwtVerify(token, key, options)).payload;
      try {
        let payload: JWTPayload;
        try {
          payload = await verifyOnce();
        } catch (err) {
          // An unknown kid: only a key set fetched just now may say the key does not exist.
          if (!(err instanceof errors.JWKSNoMatchingKey) || reloadKeySet === null) throw err;
          if (performance.now() - lastFetch.at >= probeMs) {
            await reloadKeySet();
            payload = await verifyOnce();
          } else if (lastFetch.failure !== null) {
            throw new KeySetUnavailableError(lastFetch.failure);
          } else {
            throw err;
          }
        }
        return checkClaims(payload, roomOrg);
      } catch (err) {
        if (err instanceof errors.JWTExpired) return fail(CloseCode.AUTH_EXPIRED, 'token expired');
        // The key set could not be fetched (or was not a key set): an outage of the identity
        // provider, not a bad token. 4500 is retryable for clients (4400-4499 are not).
        const failure =
          err instanceof KeySetUnavailableError
            ? err.failure
            : err instanceof errors.JWKSTimeout
              ? 'timeout'
              : err instanceof errors.JWKSInvalid
                ? 'bad-response'
                : undefined;
        if (failure !== undefined) {
          return {
            ok: false,
            code: CloseCode.INTERNAL_ERROR,
            reason: 'token keys unavailable, retry later',
            keySetFailure: failure,
          };
        }
        if (err instanceof errors.JOSEError)
          return fail(CloseCode.AUTH_INVALID, `token rejected (${err.code})`);
        return fail(CloseCode.AUTH_INVALID, 'token rejected');
      }
    },
  };
}
