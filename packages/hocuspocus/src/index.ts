/**
 * @collabblocks/hocuspocus — watch an existing Hocuspocus server with the CollabBlocks Grafana suite:
 * `new CollabMonitor({...})` in `Server.configure({ extensions })` serves the collab metrics taxonomy
 * and, with a `secret`, the `/inspect` bridge the datasource and panels read.
 */
export { CollabMonitor, type CollabMonitorOptions } from './extension.js';
export type { MetricsOptions } from './metrics/hostMetrics.js';
export { defaultRoomName, type MappedRoom, type RoomNameMapper } from './rooms.js';
export { MemoryUpdateLog, type MemoryUpdateLogOptions, type UpdateLog } from './history/memoryLog.js';
export type { ConnectionUser, UserOf } from './inspect/connections.js';
