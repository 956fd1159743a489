/**
 * Cross-pod metrics. Registered on the pod's registry when one is given
 * (observability's `PodMetrics.registry`, which adds the `pod` label), else on
 * a private registry so tests and benches can still read them.
 */
import { Counter, Gauge, Histogram, Registry, type RegistryContentType } from 'prom-client';

export const CROSSPOD_LAG_BUCKETS_MS = [0.5, 1, 2, 5, 10, 20, 50, 100, 250, 500, 1000, 5000];

export class ClusterMetrics {
  readonly registry: Registry<RegistryContentType>;
  readonly lag: Histogram;
  readonly redisErrors: Counter<'op'>;
  readonly messages: Counter<'type' | 'direction'>;
  readonly catchUpUpdates: Counter;
  readonly redisUp: Gauge;

  constructor(registry?: Registry<RegistryContentType>) {
    this.registry = registry ?? new Registry();
    const registers = [this.registry];
    this.lag = new Histogram({
      name: 'collab_crosspod_lag_ms',
      help: 'Cross-pod fan-out lag: publish on the writing pod to applied on this pod, milliseconds.',
      buckets: CROSSPOD_LAG_BUCKETS_MS,
      registers,
    });
    this.redisErrors = new Counter({
      name: 'collab_redis_errors_total',
      help: 'Redis errors (connection, publish, presence, lock) by operation.',
      labelNames: ['op'],
      registers,
    });
    this.messages = new Counter({
      name: 'collab_crosspod_messages_total',
      help: 'Cross-pod messages by type and direction (out = published, in = applied here).',
      labelNames: ['type', 'direction'],
      registers,
    });
    this.catchUpUpdates = new Counter({
      name: 'collab_crosspod_catchup_updates_total',
      help: 'Updates applied from storage because their pub/sub message was missed or late.',
      registers,
    });
    this.redisUp = new Gauge({
      name: 'collab_redis_up',
      help: '1 when both Redis connections (publish and subscribe) are ready, else 0.',
      registers,
    });
  }
}
