/**
 * Routes HTTP upgrade requests by path prefix. Registered prefixes (e.g.
 * `/inspect`) match the exact path or the prefix followed by `/`; anything
 * else goes to the fallback (the editing-client room endpoint).
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

export class UpgradeRegistry {
  private readonly handlers: Array<{ prefix: string; handler: UpgradeHandler }> = [];

  constructor(private readonly fallback: UpgradeHandler) {}

  register(pathPrefix: string, handler: UpgradeHandler): void {
    if (!pathPrefix.startsWith('/') || pathPrefix.length < 2) {
      throw new Error(`upgrade prefix must start with / and not be just "/": ${pathPrefix}`);
    }
    const prefix = pathPrefix.endsWith('/') ? pathPrefix.slice(0, -1) : pathPrefix;
    this.handlers.push({ prefix, handler });
    // Longest prefix first.
    this.handlers.sort((a, b) => b.prefix.length - a.prefix.length);
  }

  dispatch(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const path = (req.url ?? '/').split('?')[0] as string;
    for (const { prefix, handler } of this.handlers) {
      if (path === prefix || path.startsWith(prefix + '/')) {
        handler(req, socket, head);
        return;
      }
    }
    this.fallback(req, socket, head);
  }
}
