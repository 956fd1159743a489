/**
 * Admission to `/inspect`: the WebSocket upgrade, the token-in-URL refusal, and the caps — sockets
 * still authenticating have their own small budget (each lives at most the auth deadline), and
 * authenticated sessions count against the session cap at their first successful auth.
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
  /** Sockets still authenticating on this host. */
  maxUnauthenticated: number;
}

export const DEFAULT_ADMISSION: AdmissionLimits = { maxSessions: 500, maxUnauthenticated: 64 };

export class SessionAdmission {
  private readonly wss: WebSocketServer;
  private readonly sessions = new Set<InspectSession>();
  /** Sessions past their first auth (the `maxSessions` cap); the others are authenticating. */
  private readonly admitted = new Set<InspectSession>();
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
      // Sockets still authenticating have their own small cap (they live at most the 2 s auth
      // timeout), so idle sockets cannot lock inspectors out of the session cap.
      if (this.sessions.size - this.admitted.size >= this.limits.maxUnauthenticated) {
        ws.close(CloseCode.RATE_LIMITED, 'too many unauthenticated inspect sockets on this pod');
        return;
      }
      this.sessions.add(this.open(ws));
    });
  }

  /** First successful auth of a session: false refuses it (over the session cap). */
  admit(session: InspectSession): boolean {
    if (this.closing || this.admitted.size >= this.limits.maxSessions) return false;
    this.admitted.add(session);
    if (session.org) this.metrics.sessions.inc({ org: session.org });
    return true;
  }

  /** The session's socket closed. */
  release(session: InspectSession): void {
    this.sessions.delete(session);
    if (this.admitted.delete(session) && session.org) this.metrics.sessions.dec({ org: session.org });
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const s of [...this.sessions]) s.close(CloseCode.GOING_AWAY, 'pod shutting down');
    await new Promise<void>((r) => this.wss.close(() => r()));
  }
}
