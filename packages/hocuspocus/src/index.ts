/**
 * @collabblocks/hocuspocus — watch an existing Hocuspocus server with the CollabBlocks Grafana suite:
 * `new CollabMonitor({...})` in `Server.configure({ extensions })` serves the collab metrics taxonomy.
 */
export { CollabMonitor, type CollabMonitorOptions } from './extension.js';
export type { MetricsOptions } from './metrics/hostMetrics.js';
export { defaultRoomName, type MappedRoom, type RoomNameMapper } from './rooms.js';
export { MemoryUpdateLog, type MemoryUpdateLogOptions, type UpdateLog } from './history/memoryLog.js';
