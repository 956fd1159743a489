/**
 * The embed session: after a signed URL is verified, the iframe's later requests (scripts, API calls,
 * Grafana Live) carry a cookie instead. It names the org and its Grafana organisation and ends when
 * the signed URL would have expired; it is HMAC-signed with the gateway's own secret, so it cannot be
 * altered to name another org. `SameSite=None; Secure; Partitioned` so it is sent inside a third-party
 * iframe.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SESSION_COOKIE = 'collab_embed';

export interface EmbedSession {
  org: string;
  grafanaOrgId: number;
  /** Unix ms. */
  expiresAt: number;
}

export class SessionCodec {
  constructor(private readonly secret: string) {
    if (secret.length < 32) throw new Error('session secret must be at least 32 characters');
  }

  private mac(payload: string): Buffer {
    return createHmac('sha256', this.secret).update(`collab-embed-session:${payload}`).digest();
  }

  encode(s: EmbedSession): string {
    const payload = Buffer.from(JSON.stringify([s.org, s.grafanaOrgId, s.expiresAt])).toString('base64url');
    return `${payload}.${this.mac(payload).toString('base64url')}`;
  }

  /** The session in `value` if it is intact and not expired, else undefined. */
  decode(value: string, nowMs: number): EmbedSession | undefined {
    const dot = value.indexOf('.');
    if (dot <= 0 || value.length > 512) return undefined;
    const payload = value.slice(0, dot);
    const mac = Buffer.from(value.slice(dot + 1), 'base64url');
    const want = this.mac(payload);
    if (mac.length !== want.length || !timingSafeEqual(mac, want)) return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      return undefined;
    }
    if (!Array.isArray(parsed) || parsed.length !== 3) return undefined;
    const [org, grafanaOrgId, expiresAt] = parsed as [unknown, unknown, unknown];
    if (typeof org !== 'string' || typeof grafanaOrgId !== 'number' || typeof expiresAt !== 'number')
      return undefined;
    if (expiresAt <= nowMs) return undefined;
    return { org, grafanaOrgId, expiresAt };
  }

  setCookie(s: EmbedSession, nowMs: number, secure: boolean): string {
    const maxAge = Math.max(0, Math.floor((s.expiresAt - nowMs) / 1000));
    // Partitioned (CHIPS): the cookie lives in the embedding site's partition, so it still works where a
    // browser blocks third-party cookies, and is never shared with another site embedding the gateway.
    return `${SESSION_COOKIE}=${this.encode(s)}; Path=/; Max-Age=${maxAge}; HttpOnly; ${secure ? 'SameSite=None; Secure; Partitioned' : 'SameSite=Lax'}`;
  }
}

/** The value of cookie `name` in a Cookie header (first occurrence). */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

/** The Cookie header without cookie `name` (Grafana never sees the embed session). */
export function withoutCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  const rest = header
    .split(';')
    .map((p) => p.trim())
    .filter((p) => p !== '' && p.slice(0, p.indexOf('=')).trim() !== name);
  return rest.length > 0 ? rest.join('; ') : undefined;
}
