/**
 * The metrics `CollabExtension`: maps the core's hooks onto `PodMetrics`.
 * Every hook is O(1) (a few map lookups) and never throws into the core.
 */
import type { CollabExtension, FrameKind } from '../hooks.js';
import type { Logger } from './logger.js';
import { UNKNOWN_ORG, type PodMetrics } from './metrics.js';

/** `crdt_ops_total` type of a received message kind; undefined when it is not a CRDT op. */
export function opType(kind: FrameKind): string | undefined {
  switch (kind) {
    case 'sync-update':
      return 'update';
    case 'sync-step2':
      return 'sync-step2';
    case 'awareness':
      return 'awareness';
    default:
      return undefined;
  }
}

/** Close codes that are not errors: normal closure, going away, no status. */
const NORMAL_CLOSE = new Set([1000, 1001, 1005]);

export function isErrorCloseCode(code: number): boolean {
  return Number.isInteger(code) && !NORMAL_CLOSE.has(code);
}

function finite(n: number): boolean {
  return typeof n === 'number' && Number.isFinite(n) && n >= 0;
}

export function createMetricsExtension(m: PodMetrics, logger: Logger): CollabExtension {
  let lastWarn = 0;
  const guard =
    <A extends unknown[]>(hook: string, fn: (...args: A) => void) =>
    (...args: A): void => {
      try {
        fn(...args);
      } catch (err) {
        const t = Date.now();
        if (t - lastWarn > 60_000) {
          lastWarn = t;
          logger.warn({ hook, err: err instanceof Error ? err.message : String(err) }, 'metrics hook failed');
        }
      }
    };
  const wsError = (org: string | undefined, code: number) =>
    m.wsErrors.inc({ org: org && org !== '' ? org : UNKNOWN_ORG, code: String(code) });

  return {
    name: 'metrics',
    onConnect: guard('onConnect', (conn) => {
      m.connectionsOpened.inc({ org: conn.org });
      m.folder.touch(conn.room);
    }),
    onReject: guard('onReject', (ev) => wsError(ev.org, ev.code)),
    onDisconnect: guard('onDisconnect', (ev) => {
      if (isErrorCloseCode(ev.code)) wsError(ev.conn.org, ev.code);
    }),
    onMessage: guard('onMessage', (ev) => {
      m.messages.inc({ org: ev.org, kind: ev.kind });
      const type = opType(ev.kind);
      if (type) m.countOp(ev.room, ev.org, type);
    }),
    onUpdate: guard('onUpdate', (ev) => {
      if (ev.origin === 'remote') m.countOp(ev.room, ev.org, 'remote-update');
      if (ev.origin === 'client' && finite(ev.durationMs)) m.updateDuration.observe(ev.durationMs);
    }),
    onPersist: guard('onPersist', (ev) =>
      m.observePersist(ev.orgs, ev.backend, ev.durationMs, ev.count, ev.traceId)
    ),
    onCompaction: guard('onCompaction', (ev) => {
      m.compactions.inc({ org: ev.org });
      if (finite(ev.durationMs)) m.compactionDuration.observe(ev.durationMs);
    }),
    onRoomLoaded: guard('onRoomLoaded', (ev) => {
      if (ev.durationMs !== undefined && finite(ev.durationMs)) m.roomLoad.observe(ev.durationMs);
    }),
    onRoomUnloaded: guard('onRoomUnloaded', (ev) => m.roomsUnloaded.inc({ org: ev.org })),
    onRtt: guard('onRtt', (ev) => {
      if (finite(ev.rttMs)) m.presenceRtt.observe({ org: ev.org }, ev.rttMs);
    }),
    // The core closes the connection after reporting an error, so the close is what `ws_errors_total`
    // counts (via onDisconnect); counting here too would count it twice.
    onError: guard('onError', (ev) =>
      m.coreErrors.inc({ org: ev.org && ev.org !== '' ? ev.org : UNKNOWN_ORG, code: String(ev.code) })
    ),
  };
}
