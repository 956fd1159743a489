/**
 * Org API keys for server-to-server calls (e.g. Grafana's data proxy), on every host:
 * `Authorization: Bearer <key>`. Keys are compared in constant time: both the
 * presented and each configured key are hashed with SHA-256 (equal length),
 * then compared with `timingSafeEqual`; every configured key is checked so the
 * time does not depend on which one matched. Keys are never logged.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { InspectScope } from '@collabblocks/protocol';

/** Highest scope an org API key may use (`content` includes `metadata`). */
export type ApiKeyScope = InspectScope;

/** One configured org API key (the pod reads them from COLLAB_API_KEYS; other hosts from their options). */
export interface ApiKeyConfig {
  org: string;
  key: string;
  scope: ApiKeyScope;
}

export interface OrgAuth {
  org: string;
  /** Highest scope this key may use (`content` includes `metadata`). */
  scope: ApiKeyScope;
}

export type OrgKeyAuthenticator = (req: IncomingMessage) => OrgAuth | null;

const sha = (s: string): Buffer => createHash('sha256').update(s).digest();

/** Extracts a bearer credential; null when absent or malformed. */
export function bearerToken(req: IncomingMessage): string | null {
  const h = req.headers.authorization;
  if (typeof h !== 'string') return null;
  const m = /^Bearer\s+([^\s]{1,4096})\s*$/i.exec(h);
  return m ? (m[1] as string) : null;
}

export function createOrgKeyAuthenticator(keys: ApiKeyConfig[]): OrgKeyAuthenticator {
  const hashed = keys.map((k) => ({ org: k.org, scope: k.scope, hash: sha(k.key) }));
  return (req) => {
    const presented = bearerToken(req);
    if (presented === null) return null;
    const h = sha(presented);
    let found: OrgAuth | null = null;
    for (const k of hashed) {
      if (timingSafeEqual(h, k.hash) && found === null) found = { org: k.org, scope: k.scope };
    }
    return found;
  };
}

/** Whether a key of scope `have` may mint `want` (one rule, in the wire protocol). */
export { scopeAllows } from '@collabblocks/protocol';
