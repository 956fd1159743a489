/** Org Admin dashboard (design 4.1): what an org's admin needs, scoped by `$org`. */
import { DS } from '../datasources.js';
import type { POD_METRICS_DB_WIDE } from '../metrics.js';
import { wsErrorRatio } from '../slo.js';
import {
  DEVTOOLS_ROOM_LINK,
  DEVTOOLS_ROOM_ROW_LINK,
  LEGEND_TABLE,
  Layout,
  customVariable,
  dashboard,
  fieldConfig,
  prom,
  promQueryVariable,
  type JsonObject,
} from './common.js';
import {
  INSTANT,
  REDUCE_LAST,
  gaugePanel,
  quantileTargets,
  statPanel,
  thresholds,
  timeseriesPanel,
} from './panels.js';

const O = 'org=~"$org"';

export const CONNECTIONS_HEATMAP = 'Connections heatmap by room (p95 per bucket, 24 h)';
export const ROOMS_TABLE = 'Rooms now (click a row to open it in DevTools)';
const TABLE_INSTANT = { format: 'table', ...INSTANT } as const;

/** One copy per org of a DB-wide family (`POD_METRICS_DB_WIDE`: every pod exports the same figure), never the sum. */
function dbWidePerOrg(metric: (typeof POD_METRICS_DB_WIDE)[number]): string {
  return `max by (org) (${metric}{${O}})`;
}

/**
 * Regexes on `le` selecting buckets up to a bound (numeric compare done textually). They accept both
 * `le="100"` (as exposed) and `le="100.0"` (Prometheus 3 normalises `le` to float form).
 */
export const BUCKET_ZOOM = [
  { text: 'all buckets', value: '.+' },
  { text: '≤ 100 ms', value: '([0-9]{1,2}([.][0-9]+)?|100([.]0)?)' },
  { text: '≤ 1 s', value: '([0-9]{1,3}([.][0-9]+)?|1000([.]0)?)' },
  { text: '≤ 10 s', value: '([0-9]{1,4}([.][0-9]+)?|10000([.]0)?)' },
];

