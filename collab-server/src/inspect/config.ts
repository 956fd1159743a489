/**
 * Inspect settings from the environment:
 * - `COLLAB_INSPECT_SECRET` (>= 32 bytes): signs inspect tokens. Default:
 *   HMAC(JWT secret, fixed label) with HS256 client auth, else HMAC(pseudonym
 *   secret, label) — both shared by every pod, so a token minted on one pod is
 *   accepted by all.
 * - `COLLAB_INSPECT_MAX_SESSIONS` (default 500).
 * - `COLLAB_INSPECT_TREE_GRACE_MS` (default 15000): how long a room's tree cache
 *   outlives its last tree subscriber (0 = dispose at once).
 */
import { createHmac } from 'node:crypto';
import { ConfigError, type Config } from '../config.js';
import { INSPECT_SECRET_LABEL, resolveInspectSecret } from './token.js';

export interface InspectConfig {
  secret: Uint8Array;
  maxSessions: number;
  treeGraceMs: number;
}

export function readInspectConfig(env: Record<string, string | undefined>, config: Config): InspectConfig {
  let secret: Uint8Array | null;
  try {
    secret = resolveInspectSecret({
      inspectSecret: env.COLLAB_INSPECT_SECRET?.trim(),
      jwtSecret: config.jwt.mode === 'hs256' ? config.jwt.secret : undefined,
    });
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  secret ??= new Uint8Array(
    createHmac('sha256', config.pseudonymSecret).update(INSPECT_SECRET_LABEL).digest()
  );
  const rawMax = env.COLLAB_INSPECT_MAX_SESSIONS?.trim();
  let maxSessions = 500;
  if (rawMax !== undefined && rawMax !== '') {
    if (!/^\d+$/.test(rawMax) || Number(rawMax) < 1) {
      throw new ConfigError(`COLLAB_INSPECT_MAX_SESSIONS must be a positive integer, got "${rawMax}"`);
    }
    maxSessions = Number(rawMax);
  }
  const rawGrace = env.COLLAB_INSPECT_TREE_GRACE_MS?.trim();
  let treeGraceMs = 15_000;
  if (rawGrace !== undefined && rawGrace !== '') {
    if (!/^\d+$/.test(rawGrace)) {
      throw new ConfigError(`COLLAB_INSPECT_TREE_GRACE_MS must be a non-negative integer, got "${rawGrace}"`);
    }
    treeGraceMs = Number(rawGrace);
  }
  return { secret, maxSessions, treeGraceMs };
}
