/**
 * Wires cross-pod fan-out into a pod (called by `main.ts` when
 * `COLLAB_REDIS_URL` is set): registers the extension, attaches the room
 * registry, adds the `redis` readiness check (`degraded` while Redis is down:
 * the pod still serves its local clients, so it stays ready) and connects.
 */
import type { Registry, RegistryContentType } from 'prom-client';
import type { CollabExtension } from '../hooks/index.js';
import type { Logger } from '../observability/logger.js';
import type { Storage } from '../storage/types.js';
import { RedisCluster, type ClusterHost, type RedisClusterOptions } from './redisCluster.js';

/** The part of `CollabServer` the cluster needs. */
export interface ClusterCapableServer {
  readonly rooms: ClusterHost;
  readonly storage: Storage;
  readonly podView: {
    readonly pod: string;
    clusterConnections?: () => Promise<Map<string, Record<string, number>>>;
  };
  addExtension(ext: CollabExtension): void;
  readonly http: {
    addReadinessCheck(
      name: string,
      check: () => { status: 'ok' | 'degraded' | 'fail'; detail?: string }
    ): void;
  };
}

export interface StartClusterOptions extends Omit<
  RedisClusterOptions,
  'pod' | 'storage' | 'logger' | 'registry'
> {
  logger: Logger;
  registry?: Registry<RegistryContentType>;
}

export async function startCluster(
  server: ClusterCapableServer,
  opts: StartClusterOptions
): Promise<RedisCluster> {
  const cluster = new RedisCluster({
    ...opts,
    pod: server.podView.pod,
    storage: server.storage,
  });
  cluster.attach(server.rooms);
  server.addExtension(cluster);
  server.http.addReadinessCheck('redis', () => {
    const s = cluster.status();
    return s.degraded
      ? {
          status: 'degraded',
          detail: 'redis unreachable: serving local clients; cross-pod sync resumes on reconnect',
        }
      : { status: 'ok' };
  });
  server.podView.clusterConnections = () => cluster.connectionsByPod();
  await cluster.start();
  return cluster;
}
