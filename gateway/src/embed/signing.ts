/**
 * Signed, org-scoped embed URLs. The SaaS back-end asks for one (POST /api/grafana/signed_url with
 * its org key); the browser loads it in an iframe; the gateway checks it before anything reaches
 * Grafana.
 *
 *   <public>/embed/d/<uid>?orgId=…&var-room=…&from=…&to=…&theme=…&kiosk
 *       &x-org=<org>&x-kid=<key id>&x-exp=<unix s>&x-nonce=<random>&x-sig=<HMAC>
 *
 * `x-sig` is HMAC-SHA256, keyed with the org's signing key, over the canonical form of the path and
 * every other query parameter (expiry and nonce included): `CB1\n<path>\n<sorted k=v&…>`. `x-kid`
 * names which key signed it (a hash, not the key), so a URL signed with another org's key is told
 * apart from a tampered one. Every refusal has its own code.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { parseRoomName } from '@collabblocks/protocol';

/** Longest lifetime of a signed URL: 15 minutes. */
export const MAX_LIFETIME_S = 15 * 60;
/** Clock skew tolerated between the signer and the gateway. */
const SKEW_S = 5;
const SIGNED = ['x-org', 'x-kid', 'x-exp', 'x-nonce'] as const;

export type EmbedErrorCode =
  | 'malformed'
  | 'unknown_org'
  | 'wrong_key'
  | 'bad_signature'
  | 'expired'
  | 'lifetime_exceeded'
  | 'cross_org'
  | 'replayed'
  | 'busy';

const STATUS: Record<EmbedErrorCode, number> = {
  malformed: 400,
  unknown_org: 403,
  wrong_key: 403,
  bad_signature: 403,
  expired: 403,
  lifetime_exceeded: 403,
  cross_org: 403,
  replayed: 403,
  busy: 503,
};

export class EmbedError extends Error {
  readonly status: number;
  constructor(
    readonly code: EmbedErrorCode,
    message: string
  ) {
    super(message);
    this.name = 'EmbedError';
    this.status = STATUS[code];
  }
}

export interface SigningOrg {
  id: string;
  signingKey: string;
}

/** Public id of a signing key: names it without revealing it. */
export function keyId(signingKey: string): string {
  return createHash('sha256').update(`collab-embed-kid:${signingKey}`).digest('hex').slice(0, 16);
}

export function canonical(path: string, params: URLSearchParams): string {
  const pairs = [...params]
    .filter(([k]) => k !== 'x-sig')
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0));
  return `CB1\n${path}\n${pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')}`;
}

function hmac(key: string, text: string): Buffer {
  return createHmac('sha256', key).update(text).digest();
}

/** What a signed URL may show: one dashboard (or one panel of it), optionally one room and a time range. */
export interface EmbedRequest {
  dashboard: string;
  panel?: number;
  room?: string;
  from?: string;
  to?: string;
  theme?: 'light' | 'dark';
  /** Lifetime in seconds, 1..MAX_LIFETIME_S (default: the gateway's). */
  ttlSeconds?: number;
}

const UID = /^[A-Za-z0-9_-]{1,40}$/;
const GRAFANA_TIME = /^(?:now(?:[+-]\d{1,6}[smhdwMy])*(?:\/[smhdwMy])?|\d{1,15})$/;