export function orgAdminDashboard(): JsonObject {
  const l = new Layout();

  l.row('Connections');
  l.add(
    statPanel({
      title: 'Active connections',
      w: 4,
      h: 5,
      targets: [prom(`sum(collab_active_connections{${O}}) or vector(0)`, 'connections')],
      defaults: { unit: 'short', decimals: 0 },
      options: { graphMode: 'area' },
    })
  );
  l.add(
    statPanel({
      title: 'Connections p95 (24 h)',
      description:
        '95th percentile of the org’s concurrent connections over the last 24 hours (1-minute steps).',
      w: 4,
      h: 5,
      targets: [
        prom(
          `quantile_over_time(0.95, (sum(collab_active_connections{${O}}) or vector(0))[24h:1m])`,
          'p95 24h',
          INSTANT
        ),
      ],
      defaults: { unit: 'short', decimals: 1 },
      options: { graphMode: 'none' },
    })
  );
  l.add({
    type: 'heatmap',
    title: CONNECTIONS_HEATMAP,
    description:
      'One row per room (top 50, the rest folded into _other) over the last 24 hours, whatever the dashboard range. ' +
      'Each cell is the 95th percentile of the room’s concurrent connections within that time bucket ' +
      '($__interval, at least 5 minutes). To open a room in DevTools use the Rooms table or Ops/s by room.',
    w: 16,
    h: 10,
    timeFrom: '24h',
    datasource: DS.prometheus,
    targets: [
      prom(
        `quantile_over_time(0.95, (sum by (org, room_id) (collab_active_connections{${O}}))[$__interval:])`,
        '{{org}}/{{room_id}}',
        { interval: '5m' }
      ),
    ],
    fieldConfig: fieldConfig({ unit: 'short', decimals: 1 }),
    options: {
      calculate: false,
      yAxis: { axisPlacement: 'left' },
      rowsFrame: { layout: 'auto' },
      color: { mode: 'scheme', scheme: 'Oranges', scale: 'exponential', exponent: 0.5, steps: 64 },
      cellGap: 1,
      tooltip: { mode: 'single', yHistogram: false, showColorScale: true },
      legend: { show: true },
      exemplars: { color: 'rgba(255,0,255,0.7)' },
    },
  });
  l.add(
    timeseriesPanel({
      title: 'Connections p95 over 24 h (rolling)',
      w: 8,
      h: 8,
      targets: [
        prom(
          `quantile_over_time(0.95, (sum(collab_active_connections{${O}}) or vector(0))[24h:5m])`,
          'p95 24h'
        ),
        prom(`sum(collab_active_connections{${O}}) or vector(0)`, 'now'),
      ],
      unit: 'short',
    })
  );
  l.add({
    type: 'table',
    title: ROOMS_TABLE,
    description:
      'Concurrent connections and CRDT ops/s per room right now (top 50 rooms, the rest folded into _other). Click a row to open the room in DevTools.',
    w: 16,
    h: 8,
    datasource: DS.prometheus,
    targets: [
      prom(`sum by (org, room_id) (collab_active_connections{${O}})`, undefined, TABLE_INSTANT),
      prom(`sum by (org, room_id) (rate(crdt_ops_total{${O}}[$__rate_interval]))`, undefined, TABLE_INSTANT),
    ],
    transformations: [
      { id: 'merge', options: {} },
      {
        id: 'organize',
        options: {
          excludeByName: { Time: true },
          renameByName: { org: 'Org', room_id: 'Room', 'Value #A': 'Connections', 'Value #B': 'Ops/s' },
          indexByName: { org: 0, room_id: 1, 'Value #A': 2, 'Value #B': 3 },
        },
      },
    ],
    fieldConfig: fieldConfig({ links: [DEVTOOLS_ROOM_ROW_LINK] }, [
      { matcher: { id: 'byName', options: 'Connections' }, properties: [{ id: 'decimals', value: 0 }] },
      { matcher: { id: 'byName', options: 'Ops/s' }, properties: [{ id: 'unit', value: 'ops' }] },
    ]),
    options: {
      showHeader: true,
      cellHeight: 'sm',
      sortBy: [{ displayName: 'Connections', desc: true }],
    },
  });

  l.row('Operations');
  l.add(
    timeseriesPanel({
      title: 'Ops/s by room (stacked)',
      description:
        'CRDT operations applied per second, stacked by room. Click a series to open the room in DevTools.',
      w: 16,
      h: 9,
      targets: [
        prom(`sum by (org, room_id) (rate(crdt_ops_total{${O}}[$__rate_interval]))`, '{{org}}/{{room_id}}'),
      ],
      unit: 'ops',
      defaults: {
        custom: { stacking: { mode: 'normal', group: 'A' }, fillOpacity: 40 },
        links: [DEVTOOLS_ROOM_LINK],
      },
      legend: LEGEND_TABLE,
    })
  );
  l.add({
    type: 'bargauge',
    title: 'Ops/s by type',
    w: 8,
    h: 9,
    datasource: DS.prometheus,
    targets: [prom(`sum by (type) (rate(crdt_ops_total{${O}}[$__rate_interval]))`, '{{type}}')],
    fieldConfig: fieldConfig({ unit: 'ops', min: 0 }),
    options: {
      orientation: 'horizontal',
      displayMode: 'gradient',
      reduceOptions: REDUCE_LAST,
    },
  });

  l.row('Latency');
  for (const [metric, title] of [
    ['presence_rtt_ms', 'Presence RTT'],
    ['storage_op_rtt_ms', 'Storage op RTT'],
  ] as const) {
    l.add({
      type: 'heatmap',
      title: `${title} histogram ($bucket_zoom)`,
      description: 'Observations per bucket; pick the bucket zoom variable to focus on the low buckets.',
      w: 12,
      h: 9,
      datasource: DS.prometheus,
      targets: [
        prom(
          `sum by (le) (increase(${metric}_bucket{${O}, le=~"$bucket_zoom"}[$__rate_interval]))`,
          '{{le}}',
          {
            format: 'heatmap',
          }
        ),
      ],
      fieldConfig: fieldConfig({ unit: 'ms' }),
      options: {
        calculate: false,
        yAxis: { axisPlacement: 'left', unit: 'ms' },
        rowsFrame: { layout: 'le' },
        color: { mode: 'scheme', scheme: 'Spectral', scale: 'exponential', exponent: 0.5, steps: 64 },
        cellGap: 1,
        tooltip: { mode: 'single', yHistogram: true, showColorScale: true },
        legend: { show: true },
      },
    });
  }
  for (const [metric, title, exemplar] of [
    ['presence_rtt_ms', 'Presence RTT percentiles', false],
    ['storage_op_rtt_ms', 'Storage op RTT percentiles (exemplars → Tempo)', true],
  ] as const) {
    l.add(
      timeseriesPanel({
        title,
        w: 12,
        h: 8,
        targets: quantileTargets(metric, O, { extra: { exemplar } }),
        unit: 'ms',
      })
    );
  }

  l.row('Errors');
  l.add(
    timeseriesPanel({
      title: 'Error rate',
      description:
        'Failed WebSocket connections (refused, closed with a pod error code, dropped) per message received plus connection attempt — the error-rate SLI (SLO < 0.1 %).',
      w: 12,
      h: 8,
      targets: [prom(wsErrorRatio('$__rate_interval', O), 'error rate')],
      unit: 'percentunit',
      defaults: {
        min: 0,
        thresholds: thresholds('green', ['orange', 0.001], ['red', 0.005]),
        custom: { thresholdsStyle: { mode: 'line+area' } },
      },
    })
  );
  l.add(
    timeseriesPanel({
      title: 'WebSocket closes/errors by code',
      description:
        'Rate of error closes by WebSocket close code (4401 auth, 4403 forbidden, 1009 too big, …).',
      w: 12,
      h: 8,
      targets: [
        prom(
          `sum by (code) (rate(ws_errors_total{${O}}[$__rate_interval])) or on() label_replace(vector(0), "code", "none", "", "")`,
          '{{code}}'
        ),
      ],
      unit: 'reqps',
      defaults: { custom: { drawStyle: 'bars', stacking: { mode: 'normal', group: 'A' } } },
      legend: LEGEND_TABLE,
    })
  );

  l.row('Storage');
  l.add(
    gaugePanel({
      title: 'Storage used / quota',
      w: 8,
      h: 8,
      targets: [
        prom(
          `${dbWidePerOrg('collab_storage_bytes')} / ${dbWidePerOrg('collab_storage_quota_bytes')}`,
          '{{org}}'
        ),
      ],
      defaults: {
        unit: 'percentunit',
        min: 0,
        max: 1,
        thresholds: thresholds('green', ['orange', 0.8], ['red', 0.95]),
      },
    })
  );
  l.add(
    gaugePanel({
      title: 'Storage bytes (max = quota)',
      description:
        'Current bytes of the selected orgs; the gauge maximum is taken from the quota query (config from query results). Every pod reports the same shared-storage figures, so one copy per org is counted.',
      w: 8,
      h: 8,
      targets: [
        prom(`sum(${dbWidePerOrg('collab_storage_bytes')})`, 'Storage', INSTANT),
        prom(`sum(${dbWidePerOrg('collab_storage_quota_bytes')})`, 'Quota', INSTANT),
      ],
      transformations: [
        {
          id: 'configFromData',
          options: { configRefId: 'B', mappings: [{ fieldName: 'Quota', handlerKey: 'max' }] },
        },
      ],
      defaults: { unit: 'bytes', min: 0 },
    })
  );
  l.add(
    timeseriesPanel({
      title: 'Storage bytes and quota',
      w: 8,
      h: 8,
      targets: [
        prom(dbWidePerOrg('collab_storage_bytes'), '{{org}} used'),
        prom(dbWidePerOrg('collab_storage_quota_bytes'), '{{org}} quota'),
      ],
      unit: 'bytes',
      defaults: { min: 0 },
    })
  );

  return dashboard({
    uid: 'collab-org-admin',
    title: 'CollabBlocks / Org Admin',
    description: 'Connections, operations, latency, errors and storage of one or more orgs (design 4.1).',
    tags: ['collabblocks', 'org-admin'],
    panels: l.panels,
    time: { from: 'now-6h', to: 'now' },
    variables: [
      promQueryVariable('org', 'Org', 'label_values(collab_active_connections, org)', {
        multi: true,
        includeAll: true,
        allValue: '.+',
      }),
      customVariable('bucket_zoom', 'Bucket zoom', BUCKET_ZOOM),
    ],
  });
}
