/**
 * Self-metrics of the inspect bridge, registered into the pod's registry
 * (`PodMetrics.registry`, which carries the `pod` default label) or into an
 * own registry when none is given.
 */
import { Counter, Gauge, Histogram, Registry, type RegistryContentType } from 'prom-client';

export interface InspectMetrics {
  readonly registry: Registry<RegistryContentType>;
  sessions: Gauge<'org'>;
  dropped: Counter<'org' | 'stream'>;
  diffLatency: Histogram;
}

const DROPPED_NAME = 'inspect_dropped_messages_total';

export function createInspectMetrics(registry?: Registry<RegistryContentType>): InspectMetrics {
  const reg = registry ?? new Registry<RegistryContentType>();
  const registers = [reg];
  const existing = reg.getSingleMetric('inspect_sessions');
  if (existing) reg.removeSingleMetric('inspect_sessions');
  for (const n of [DROPPED_NAME, 'inspect_dropped_messages', 'inspect_diff_latency_ms']) {
    if (reg.getSingleMetric(n)) reg.removeSingleMetric(n);
  }
  const sessions = new Gauge({
    name: 'inspect_sessions',
    help: 'Authenticated inspect (devtools) WebSocket sessions per org.',
    labelNames: ['org'] as const,
    registers,
  });
  const dropped = new Counter({
    name: DROPPED_NAME,
    help: 'Inspect messages dropped for slow subscribers (backpressure), per org and stream.',
    labelNames: ['org', 'stream'] as const,
    registers,
    collect() {
      // prom-client strips `_total` in place when rendering OpenMetrics (and re-appends it
      // to samples); restore it for the Prometheus text format.
      const openMetrics = reg.contentType === Registry.OPENMETRICS_CONTENT_TYPE;
      (this as unknown as { name: string }).name = openMetrics ? 'inspect_dropped_messages' : DROPPED_NAME;
    },
  });
  const diffLatency = new Histogram({
    name: 'inspect_diff_latency_ms',
    help: 'Update applied on the pod → tree patch / update summary enqueued for inspect subscribers (ms).',
    buckets: [0.25, 0.5, 1, 2, 5, 10, 25, 50, 100, 250, 1000],
    registers,
  });
  return { registry: reg, sessions, dropped, diffLatency };
}
