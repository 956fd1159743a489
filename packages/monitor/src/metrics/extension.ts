/**
 * The metrics hooks: map a host's hook events (the pod's `CollabExtension`, the Hocuspocus extension)
 * onto `PodMetrics`. Every hook is O(1) (a few map lookups) and never throws into the host.
 */
import { ABNORMAL_CLOSURE, CloseCode, errorMessage } from '@collabblocks/protocol';
import type { FrameKind } from '../events.js';
import type { MetricsHooks, WarnLogger } from './events.js';
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

/**
 * Codes the pod itself closes with: its `CloseCode`s plus the protocol errors `ws` closes with
 * (1002 protocol error, 1007 invalid UTF-8; 1009 is `CloseCode.MESSAGE_TOO_BIG`).
 */
const POD_CLOSE_CODES: ReadonlySet<number> = new Set<number>([...Object.values(CloseCode), 1002, 1007]);

/** `code` label for a code not in the set above (never expected): one bucket, so labels stay bounded. */
export const OTHER_CODE = 'other';

/**
 * How a close counts: `{ error: label }` for `ws_errors_total{code=label}` (a pod close code, or 1006),
 * `'client'` for a close code the client chose (not the pod's failure: `collab_client_closes_total`),
 * `null` for a normal close. Labels come from a fixed set whatever the client sends.
 */
export function classifyClose(code: number, byClient = false): { error: string } | 'client' | null {
  if (!Number.isInteger(code) || NORMAL_CLOSE.has(code)) return null;
  if (code === ABNORMAL_CLOSURE) return { error: String(code) };
  if (byClient) return 'client';
  return { error: POD_CLOSE_CODES.has(code) ? String(code) : OTHER_CODE };
}

function finite(n: number): boolean {
  return typeof n === 'number' && Number.isFinite(n) && n >= 0;
}

export function createMetricsExtension(m: PodMetrics, logger: WarnLogger): MetricsHooks {
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
          logger.warn({ hook, err: errorMessage(err) }, 'metrics hook failed');
        }
      }
    };
  const orgLabel = (org: string | undefined) => (org && org !== '' ? org : UNKNOWN_ORG);
  const countClose = (org: string | undefined, code: number, byClient: boolean) => {
    const kind = classifyClose(code, byClient);
    if (kind === 'client') m.clientCloses.inc({ org: orgLabel(org) });
    else if (kind !== null) m.wsErrors.inc({ org: orgLabel(org), code: kind.error });
  };

  return {
    name: 'metrics',
    onConnect: guard('onConnect', (conn) => {
      m.connectionsOpened.inc({ org: conn.org });
      m.folder.touch(conn.room);
    }),
    // A refusal is always the pod's decision (and never a normal close).
    onReject: guard('onReject', (ev) => {
      countClose(ev.org, ev.code, false);
      if (ev.keySetFailure !== undefined) m.keySetFailures.inc({ reason: ev.keySetFailure });
    }),
    onDisconnect: guard('onDisconnect', (ev) => countClose(ev.conn.org, ev.code, ev.byClient === true)),
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
    onPresenceRefused: guard('onPresenceRefused', (ev) =>
      m.presenceRefused.inc({ org: orgLabel(ev.org), kind: ev.kind })
    ),
    onRoomUnloaded: guard('onRoomUnloaded', (ev) => m.roomsUnloaded.inc({ org: ev.org })),
    onRtt: guard('onRtt', (ev) => {
      if (finite(ev.rttMs)) m.presenceRtt.observe({ org: ev.org }, ev.rttMs);
    }),
    // The core closes the connection after reporting an error, so the close is what `ws_errors_total`
    // counts (via onDisconnect); counting here too would count it twice.
    onLimit: guard('onLimit', (ev) =>
      m.limitEvents.inc({ org: orgLabel(ev.org), limit: ev.limit, action: ev.action })
    ),
    onError: guard('onError', (ev) =>
      m.coreErrors.inc({
        org: orgLabel(ev.org),
        code: POD_CLOSE_CODES.has(ev.code) ? String(ev.code) : OTHER_CODE,
      })
    ),
  };
}
