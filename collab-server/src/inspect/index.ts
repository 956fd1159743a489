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
import { INSPECT_TOKEN_PATH, INSPECT_WS_PATH, type InspectScope } from '@collabblocks/protocol';
import { InspectBridge } from '@collabblocks/monitor';
import type { RouteHandler } from '../http/router.js';
import type { UpgradeHandler } from '../http/upgrade.js';
import { tokenHandler } from './http.js';
import { podHost, type PodHostServer } from './podHost.js';

import type { InspectConfig } from './config.js';

export { readInspectConfig, type InspectConfig } from './config.js';
export { podHost } from './podHost.js';

/** The part of `CollabServer` the bridge needs (structural, so tests can pass a real server). */
export interface InspectHostServer extends PodHostServer {
  readonly http: { route(method: 'POST', path: string, handler: RouteHandler): void };
  readonly upgrade: { register(pathPrefix: string, handler: UpgradeHandler): void };
  authenticateOrgKey(req: IncomingMessage): { org: string; scope: InspectScope } | null;
}

/** `readInspectConfig`'s settings (the secret required, the rest optional) and the metrics registry. */
export type AttachInspectOptions = Pick<InspectConfig, 'secret'> &
  Partial<Omit<InspectConfig, 'secret'>> & { registry?: Registry<RegistryContentType> };

export function attachInspect(server: InspectHostServer, opts: AttachInspectOptions): InspectBridge {
  const { secret, ...settings } = opts;
  const bridge = new InspectBridge({ host: podHost(server, secret), ...settings });
  server.upgrade.register(INSPECT_WS_PATH, (req, socket, head) => bridge.handleUpgrade(req, socket, head));
  const deps = {
    secret,
    authenticateOrgKey: (req: IncomingMessage) => server.authenticateOrgKey(req),
  };
  server.http.route('POST', INSPECT_TOKEN_PATH, tokenHandler(deps));
  server.http.route('POST', `${INSPECT_TOKEN_PATH}/content`, tokenHandler(deps, 'content'));
  server.http.route('POST', `${INSPECT_TOKEN_PATH}/metadata`, tokenHandler(deps, 'metadata'));
  return bridge;
}
