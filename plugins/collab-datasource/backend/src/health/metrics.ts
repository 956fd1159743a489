/**
 * CollectMetrics: the backend's own figures in the Prometheus text format (Grafana exposes them at
 * /api/plugins/<id>/metrics): live channels running and refused, upstream inspect sockets per pod.
 */
import type { Instances } from '../pods/instance';
import type { Streams } from '../stream/streams';

const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

export function collectMetrics(
  instances: Instances,
  streams: Streams,
  counters: { queries: number; queryErrors: number }
): string {
  const lines = [
    '# HELP collab_backend_live_channels Grafana Live channels running (one RunStream each).',
    '# TYPE collab_backend_live_channels gauge',
    `collab_backend_live_channels ${streams.runningCount}`,
    '# HELP collab_backend_live_channels_max Live channels this process runs at most (more are refused).',
    '# TYPE collab_backend_live_channels_max gauge',
    `collab_backend_live_channels_max ${streams.maxChannels}`,
    '# HELP collab_backend_live_channels_refused_total Channel subscriptions and runs refused (scope, org, bound).',
    '# TYPE collab_backend_live_channels_refused_total counter',
    `collab_backend_live_channels_refused_total ${streams.stats.refused}`,
    '# HELP collab_backend_queries_total Queries answered by QueryData.',
    '# TYPE collab_backend_queries_total counter',
    `collab_backend_queries_total ${counters.queries}`,
    '# HELP collab_backend_query_errors_total Queries answered with an error.',
    '# TYPE collab_backend_query_errors_total counter',
    `collab_backend_query_errors_total ${counters.queryErrors}`,
    '# HELP collab_backend_upstream_sockets Inspect sockets open to each pod.',
    '# TYPE collab_backend_upstream_sockets gauge',
  ];
  const perPod = new Map<string, number>();
  for (const i of instances.all())
    for (const [pod, n] of i.openSockets()) perPod.set(pod, (perPod.get(pod) ?? 0) + n);
  for (const [pod, n] of perPod) lines.push(`collab_backend_upstream_sockets{pod="${esc(pod)}"} ${n}`);
  return `${lines.join('\n')}\n`;
}
