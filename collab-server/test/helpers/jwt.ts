/**
 * Test helpers for client tokens and org API keys.
 *
 *   const token = await mintToken({ org: 'acme', sub: 'alice', name: 'Alice' });
 *   const expired = await mintToken({ org: 'acme', expiresInSec: -60 });
 *   const { privateKey, publicKeyPem } = await es256KeyPair();
 *   const es = await mintToken({ org: 'acme', alg: 'ES256', key: privateKey });
 *
 * Pods started with `startPod()` use `TEST_JWT_SECRET` and `TEST_API_KEYS`
 * unless overridden.
 */
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type JWK } from 'jose';

/** HS256 secret every test pod uses by default (>= 32 bytes). */
export const TEST_JWT_SECRET = 'test-jwt-secret-for-collab-pod-tests-0123456789';

/** Org API keys configured on test pods by default (`COLLAB_API_KEYS`). */
export const TEST_API_KEYS = {
  acme: { key: 'acme-metadata-key-0123456789abcdef', scope: 'metadata' as const },
  acmeContent: { org: 'acme', key: 'acme-content-key-0123456789abcdef', scope: 'content' as const },
  globex: { key: 'globex-metadata-key-0123456789abcdef', scope: 'metadata' as const },
};

/** `COLLAB_API_KEYS` value matching `TEST_API_KEYS`. */
export const TEST_API_KEYS_ENV = [
  `acme:${TEST_API_KEYS.acme.key}:metadata`,
  `acme:${TEST_API_KEYS.acmeContent.key}:content`,
  `globex:${TEST_API_KEYS.globex.key}:metadata`,
].join(',');

type SigningKey = Parameters<SignJWT['sign']>[0];

export interface MintOptions {
  org: string;
  sub?: string;
  name?: string;
  /** Seconds from now until `exp` (negative = already expired). Default 3600. */
  expiresInSec?: number;
  /** Omit the `exp` claim entirely (the pod must reject such tokens). */
  noExp?: boolean;
  /** Default HS256 with `secret`. */
  alg?: 'HS256' | 'ES256';
  /** HS256 secret, default `TEST_JWT_SECRET`. */
  secret?: string;
  /** ES256 private key (from `es256KeyPair()`). */
  key?: SigningKey;
  /** `kid` header (which key of a JWKS signed it); none by default. */
  kid?: string;
  /** Extra claims (e.g. `aud`, `iss`). */
  extra?: Record<string, unknown>;
}

/** Signs a client JWT with claims `sub`, `org`, `name`, `iat`, `exp`. */
export async function mintToken(opts: MintOptions): Promise<string> {
  const alg = opts.alg ?? 'HS256';
  const now = Math.floor(Date.now() / 1000);
  const claims: Record<string, unknown> = { org: opts.org, ...(opts.extra ?? {}) };
  if (opts.name !== undefined) claims.name = opts.name;
  let jwt = new SignJWT(claims)
    .setProtectedHeader(opts.kid === undefined ? { alg } : { alg, kid: opts.kid })
    .setSubject(opts.sub ?? 'user-1')
    .setIssuedAt(now - 1);
  if (!opts.noExp) jwt = jwt.setExpirationTime(now + (opts.expiresInSec ?? 3600));
  if (alg === 'HS256') return jwt.sign(new TextEncoder().encode(opts.secret ?? TEST_JWT_SECRET));
  if (!opts.key) throw new Error('mintToken: ES256 needs `key` (see es256KeyPair())');
  return jwt.sign(opts.key);
}

/**
 * A fresh ES256 key pair; `publicKeyPem` goes into `COLLAB_JWT_PUBLIC_KEY`, `publicJwk` (with `alg`) into
 * a key set a test JWKS server serves (`{ keys: [publicJwk] }`).
 */
export async function es256KeyPair(): Promise<{
  privateKey: SigningKey;
  publicKeyPem: string;
  publicJwk: JWK;
}> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  return {
    privateKey,
    publicKeyPem: await exportSPKI(publicKey),
    publicJwk: { ...(await exportJWK(publicKey)), alg: 'ES256' },
  };
}
