/**
 * The part of the WebSocket API the stream client uses: the browser's
 * WebSocket and the `ws` package's both fit, so node tests can use a real
 * socket and Grafana a native one.
 */
export interface SocketLike {
  readonly readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export type SocketFactory = (url: string) => SocketLike;

export const SOCKET_OPEN = 1;

export const browserSocketFactory: SocketFactory = (url) => new WebSocket(url) as unknown as SocketLike;

/** `http://host:port/base` → `ws://host:port/base/inspect`. */
export function inspectSocketUrl(podUrl: string, wsPath: string): string {
  const u = new URL(podUrl);
  if (u.protocol === 'http:') u.protocol = 'ws:';
  else if (u.protocol === 'https:') u.protocol = 'wss:';
  else if (u.protocol !== 'ws:' && u.protocol !== 'wss:') {
    throw new Error(`pod URL must be http(s) or ws(s): ${podUrl}`);
  }
  u.pathname = `${u.pathname.replace(/\/+$/, '')}${wsPath}`;
  u.search = '';
  u.hash = '';
  return u.toString();
}
