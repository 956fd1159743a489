/** SLOs dashboard: per SLO the target, the 30-day SLI, error budget remaining and burn rates. */
import { DS } from '../datasources.js';
import { ALERT_LIST_INSTANCE_FILTER } from '../grafana-alerting.js';
import {
  BURN_PAIRS,
  OBJECTIVE_RECORD,
  PRESENCE_P95,
  SLOS,
  SLO_WINDOWS,
  errorRatioRecord,
  type SloWindow,
} from '../slo.js';
import {
  Layout,
  TOOLTIP,
  dashboard,
  fieldConfig,
  prom,
  timeseriesDefaults,
  type JsonObject,
} from './common.js';

const STAT_OPTS = {
  reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
  graphMode: 'none',
  colorMode: 'value',
} as const;

/** Every window a burn-rate alert reads (both windows of every pair), shortest first. */
export const BURN_WINDOWS: readonly SloWindow[] = SLO_WINDOWS.filter((w) =>
  [...BURN_PAIRS.fast, ...BURN_PAIRS.slow].some((p) => p.long === w || p.short === w)
);

export function slosDashboard(): JsonObject {
  const l = new Layout();
  for (const slo of SLOS) {
    const sel = `{slo="${slo.id}"}`;
    l.row(`${slo.title} — objective ${Number((slo.objective * 100).toPrecision(6))} %`);
    l.add({
      type: 'stat',
      title: 'Target',
      description: `SLI: ${slo.sli}.`,
      w: 4,
      h: 6,
      datasource: DS.prometheus,
      targets: [prom(`${OBJECTIVE_RECORD}${sel}`, 'objective', { instant: true, range: false })],
      fieldConfig: fieldConfig({ unit: 'percentunit', decimals: 3 }),
      options: STAT_OPTS,
    });
    l.add({
      type: 'stat',
      title: 'SLI (30 days)',
      w: 4,
      h: 6,
      datasource: DS.prometheus,
      targets: [prom(`1 - ${errorRatioRecord('30d')}${sel}`, 'SLI 30d')],
      fieldConfig: fieldConfig({
        unit: 'percentunit',
        decimals: 3,
        thresholds: {
          mode: 'absolute',
          steps: [
            { color: 'red', value: null },
            { color: 'green', value: slo.objective },
          ],
        },
      }),
      options: STAT_OPTS,
    });
    l.add({
      type: 'gauge',
      title: 'Error budget remaining (30 days)',
      w: 4,
      h: 6,
      datasource: DS.prometheus,
      targets: [
        prom(
          `1 - (${errorRatioRecord('30d')}${sel} / on(slo) (1 - ${OBJECTIVE_RECORD}${sel}))`,
          'budget remaining'
        ),
      ],
      fieldConfig: fieldConfig({
        unit: 'percentunit',
        min: 0,
        max: 1,
        thresholds: {
          mode: 'absolute',
          steps: [
            { color: 'red', value: null },
            { color: 'orange', value: 0.25 },
            { color: 'green', value: 0.5 },
          ],
        },
      }),
      options: {
        reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
        showThresholdMarkers: true,
      },
    });
    const factors = [...BURN_PAIRS.fast, ...BURN_PAIRS.slow];
    l.add({
      type: 'timeseries',
      title: 'Burn rate (1 = budget lasts exactly 30 days)',
      description: `Page when 1h and 5m burn > ${factors[0]!.factor}× or 6h and 30m > ${factors[1]!.factor}×; ticket when 1d and 2h > ${factors[2]!.factor}× or 3d and 6h > ${factors[3]!.factor}×.`,
      w: 12,
      h: 6,
      datasource: DS.prometheus,
      targets: BURN_WINDOWS.map((w) =>
        prom(`${errorRatioRecord(w)}${sel} / on(slo) (1 - ${OBJECTIVE_RECORD}${sel})`, `burn ${w}`)
      ),
      fieldConfig: fieldConfig(
        timeseriesDefaults('x', {
          min: 0,
          thresholds: {
            mode: 'absolute',
            steps: [
              { color: 'green', value: null },
              { color: 'orange', value: 1 },
              { color: 'red', value: 14.4 },
            ],
          },
          custom: { thresholdsStyle: { mode: 'line' }, scaleDistribution: { type: 'log', log: 10 } },
        })
      ),
      options: { legend: { displayMode: 'list', placement: 'right', showLegend: true }, tooltip: TOOLTIP },
    });
    if (slo.id === 'presence') {
      l.add({
        type: 'timeseries',
        title: 'Presence RTT p95, 5 minutes (alert > 60 ms)',
        w: 24,
        h: 6,
        datasource: DS.prometheus,
        targets: [prom(PRESENCE_P95, 'p95 5m')],
        fieldConfig: fieldConfig(
          timeseriesDefaults('ms', {
            min: 0,
            thresholds: {
              mode: 'absolute',
              steps: [
                { color: 'green', value: null },
                { color: 'orange', value: 40 },
                { color: 'red', value: 60 },
              ],
            },
            custom: { thresholdsStyle: { mode: 'line' } },
          })
        ),
        options: { legend: { displayMode: 'list', placement: 'bottom', showLegend: true }, tooltip: TOOLTIP },
      });
    }
  }
  l.row('Alerts');
  l.add({
    type: 'alertlist',
    title: 'SLO alerts',
    w: 24,
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
    uid: 'collab-slos',
    title: 'CollabBlocks / SLOs',
    description:
      'Targets, 30-day SLIs, error budgets and multi-window burn rates from the Prometheus recording rules.',
    tags: ['collabblocks', 'slo'],
    panels: l.panels,
    time: { from: 'now-24h', to: 'now' },
    variables: [],
  });
}
