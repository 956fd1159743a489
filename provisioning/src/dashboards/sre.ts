/** SRE Internal dashboard (design 4.2): pods, runtime, cross-pod fan-out, storage, lag, alerts. */
import { DS } from '../datasources.js';
import { ALERT_LIST_INSTANCE_FILTER } from '../grafana-alerting.js';
import { JOB } from '../slo.js';
import {
  LEGEND_TABLE,
  Layout,
  TOOLTIP,
  dashboard,
  fieldConfig,
  prom,
  promQueryVariable,
  timeseriesDefaults,
  type JsonObject,
} from './common.js';

const P = 'pod=~"$pod"';
const LIST_LEGEND = { displayMode: 'list', placement: 'bottom', showLegend: true } as const;

export function sreDashboard(): JsonObject {
  const l = new Layout();

  l.row('Pods');
  l.add({
    type: 'stat',
    title: 'Pods up',
    w: 6,
    h: 5,
    datasource: DS.prometheus,
    targets: [prom(`up{job="${JOB}", ${P}}`, '{{pod}}')],
    fieldConfig: fieldConfig({
      mappings: [
        {
          type: 'value',
          options: { '0': { text: 'DOWN', color: 'red' }, '1': { text: 'UP', color: 'green' } },
        },
      ],
      thresholds: {
        mode: 'absolute',
        steps: [
          { color: 'red', value: null },
          { color: 'green', value: 1 },
        ],
      },
    }),
    options: {
      reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
      colorMode: 'background',
      graphMode: 'none',
    },
  });
  l.add({
    type: 'stat',
    title: 'Rooms loaded',
    w: 6,
    h: 5,
    datasource: DS.prometheus,
    targets: [prom(`sum by (pod) (collab_rooms_loaded{${P}})`, '{{pod}}')],
    fieldConfig: fieldConfig({ unit: 'short', decimals: 0 }),
    options: { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, graphMode: 'area' },
  });
  l.add({
    type: 'stat',
    title: 'Connections',
    w: 6,
    h: 5,
    datasource: DS.prometheus,
    targets: [prom(`sum by (pod) (collab_active_connections{${P}})`, '{{pod}}')],
    fieldConfig: fieldConfig({ unit: 'short', decimals: 0 }),
    options: { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, graphMode: 'area' },
  });
  l.add({
    type: 'stat',
    title: 'Inspect sessions',
    w: 6,
    h: 5,
    datasource: DS.prometheus,
    targets: [prom(`sum(inspect_sessions{${P}}) or vector(0)`, 'sessions')],
    fieldConfig: fieldConfig({ unit: 'short', decimals: 0 }),
    options: { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, graphMode: 'area' },
  });
  l.add({
    type: 'timeseries',
    title: 'Pod CPU',
    w: 12,
    h: 8,
    datasource: DS.prometheus,
    targets: [
      prom(`cpu_usage{${P}}`, '{{pod}} cpu_usage'),
      prom(`rate(process_cpu_seconds_total{job="${JOB}", ${P}}[$__rate_interval])`, '{{pod}} process'),
    ],
    fieldConfig: fieldConfig(timeseriesDefaults('percentunit', { min: 0 })),
    options: { legend: LIST_LEGEND, tooltip: TOOLTIP },
  });
  l.add({
    type: 'timeseries',
    title: 'Pod memory',
    w: 12,
    h: 8,
    datasource: DS.prometheus,
    targets: [
      prom(`mem_usage{${P}}`, '{{pod}} mem_usage'),
      prom(`process_resident_memory_bytes{job="${JOB}", ${P}}`, '{{pod}} rss'),
    ],
    fieldConfig: fieldConfig(timeseriesDefaults('bytes', { min: 0 })),
    options: { legend: LIST_LEGEND, tooltip: TOOLTIP },
  });

  l.row('Runtime');
  l.add({
    type: 'timeseries',
    title: 'GC pauses (time spent per second)',
    w: 12,
    h: 8,
    datasource: DS.prometheus,
    targets: [
      prom(
        `sum by (pod, kind) (rate(nodejs_gc_duration_seconds_sum{job="${JOB}", ${P}}[$__rate_interval]))`,
        '{{pod}} {{kind}}'
      ),
    ],
    fieldConfig: fieldConfig(
      timeseriesDefaults('percentunit', { min: 0, custom: { stacking: { mode: 'normal', group: 'A' } } })
    ),
    options: { legend: LEGEND_TABLE, tooltip: TOOLTIP },
  });
  l.add({
    type: 'timeseries',
    title: 'Event-loop lag',
    w: 12,
    h: 8,
    datasource: DS.prometheus,
    targets: [
      prom(`nodejs_eventloop_lag_p99_seconds{job="${JOB}", ${P}}`, '{{pod}} p99'),
      prom(`nodejs_eventloop_lag_seconds{job="${JOB}", ${P}}`, '{{pod}} last'),
    ],
    fieldConfig: fieldConfig(timeseriesDefaults('s', { min: 0 })),
    options: { legend: LIST_LEGEND, tooltip: TOOLTIP },
  });

  l.row('Cross-pod fan-out');
  l.add({
    type: 'timeseries',
    title: 'Cross-pod fan-out lag',
    description:
      'Time from an update being accepted on one pod to it being applied on another (Redis pub/sub).',
    w: 12,
    h: 8,
    datasource: DS.prometheus,
    targets: ([0.5, 0.95, 0.99] as const).map((q) =>
      prom(
        `histogram_quantile(${q}, sum by (le, pod) (rate(collab_crosspod_lag_ms_bucket{${P}}[$__rate_interval])))`,
        `{{pod}} p${Math.round(q * 100)}`
      )
    ),
    fieldConfig: fieldConfig(timeseriesDefaults('ms', { min: 0 })),
    options: { legend: LIST_LEGEND, tooltip: TOOLTIP },
  });
  l.add({
    type: 'timeseries',
    title: 'Redis / PostgreSQL errors',
    w: 12,
    h: 8,
    datasource: DS.prometheus,
    targets: [
      prom(`sum(rate(collab_redis_errors_total{${P}}[$__rate_interval])) or vector(0)`, 'redis'),
      prom(`sum(rate(collab_pg_errors_total{${P}}[$__rate_interval])) or vector(0)`, 'postgres'),
    ],
    fieldConfig: fieldConfig(timeseriesDefaults('reqps', { min: 0 })),
    options: { legend: LIST_LEGEND, tooltip: TOOLTIP },
  });

  l.row('Storage and ops lag');
  l.add({
    type: 'timeseries',
    title: 'Storage write latency',
    w: 12,
    h: 8,
    datasource: DS.prometheus,
    targets: ([0.5, 0.95, 0.99] as const).map((q) =>
      prom(
        `histogram_quantile(${q}, sum by (le, backend) (rate(storage_write_latency_ms_bucket{${P}}[$__rate_interval])))`,
        `{{backend}} p${Math.round(q * 100)}`
      )
    ),
    fieldConfig: fieldConfig(timeseriesDefaults('ms', { min: 0 })),
    options: { legend: LIST_LEGEND, tooltip: TOOLTIP },
  });
  l.add({
    type: 'timeseries',
    title: 'Ops lag (SLO < 200, alert > 500)',
    w: 12,
    h: 8,
    datasource: DS.prometheus,
    targets: [
      prom(`max by (org) (collab_ops_lag{${P}})`, '{{org}} lag'),
      prom(`sum by (org) (collab_ops_pending_durable{${P}})`, '{{org}} pending durable'),
      prom(`sum by (org) (collab_ops_pending_compaction{${P}})`, '{{org}} pending compaction'),
    ],
    fieldConfig: fieldConfig(
      timeseriesDefaults('short', {
        min: 0,
        thresholds: {
          mode: 'absolute',
          steps: [
            { color: 'green', value: null },
            { color: 'orange', value: 200 },
            { color: 'red', value: 500 },
          ],
        },
        custom: { thresholdsStyle: { mode: 'line' } },
      })
    ),
    options: { legend: LEGEND_TABLE, tooltip: TOOLTIP },
  });
  l.add({
    type: 'timeseries',
    title: 'Inspect bridge',
    w: 12,
    h: 8,
    datasource: DS.prometheus,
    targets: [
      prom(
        `histogram_quantile(0.95, sum by (le) (rate(inspect_diff_latency_ms_bucket{${P}}[$__rate_interval])))`,
        'diff latency p95 (ms)'
      ),
      prom(
        `sum by (stream) (rate(inspect_dropped_messages_total{${P}}[$__rate_interval])) or on() label_replace(vector(0), "stream", "none", "", "")`,
        'dropped/s {{stream}}'
      ),
    ],
    fieldConfig: fieldConfig(timeseriesDefaults('short', { min: 0 })),
    options: { legend: LIST_LEGEND, tooltip: TOOLTIP },
  });
  l.add({
    type: 'alertlist',
    title: 'CollabBlocks alerts',
    w: 12,
    h: 8,
    datasource: DS.prometheus,
    targets: [],
    options: {
      viewMode: 'list',
      groupMode: 'default',
      groupBy: [],
      maxItems: 20,
      sortOrder: 1,
      dashboardAlerts: false,
      alertName: '',
      alertInstanceLabelFilter: ALERT_LIST_INSTANCE_FILTER,
      stateFilter: { firing: true, pending: true, noData: true, normal: true, error: true },
    },
  });

  return dashboard({
    uid: 'collab-sre',
    title: 'CollabBlocks / SRE Internal',
    description:
      'Pod resources, Node.js runtime, cross-pod fan-out, storage, ops lag and alerts (design 4.2).',
    tags: ['collabblocks', 'sre'],
    panels: l.panels,
    variables: [
      promQueryVariable('pod', 'Pod', `label_values(up{job="${JOB}"}, pod)`, {
        multi: true,
        includeAll: true,
        allValue: '.+',
      }),
    ],
  });
}