/** Checks a request body; throws EmbedError('malformed' | 'cross_org') with what is wrong. */
export function parseEmbedRequest(body: unknown, org: string): EmbedRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new EmbedError('malformed', 'body must be a JSON object');
  const b = body as Record<string, unknown>;
  const known = new Set(['dashboard', 'panel', 'room', 'from', 'to', 'theme', 'ttlSeconds']);
  const extra = Object.keys(b).filter((k) => !known.has(k));
  if (extra.length > 0) throw new EmbedError('malformed', `unknown field ${extra[0]}`);
  if (typeof b.dashboard !== 'string' || !UID.test(b.dashboard))
    throw new EmbedError('malformed', 'dashboard must be a dashboard uid');
  const req: EmbedRequest = { dashboard: b.dashboard };
  if (b.panel !== undefined) {
    if (typeof b.panel !== 'number' || !Number.isInteger(b.panel) || b.panel < 1 || b.panel > 1_000_000)
      throw new EmbedError('malformed', 'panel must be a panel id');
    req.panel = b.panel;
  }
  if (b.room !== undefined) {
    const r =
      typeof b.room === 'string'
        ? parseRoomName(b.room)
        : ({ ok: false, error: 'room must be a string' } as const);
    if (!r.ok) throw new EmbedError('malformed', r.error);
    if (r.value.org !== org) throw new EmbedError('cross_org', `room ${r.value.id} is not in org ${org}`);
    req.room = r.value.id;
  }
  for (const k of ['from', 'to'] as const) {
    if (b[k] === undefined) continue;
    if (typeof b[k] !== 'string' || !GRAFANA_TIME.test(b[k]))
      throw new EmbedError('malformed', `${k} must be a Grafana time (now-6h, now, or epoch ms)`);
    req[k] = b[k];
  }
  if (b.theme !== undefined) {
    if (b.theme !== 'light' && b.theme !== 'dark')
      throw new EmbedError('malformed', 'theme must be light or dark');
    req.theme = b.theme;
  }
  if (b.ttlSeconds !== undefined) {
    if (typeof b.ttlSeconds !== 'number' || !Number.isInteger(b.ttlSeconds) || b.ttlSeconds < 1)
      throw new EmbedError('malformed', 'ttlSeconds must be a positive integer');
    if (b.ttlSeconds > MAX_LIFETIME_S)
      throw new EmbedError('lifetime_exceeded', `ttlSeconds is at most ${MAX_LIFETIME_S} (15 minutes)`);
    req.ttlSeconds = b.ttlSeconds;
  }
  return req;
}

/** The signed embed URL (path + query, relative to the gateway) for `req` in `org`. */
export function signEmbedUrl(
  org: SigningOrg,
  grafanaOrgId: number,
  req: EmbedRequest,
  nowMs: number,
  defaultTtlS: number
): { path: string; expiresAt: number } {
  const ttl = Math.min(req.ttlSeconds ?? defaultTtlS, MAX_LIFETIME_S);
  const exp = Math.floor(nowMs / 1000) + ttl;
  const path = req.panel === undefined ? `/embed/d/${req.dashboard}` : `/embed/d-solo/${req.dashboard}`;
  const p = new URLSearchParams();
  p.set('orgId', String(grafanaOrgId));
  if (req.panel !== undefined) p.set('panelId', String(req.panel));
  p.set('var-org', org.id);
  if (req.room !== undefined) p.set('var-room', req.room);
  if (req.from !== undefined) p.set('from', req.from);
  if (req.to !== undefined) p.set('to', req.to);
  if (req.theme !== undefined) p.set('theme', req.theme);
  if (req.panel === undefined) p.set('kiosk', '');
  p.set('x-org', org.id);
  p.set('x-kid', keyId(org.signingKey));
  p.set('x-exp', String(exp));
  p.set('x-nonce', randomBytes(16).toString('base64url'));
  p.set('x-sig', hmac(org.signingKey, canonical(path, p)).toString('base64url'));
  return { path: `${path}?${p.toString()}`, expiresAt: exp * 1000 };
}

/** A verified URL: whose it is, until when, and the Grafana path it opens (without the x-* parameters). */
export interface VerifiedEmbed {
  org: string;
  grafanaOrgId: number;
  nonce: string;
  expiresAt: number;
  grafanaPath: string;
}

export interface VerifyContext {
  orgs: ReadonlyMap<string, SigningOrg>;
  grafanaOrgId(org: string): number | undefined;
  nowMs: number;
}

/**
 * Checks everything but replay (the caller claims the nonce once this passed, so an attacker cannot
 * burn nonces with forged URLs). Order: shape, org, key, signature, expiry, scope.
 */
