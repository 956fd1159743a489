/**
 * Metric families the dashboards and rules may read: the pod's fixed names
 * (its issue), prom-client defaults, Prometheus' own `up`, and our recording
 * rules. `optional` families appear only when that feature runs (scale-out,
 * inspect bridge) or when the event happened (errors).
 */
export const POD_METRICS_REQUIRED = [
  'collab_active_connections',
  'crdt_ops_total',
  'presence_rtt_ms',
  'storage_op_rtt_ms',
  'cpu_usage',
  'mem_usage',
  'collab_storage_bytes',
  'collab_storage_quota_bytes',
  'collab_ops_lag',
  'collab_ops_pending_durable',
  'collab_ops_pending_compaction',
  'storage_write_latency_ms',
  'collab_rooms_loaded',
  'collab_messages_total',
  'collab_connections_total',
  'nodejs_eventloop_lag_seconds',
  'nodejs_eventloop_lag_p99_seconds',
  'nodejs_gc_duration_seconds',
  'process_cpu_seconds_total',
  'process_resident_memory_bytes',
] as const;

export const POD_METRICS_OPTIONAL = [
  'ws_errors_total',
  'collab_crosspod_lag_ms',
  'collab_redis_errors_total',
  'collab_pg_errors_total',
  'inspect_sessions',
  'inspect_dropped_messages_total',
  'inspect_diff_latency_ms',
] as const;

/**
 * Optional families that exist whenever the pods run as a cluster (Redis fan-out between pods sharing
 * PostgreSQL): the live test requires them, and data in the panels reading them, when it runs one.
 */
export const POD_METRICS_CLUSTER = [
  'collab_crosspod_lag_ms',
] as const satisfies readonly (typeof POD_METRICS_OPTIONAL)[number][];

/**
 * Families each pod reads from the storage all pods share (PostgreSQL): every pod exports the same
 * DB-wide figure per org, so an aggregation across pods must take one copy (`max by (org)`), not the
 * sum (which would count it once per pod).
 */
export const POD_METRICS_DB_WIDE = ['collab_storage_bytes', 'collab_storage_quota_bytes'] as const;

export const PROMETHEUS_SYNTHETIC = ['up'] as const;

export const KNOWN_POD_METRICS: ReadonlySet<string> = new Set<string>([
  ...POD_METRICS_REQUIRED,
  ...POD_METRICS_OPTIONAL,
]);
