/**
 * Pseudonyms the inspect streams show instead of ids: `c_…` for a connection, `a_…` for an
 * awareness client without a local connection (relayed from another instance). Keyed by the
 * host's secret, so every instance of a deployment computes the same ones.
 */
import { createHmac } from 'node:crypto';

const MAX_CACHED = 50_000;

export class Pseudonyms {
  private readonly key: Buffer;
  private readonly conns = new Map<string, string>();

  constructor(secret: Uint8Array) {
    this.key = createHmac('sha256', Buffer.from(secret)).update('inspect-pseudonyms').digest();
  }

  /** The pseudonym of a connection id (cached until the connection ends). */
  conn(connId: string): string {
    let p = this.conns.get(connId);
    if (p === undefined) {
      p = 'c_' + createHmac('sha256', this.key).update(connId).digest('base64url').slice(0, 8);
      if (this.conns.size > MAX_CACHED) this.conns.clear();
      this.conns.set(connId, p);
    }
    return p;
  }

  /** The connection ended: its cached pseudonym goes. */
  forgetConn(connId: string): void {
    this.conns.delete(connId);
  }

  /** The pseudonym of an awareness client of an org (when no local connection owns it). */
  client(org: string, clientId: number): string {
    return (
      'a_' + createHmac('sha256', this.key).update(`${org}:${clientId}`).digest('base64url').slice(0, 10)
    );
  }
}
