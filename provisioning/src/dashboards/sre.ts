/** SRE Internal dashboard (design 4.2): pods, runtime, cross-pod fan-out, storage, lag, alerts. */
import { JOB } from '../slo.js';
import { LEGEND_TABLE, Layout, dashboard, prom, promQueryVariable, type JsonObject } from './common.js';
import {
  alertListPanel,
  histogramQuantile,
  quantileTargets,
  statPanel,
  thresholds,
  timeseriesPanel,
} from './panels.js';

const P = 'pod=~"$pod"';

export function sreDashboard(): JsonObject {
  const l = new Layout();

  l.row('Pods');
  l.add(
    statPanel({
      title: 'Pods up',
      w: 6,
      h: 5,
      targets: [prom(`up{job="${JOB}", ${P}}`, '{{pod}}')],
      defaults: {
        mappings: [
          {
            type: 'value',
            options: { '0': { text: 'DOWN', color: 'red' }, '1': { text: 'UP', color: 'green' } },
          },
        ],
        thresholds: thresholds('red', ['green', 1]),
      },
      options: { colorMode: 'background', graphMode: 'none' },
    })
  );
  for (const [title, expr, legend] of [
    ['Rooms loaded', `sum by (pod) (collab_rooms_loaded{${P}})`, '{{pod}}'],
    ['Connections', `sum by (pod) (collab_active_connections{${P}})`, '{{pod}}'],
    ['Inspect sessions', `sum(inspect_sessions{${P}}) or vector(0)`, 'sessions'],
  ] as const) {
    l.add(
      statPanel({
        title,
        w: 6,
        h: 5,
        targets: [prom(expr, legend)],
        defaults: { unit: 'short', decimals: 0 },
        options: { graphMode: 'area' },
      })
    );
  }
  l.add(
    timeseriesPanel({
      title: 'Pod CPU',
      w: 12,
      h: 8,
      targets: [
        prom(`cpu_usage{${P}}`, '{{pod}} cpu_usage'),
        prom(`rate(process_cpu_seconds_total{job="${JOB}", ${P}}[$__rate_interval])`, '{{pod}} process'),
      ],
      unit: 'percentunit',
      defaults: { min: 0 },
    })
  );
  l.add(
    timeseriesPanel({
      title: 'Pod memory',
      w: 12,
      h: 8,
      targets: [
        prom(`mem_usage{${P}}`, '{{pod}} mem_usage'),
        prom(`process_resident_memory_bytes{job="${JOB}", ${P}}`, '{{pod}} rss'),
      ],
      unit: 'bytes',
      defaults: { min: 0 },
    })
  );

  l.row('Runtime');
  l.add(
    timeseriesPanel({
      title: 'GC pauses (time spent per second)',
      w: 12,
      h: 8,
      targets: [
        prom(
          `sum by (pod, kind) (rate(nodejs_gc_duration_seconds_sum{job="${JOB}", ${P}}[$__rate_interval]))`,
          '{{pod}} {{kind}}'
        ),
      ],
      unit: 'percentunit',
      defaults: { min: 0, custom: { stacking: { mode: 'normal', group: 'A' } } },
      legend: LEGEND_TABLE,
    })
  );
  l.add(
    timeseriesPanel({
      title: 'Event-loop lag',
      w: 12,
      h: 8,
      targets: [
        prom(`nodejs_eventloop_lag_p99_seconds{job="${JOB}", ${P}}`, '{{pod}} p99'),
        prom(`nodejs_eventloop_lag_seconds{job="${JOB}", ${P}}`, '{{pod}} last'),
      ],
      unit: 's',
      defaults: { min: 0 },
    })
  );

  l.row('Cross-pod fan-out');
  l.add(
    timeseriesPanel({
      title: 'Cross-pod fan-out lag',
      description:
        'Time from an update being accepted on one pod to it being applied on another (Redis pub/sub).',
      w: 12,
      h: 8,
      targets: quantileTargets('collab_crosspod_lag_ms', P, { by: 'pod', legendPrefix: '{{pod}} ' }),
      unit: 'ms',
      defaults: { min: 0 },
    })
  );
  l.add(
    timeseriesPanel({
      title: 'Redis / PostgreSQL errors',
      w: 12,
      h: 8,
      targets: [
        prom(`sum(rate(collab_redis_errors_total{${P}}[$__rate_interval])) or vector(0)`, 'redis'),
        prom(`sum(rate(collab_pg_errors_total{${P}}[$__rate_interval])) or vector(0)`, 'postgres'),
      ],
      unit: 'reqps',
      defaults: { min: 0 },
    })
  );

  l.row('Storage and ops lag');
  l.add(
    timeseriesPanel({
      title: 'Storage write latency',
      w: 12,
      h: 8,
      targets: quantileTargets('storage_write_latency_ms', P, {
        by: 'backend',
        legendPrefix: '{{backend}} ',
      }),
      unit: 'ms',
      defaults: { min: 0 },
    })
  );
  l.add(
    timeseriesPanel({
      title: 'Ops lag (SLO < 200, alert > 500)',
      w: 12,
      h: 8,
      targets: [
        prom(`max by (org) (collab_ops_lag{${P}})`, '{{org}} lag'),
        prom(`sum by (org) (collab_ops_pending_durable{${P}})`, '{{org}} pending durable'),
        prom(`sum by (org) (collab_ops_pending_compaction{${P}})`, '{{org}} pending compaction'),
      ],
      unit: 'short',
      defaults: {
        min: 0,
        thresholds: thresholds('green', ['orange', 200], ['red', 500]),
        custom: { thresholdsStyle: { mode: 'line' } },
      },
      legend: LEGEND_TABLE,
    })
  );
  l.add(
    timeseriesPanel({
      title: 'Inspect bridge',
      w: 12,
      h: 8,
      targets: [
        prom(histogramQuantile(0.95, 'inspect_diff_latency_ms', P), 'diff latency p95 (ms)'),
        prom(
          `sum by (stream) (rate(inspect_dropped_messages_total{${P}}[$__rate_interval])) or on() label_replace(vector(0), "stream", "none", "", "")`,
          'dropped/s {{stream}}'
        ),
      ],
      unit: 'short',
      defaults: { min: 0 },
    })
  );
  l.add(alertListPanel({ title: 'CollabBlocks alerts', w: 12, h: 8 }));

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
