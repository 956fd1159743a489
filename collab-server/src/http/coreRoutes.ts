/**
 * Core HTTP routes: `/healthz`, `/readyz`, `/metrics`, `/api/rooms`.
 */
import type { OrgKeyAuthenticator } from '@collabblocks/monitor';
import type { MetricsEndpoint, RoomRuntimeStats } from '../hooks/index.js';
import type { Storage } from '../storage/types.js';
import type { Readiness } from './readiness.js';
import { sendJson, type HttpRouter } from './router.js';

export interface CoreRouteDeps {
  podName: string;
  readiness: Readiness;
  storage: Storage;
  authenticateOrgKey: OrgKeyAuthenticator;
  loadedRooms(): RoomRuntimeStats[];
  /** With cross-pod fan-out: room → { pod → connections } over every live pod; null on a single pod. */
  clusterConnections?(): Promise<Map<string, Record<string, number>> | null>;
  metrics(): MetricsEndpoint | undefined;
}

/** One row of `GET /api/rooms`. */
export interface RoomListEntry {
  room: string;
  org: string;
  /** Pod serving the room, or null when it is only stored (not loaded here). */
  pod: string | null;
  loaded: boolean;
  /** Connections to the room (over every pod with cross-pod fan-out, each client counted once). */
  connections: number;
  /** Cross-pod fan-out only: connections per pod. */
  pods?: Record<string, number>;
  docBytes: number;
  ops: number;
  lastActivity: number;
}

export function registerCoreRoutes(router: HttpRouter, deps: CoreRouteDeps): void {
  const started = Date.now();
  router.route('GET', '/healthz', (_req, res) => {
    sendJson(res, 200, { status: 'ok', pod: deps.podName, uptimeMs: Date.now() - started });
  });

  router.route('GET', '/readyz', async (_req, res) => {
    const report = await deps.readiness.evaluate();
    sendJson(res, report.ready ? 200 : 503, { pod: deps.podName, ...report });
  });

  router.route('GET', '/metrics', async (req, res) => {
    const m = deps.metrics();
    if (!m) {
      sendJson(res, 404, { error: 'metrics are not enabled on this pod' });
      return;
    }
    const accept = req.headers.accept;
    const { contentType, body } = await m.render(typeof accept === 'string' ? accept : undefined);
    res.writeHead(200, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });

  router.route('GET', '/api/rooms', async (req, res) => {
    const auth = deps.authenticateOrgKey(req);
    if (!auth) {
      sendJson(res, 401, { error: 'missing or invalid API key' }, { 'www-authenticate': 'Bearer' });
      return;
    }
    const byRoom = new Map<string, RoomListEntry>();
    for (const s of await deps.storage.stats()) {
      if (s.org !== auth.org) continue;
      byRoom.set(s.room, {
        room: s.room,
        org: s.org,
        pod: null,
        loaded: false,
        connections: 0,
        docBytes: s.bytes,
        ops: s.ops,
        lastActivity: s.lastTs,
      });
    }
    for (const r of deps.loadedRooms()) {
      if (r.org !== auth.org) continue;
      const stored = byRoom.get(r.room);
      byRoom.set(r.room, {
        room: r.room,
        org: r.org,
        pod: deps.podName,
        loaded: true,
        connections: r.connections,
        docBytes: r.docBytes,
        ops: Math.max(stored?.ops ?? 0, r.ops),
        lastActivity: Math.max(stored?.lastActivity ?? 0, r.lastActivity),
      });
    }
    const perPod = deps.clusterConnections ? await deps.clusterConnections().catch(() => null) : null;
    if (perPod) {
      for (const [room, pods] of perPod) {
        const entry = byRoom.get(room);
        if (!entry) continue;
        entry.pods = pods;
        entry.connections = Object.values(pods).reduce((a, b) => a + b, 0);
      }
    }
    const rooms = [...byRoom.values()].sort((a, b) => a.room.localeCompare(b.room));
    sendJson(res, 200, { org: auth.org, pod: deps.podName, rooms });
  });
}
