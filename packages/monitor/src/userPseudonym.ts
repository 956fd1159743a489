import { createHmac } from 'node:crypto';

/**
 * Stable, non-reversible pseudonym of a token subject (or a host's user id) within an org:
 * `u_` + the first 10 base64url characters of HMAC-SHA256(secret, org + ':' + sub).
 * Safe for metadata scope (metrics, logs, presence lists); the same on every
 * pod that shares the secret.
 */
export function userPseudonym(secret: Buffer, org: string, sub: string): string {
  const mac = createHmac('sha256', secret).update(`${org}:${sub}`).digest('base64url');
  return 'u_' + mac.slice(0, 10);
}
