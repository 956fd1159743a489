/**
 * The inspect (devtools) stream protocol, version 1: one JSON text frame per
 * message over the pod's `/inspect` WebSocket, every message `{ v: 1, type, ... }`.
 * The pod (collab-server/src/inspect) and the Grafana datasource both import
 * these schemas; nothing else defines the wire format. See
 * collab-server/docs/INSPECT.md for the conversation and the guarantees.
 *
 * Conventions: times are epoch milliseconds; `id` is the client's request id
 * (echoed on the ack / error / response to that request); `sub` is the
 * subscription id the pod assigns in `subscribed`; rooms are `<org>/<room>`.
 */
export * from './constants.js';
export * from './token.js';
export * from './clientMessages.js';
export * from './payloads.js';
export * from './serverMessages.js';
export * from './parse.js';
