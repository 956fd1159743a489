/**
 * Cluster mode (`COLLAB_REDIS_URL` set): cross-pod fan-out through Redis.
 * Without it the pod runs alone (the default).
 */
export {
  RedisCluster,
  CLUSTER_UPDATE_ORIGIN,
  REMOTE_AWARENESS_ORIGIN,
  type ClusterHost,
  type ClusterRoom,
  type ClusterStatus,
  type CompactionGrant,
  type RedisClusterOptions,
} from './redisCluster.js';
export { ClusterMetrics, CROSSPOD_LAG_BUCKETS_MS } from './metrics.js';
export { SeqTracker } from './seqTracker.js';
export { acquireLock, type HeldLock } from './lock.js';
export { decodeMessage, encodeMessage, channelFor, type ClusterMessage } from './codec.js';
export { startCluster, type ClusterCapableServer, type StartClusterOptions } from './wire.js';
