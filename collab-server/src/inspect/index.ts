/**
 * Wires the inspect bridge into a pod: the extension (hooks), `/inspect`
 * WebSocket upgrades and the token routes.
 *
 *   const inspect = attachInspect(server, { secret, registry: obs.podMetrics?.registry });
 *   ...
 *   await inspect.close();   // before server.close()
 */
import type { IncomingMessage } from 'node:http';
import type { Registry, RegistryContentType } from 'prom-client';
import {
  INSPECT_TOKEN_PATH,
  INSPECT_WS_PATH,
  type InspectScope,
  type PresenceFieldPaths,
} from '@collabblocks/protocol';
import { InspectBridge } from '@collabblocks/monitor';
import type { RouteHandler } from '../http/router.js';
import type { UpgradeHandler } from '../http/upgrade.js';
import { tokenHandler } from './http.js';
import { podHost, type PodHostServer } from './podHost.js';

export { readInspectConfig, type InspectConfig } from './config.js';
export { podHost } from './podHost.js';

/** The part of `CollabServer` the bridge needs (structural, so tests can pass a real server). */
export interface InspectHostServer extends PodHostServer {
  readonly http: { route(method: 'POST', path: string, handler: RouteHandler): void };
  readonly upgrade: { register(pathPrefix: string, handler: UpgradeHandler): void };
  authenticateOrgKey(req: IncomingMessage): { org: string; scope: InspectScope } | null;
}

export interface AttachInspectOptions {
  /** From `resolveInspectSecret` (COLLAB_INSPECT_SECRET or derived from the JWT secret). */
  secret: Uint8Array;
  registry?: Registry<RegistryContentType>;
  maxSessions?: number;
  treeGraceMs?: number;
  queue?: { maxQueuedBytes: number; maxQueuedMessages: number };
  /** `COLLAB_PRESENCE_FIELDS`: field paths for awareness states no built-in convention recognises. */
  presenceFields?: PresenceFieldPaths;
}

export function attachInspect(server: InspectHostServer, opts: AttachInspectOptions): InspectBridge {
  const bridge = new InspectBridge({
    host: podHost(server, opts.secret),
    ...(opts.registry ? { registry: opts.registry } : {}),
    ...(opts.maxSessions !== undefined ? { maxSessions: opts.maxSessions } : {}),
    ...(opts.treeGraceMs !== undefined ? { treeGraceMs: opts.treeGraceMs } : {}),
    ...(opts.queue ? { queue: opts.queue } : {}),
    ...(opts.presenceFields ? { presenceFields: opts.presenceFields } : {}),
  });
  server.upgrade.register(INSPECT_WS_PATH, (req, socket, head) => bridge.handleUpgrade(req, socket, head));
  const deps = {
    secret: opts.secret,
    authenticateOrgKey: (req: IncomingMessage) => server.authenticateOrgKey(req),
  };
  server.http.route('POST', INSPECT_TOKEN_PATH, tokenHandler(deps));
  server.http.route('POST', `${INSPECT_TOKEN_PATH}/content`, tokenHandler(deps, 'content'));
  server.http.route('POST', `${INSPECT_TOKEN_PATH}/metadata`, tokenHandler(deps, 'metadata'));
  return bridge;
}
