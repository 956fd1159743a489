/**
 * Pre-request sockets: TCP connections that have not yet delivered a complete HTTP request (a
 * WebSocket upgrade or a plain request). Node bounds them only by its header timeout (60 s), and
 * they hold a file descriptor and a parser each while no per-address cap sees them (the room
 * transport counts a connection only once the upgrade is done).
 *
 * The gate counts them per remote address: a socket beyond `maxPerIp` pending sockets of its
 * address is destroyed at once, and a socket still pending after `timeoutMs` is destroyed. A socket
 * leaves the pending state when its request (upgrade or plain) arrives; what happens after that is
 * bounded elsewhere (the transport's per-address / per-org caps, Node's keep-alive timeout).
 */
import type { Socket } from 'node:net';

export interface SocketGateOptions {
  /** Pending (pre-request) sockets one address may hold (`COLLAB_MAX_PENDING_SOCKETS_PER_IP`). */
  maxPerIp: number;
  /** A socket that has not sent a complete request by then is destroyed (`COLLAB_PENDING_SOCKET_TIMEOUT_MS`). */
  timeoutMs: number;
  /** Called when a socket is refused or timed out (counted by the caller). */
  onRefused?(reason: 'per-ip' | 'timeout'): void;
}

interface Pending {
  ip: string;
  timer: NodeJS.Timeout;
}

export class SocketGate {
  private readonly perIp = new Map<string, number>();
  private readonly pending = new WeakMap<Socket, Pending>();

  constructor(private readonly opts: SocketGateOptions) {}

  /** Number of sockets pending right now (all addresses). */
  get size(): number {
    let n = 0;
    for (const c of this.perIp.values()) n += c;
    return n;
  }

  /** `server.on('connection')`: counts the socket, or destroys it when its address is over the cap. */
  readonly admit = (socket: Socket): void => {
    const ip = socket.remoteAddress ?? 'unknown';
    const count = (this.perIp.get(ip) ?? 0) + 1;
    if (count > this.opts.maxPerIp) {
      this.opts.onRefused?.('per-ip');
      socket.destroy();
      return;
    }
    this.perIp.set(ip, count);
    const timer = setTimeout(() => {
      this.opts.onRefused?.('timeout');
      socket.destroy();
    }, this.opts.timeoutMs);
    timer.unref();
    this.pending.set(socket, { ip, timer });
    socket.once('close', () => this.release(socket));
  };

  /** The socket delivered its request (upgrade or plain): it no longer counts as pending. */
  release(socket: Socket): void {
    const p = this.pending.get(socket);
    if (!p) return;
    this.pending.delete(socket);
    clearTimeout(p.timer);
    const n = (this.perIp.get(p.ip) ?? 1) - 1;
    if (n <= 0) this.perIp.delete(p.ip);
    else this.perIp.set(p.ip, n);
  }
}
