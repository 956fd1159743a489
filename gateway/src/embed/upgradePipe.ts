/**
 * A WebSocket upgrade forwarded to an upstream as raw TCP: the request line and the given headers written
 * to `host:port`, the bytes already read (`head`) after them, then both sockets piped; either side closing
 * or failing closes both. Used by the embed gateway (to Grafana) and by the sandbox's pretend auth proxy.
 */
import net from 'node:net';
import type { OutgoingHttpHeaders } from 'node:http';
import type { Duplex } from 'node:stream';

export function pipeUpgrade(
  socket: Duplex,
  head: Buffer,
  target: { host: string; port: number },
  requestLine: string,
  headers: () => OutgoingHttpHeaders
): void {
  const upstream = net.connect(target.port, target.host, () => {
    const lines = [requestLine];
    for (const [k, v] of Object.entries(headers()))
      for (const one of Array.isArray(v) ? v : [v]) lines.push(`${k}: ${String(one)}`);
    upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
    if (head.length > 0) upstream.write(head);
    socket.pipe(upstream).pipe(socket);
  });
  const close = (): void => {
    socket.destroy();
    upstream.destroy();
  };
  upstream.on('error', close);
  socket.on('error', close);
  socket.on('close', close);
  upstream.on('close', close);
}
