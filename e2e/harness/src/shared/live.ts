// The harness's Grafana Live socket: what the host page's GrafanaLiveSrv (host/live.ts) and the host server
// (server/live/liveSocket.ts) say to each other over one WebSocket per page. Grafana speaks Centrifuge on
// /api/live/ws; the harness keeps only what a datasource's Live streams need: subscribe to a channel (admitted
// by the plugin's SubscribeStream with the viewer's role), the channel's packets (the JSON RunStream sent,
// forwarded byte for byte as Grafana Live forwards them), unsubscribe.

export const LIVE_SOCKET_PATH = '/api/live/ws';

/** Subscriptions one page may hold at once (more is refused, as Grafana bounds a client's subscriptions). */
export const MAX_LIVE_SUBSCRIPTIONS = 512;

export type LiveClientMessage =
  { type: 'subscribe'; id: number; channel: string } | { type: 'unsubscribe'; id: number };

/** SubscribeStream's status, or the harness's refusal before the plugin was asked. */
export type LiveSubscribeStatus = 'OK' | 'NOT_FOUND' | 'PERMISSION_DENIED' | 'ERROR';

export type LiveServerMessage =
  | { type: 'subscribed'; id: number; status: LiveSubscribeStatus; message?: string }
  /**
   * `data`: the packet's JSON (a data frame JSON: schema and/or data), or SubscribeStream's initial data (the
   * first message). A RunStream that fails is restarted and one that returns simply sends nothing more: as in
   * Grafana, the viewer is not told either.
   */
  | { type: 'message'; id: number; data: unknown };