export function verifyEmbedUrl(pathAndQuery: string, ctx: VerifyContext): VerifiedEmbed {
  let url: URL;
  try {
    url = new URL(pathAndQuery, 'http://gateway');
  } catch {
    throw new EmbedError('malformed', 'not a URL');
  }
  const m = /^\/embed(\/(?:d|d-solo)\/[A-Za-z0-9_-]{1,40})(?:\/[A-Za-z0-9_-]{0,100})?$/.exec(url.pathname);
  if (!m) throw new EmbedError('malformed', 'not an embed path (/embed/d/<uid>)');
  const p = url.searchParams;
  for (const k of [...SIGNED, 'x-sig']) {
    if (p.getAll(k).length !== 1) throw new EmbedError('malformed', `exactly one ${k} parameter is required`);
  }
  const exp = Number(p.get('x-exp'));
  if (!/^\d{1,12}$/.test(p.get('x-exp')!)) throw new EmbedError('malformed', 'x-exp must be unix seconds');
  if (!/^[A-Za-z0-9_-]{22}$/.test(p.get('x-nonce')!))
    throw new EmbedError('malformed', 'x-nonce must be 16 random bytes, base64url');
  const sig = Buffer.from(p.get('x-sig')!, 'base64url');
  if (sig.length !== 32) throw new EmbedError('malformed', 'x-sig must be an HMAC-SHA256, base64url');

  const orgId = p.get('x-org')!;
  const org = ctx.orgs.get(orgId);
  if (!org) throw new EmbedError('unknown_org', `unknown org ${orgId.slice(0, 64)}`);
  if (p.get('x-kid') !== keyId(org.signingKey))
    throw new EmbedError('wrong_key', `not signed with org ${orgId}'s key`);
  if (!timingSafeEqual(sig, hmac(org.signingKey, canonical(url.pathname, p)))) {
    throw new EmbedError('bad_signature', 'signature does not match: the URL was changed after signing');
  }
  const now = ctx.nowMs / 1000;
  if (now > exp) throw new EmbedError('expired', `expired ${Math.round(now - exp)} s ago`);
  if (exp - now > MAX_LIFETIME_S + SKEW_S)
    throw new EmbedError('lifetime_exceeded', 'valid for longer than 15 minutes');

  // Signed by the org, but it must also stay inside the org.
  const gid = ctx.grafanaOrgId(orgId);
  if (gid === undefined) throw new EmbedError('unknown_org', `org ${orgId} has no Grafana organisation`);
  if (p.get('orgId') !== String(gid))
    throw new EmbedError('cross_org', `orgId is not org ${orgId}'s Grafana organisation`);
  for (const v of p.getAll('var-org'))
    if (v !== orgId) throw new EmbedError('cross_org', `var-org ${v.slice(0, 64)} is not ${orgId}`);
  for (const v of p.getAll('var-room')) {
    const r = parseRoomName(v);
    if (!r.ok || r.value.org !== orgId)
      throw new EmbedError('cross_org', `var-room is not a room of ${orgId}`);
  }

  const clean = new URLSearchParams([...p].filter(([k]) => !k.startsWith('x-')));
  return {
    org: orgId,
    grafanaOrgId: gid,
    nonce: p.get('x-nonce')!,
    expiresAt: exp * 1000,
    grafanaPath: `${m[1]}?${clean.toString()}`,
  };
}

/**
 * Nonces of URLs already used, kept until their URL expires. Bounded: when full of unexpired nonces
 * new URLs are refused (`busy`) rather than forgetting one that could then be replayed.
 */
export class NonceLedger {
  private readonly seen = new Map<string, number>();

  constructor(private readonly max = 200_000) {}

  /** Records the nonce; false if it was used before. Throws EmbedError('busy') when full. */
  claim(org: string, nonce: string, expiresAt: number, nowMs: number): boolean {
    const key = `${org}\u0000${nonce}`;
    if (this.seen.has(key)) return false;
    if (this.seen.size >= this.max) this.sweep(nowMs);
    if (this.seen.size >= this.max)
      throw new EmbedError('busy', 'too many live embed URLs; try again shortly');
    this.seen.set(key, expiresAt);
    return true;
  }

  get size(): number {
    return this.seen.size;
  }

  sweep(nowMs: number): void {
    for (const [k, exp] of this.seen) if (exp < nowMs) this.seen.delete(k);
  }
}
