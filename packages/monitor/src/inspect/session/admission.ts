/**
 * Admission to `/inspect`: the WebSocket upgrade, the token-in-URL refusal, and fairness.
 *
 * - Sockets still authenticating have their own small budget, apart from sessions: at most
 *   `maxUnauthenticated` on this host and `maxUnauthenticatedPerAddress` per remote address, each
 *   living at most the auth deadline (`authTimeoutMs`). When the host budget is full, a newcomer
 *   takes the place of the oldest unauthenticated socket of the address holding the most (when that
 *   address holds more than the newcomer's): idle sockets from a few addresses can never lock the
 *   next inspector out.
 * - Authenticated sessions count, at their first successful auth, against the host cap
 *   (`maxSessions`), their org's (`maxSessionsPerOrg`) and the minting API key's
 *   (`maxSessionsPerKey`, tokens that name their key): one org, or one key, cannot hold every
 *   session.
 * Refusals close with RATE_LIMITED (4413) and a reason saying which budget is full.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { CloseCode, INSPECT_LIMITS } from '@collabblocks/protocol';
import type { InspectMetrics } from '../metrics.js';
import type { InspectSession } from './session.js';

export interface AdmissionLimits {
  /** Authenticated sessions on this host. */
  maxSessions: number;
  /** Authenticated sessions of one org on this host. */
  maxSessionsPerOrg: number;
  /** Authenticated sessions whose tokens one org API key minted, on this host. */
  maxSessionsPerKey: number;
  /** Sockets still authenticating on this host. */
  maxUnauthenticated: number;
  /** Sockets still authenticating from one remote address. */
  maxUnauthenticatedPerAddress: number;
}

export const DEFAULT_ADMISSION: AdmissionLimits = {
  maxSessions: 500,
  maxSessionsPerOrg: 100,
  maxSessionsPerKey: 50,
  maxUnauthenticated: 64,
  maxUnauthenticatedPerAddress: 8,
};

/** Counts per key, dropping keys at zero. */
class Tally {
  private readonly counts = new Map<string, number>();
  get(key: string): number {
    return this.counts.get(key) ?? 0;
  }
  add(key: string, n: number): void {
    const v = this.get(key) + n;
    if (v <= 0) this.counts.delete(key);
    else this.counts.set(key, v);
  }
  /** The key with the highest count (first of equals), or undefined. */
  heaviest(): [string, number] | undefined {
    let best: [string, number] | undefined;
    for (const e of this.counts) if (!best || e[1] > best[1]) best = e;
    return best;
  }
}

export class SessionAdmission {
  private readonly wss: WebSocketServer;
  private readonly sessions = new Set<InspectSession>();
  /** Sockets still authenticating, oldest first, with their remote address. */
  private readonly pending = new Map<InspectSession, string>();
  private readonly pendingByAddress = new Tally();
  /** Sessions past their first auth, with the org and key they count against. */
  private readonly admitted = new Map<InspectSession, { org: string; key: string | undefined }>();
  private readonly byOrg = new Tally();
  private readonly byKey = new Tally();
  private closing = false;

  constructor(
    private readonly limits: AdmissionLimits,
    private readonly metrics: InspectMetrics,
    private readonly open: (ws: WebSocket) => InspectSession
  ) {
    this.wss = new WebSocketServer({ noServer: true, maxPayload: INSPECT_LIMITS.maxClientMessageBytes });
  }

  get count(): number {
    return this.sessions.size;
  }

  /** Upgrade handler for `/inspect`. The token must come in the first frame, never in the URL. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const address = req.socket.remoteAddress ?? 'unknown';
    this.wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      if (this.closing) {
        ws.close(CloseCode.GOING_AWAY, 'pod shutting down');
        return;
      }
      const query = (req.url ?? '').split('?')[1] ?? '';
      if (/(^|&)(token|access_token)=/i.test(query)) {
        ws.close(CloseCode.AUTH_INVALID, 'token in the URL is refused; send it in the first frame');
        return;
      }
      const refused = this.makeRoomFor(address);
      if (refused !== null) {
        ws.close(CloseCode.RATE_LIMITED, refused);
        return;
      }
      const session = this.open(ws);
      this.sessions.add(session);
      // A socket closed during its construction (it cannot be: the auth timer runs) is not pending.
      if (session.isOpen) {
        this.pending.set(session, address);
        this.pendingByAddress.add(address, 1);
      }
    });
  }

  /**
   * First successful auth of a session: true admits it, a reason refuses it (a cap is full). It
   * leaves the unauthenticated budget either way.
   */
  admit(session: InspectSession): true | string {
    this.unpend(session);
    const org = session.org as string;
    const key = session.keyId;
    if (this.closing) return 'pod shutting down';
    if (this.admitted.size >= this.limits.maxSessions) return 'too many inspect sessions on this pod';
    if (this.byOrg.get(org) >= this.limits.maxSessionsPerOrg) {
      return `too many inspect sessions for this org on this pod (at most ${this.limits.maxSessionsPerOrg})`;
    }
    if (key !== undefined && this.byKey.get(key) >= this.limits.maxSessionsPerKey) {
      return `too many inspect sessions for this API key on this pod (at most ${this.limits.maxSessionsPerKey})`;
    }
    this.admitted.set(session, { org, key });
    this.byOrg.add(org, 1);
    if (key !== undefined) this.byKey.add(key, 1);
    this.metrics.sessions.inc({ org });
    return true;
  }

  /** The session's socket closed. */
  release(session: InspectSession): void {
    this.sessions.delete(session);
    this.unpend(session);
    const a = this.admitted.get(session);
    if (!a) return;
    this.admitted.delete(session);
    this.byOrg.add(a.org, -1);
    if (a.key !== undefined) this.byKey.add(a.key, -1);
    this.metrics.sessions.dec({ org: a.org });
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const s of [...this.sessions]) s.close(CloseCode.GOING_AWAY, 'pod shutting down');
    await new Promise<void>((r) => this.wss.close(() => r()));
  }

  /** Null when a socket from `address` may wait for its auth (evicting another if need be), else why not. */
  private makeRoomFor(address: string): string | null {
    const mine = this.pendingByAddress.get(address);
    if (mine >= this.limits.maxUnauthenticatedPerAddress) {
      return 'too many unauthenticated inspect sockets from this address';
    }
    if (this.pending.size < this.limits.maxUnauthenticated) return null;
    const heaviest = this.pendingByAddress.heaviest();
    if (!heaviest || heaviest[1] <= mine) return 'too many unauthenticated inspect sockets on this pod';
    for (const [session, addr] of this.pending) {
      if (addr !== heaviest[0]) continue;
      session.close(
        CloseCode.RATE_LIMITED,
        'unauthenticated inspect socket dropped for a newcomer: the pod budget is full; authenticate sooner',
        'rate_limited'
      );
      this.unpend(session);
      return null;
    }
    return 'too many unauthenticated inspect sockets on this pod';
  }

  private unpend(session: InspectSession): void {
    const address = this.pending.get(session);
    if (address === undefined) return;
    this.pending.delete(session);
    this.pendingByAddress.add(address, -1);
  }
}
