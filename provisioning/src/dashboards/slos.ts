/** SLOs dashboard: per SLO the target, the 30-day SLI, error budget remaining and burn rates. */
import {
  BURN_PAIRS,
  OBJECTIVE_RECORD,
  PRESENCE_P95,
  SLOS,
  SLO_WINDOWS,
  errorRatioRecord,
  type SloWindow,
} from '../slo.js';
import { Layout, dashboard, prom, type JsonObject } from './common.js';
import {
  INSTANT,
  LIST_LEGEND,
  alertListPanel,
  gaugePanel,
  statPanel,
  thresholds,
  timeseriesPanel,
} from './panels.js';

const STAT_OPTS = { graphMode: 'none', colorMode: 'value' } as const;

/** Every window a burn-rate alert reads (both windows of every pair), shortest first. */
export const BURN_WINDOWS: readonly SloWindow[] = SLO_WINDOWS.filter((w) =>
  [...BURN_PAIRS.fast, ...BURN_PAIRS.slow].some((p) => p.long === w || p.short === w)
);

export function slosDashboard(): JsonObject {
  const l = new Layout();
  for (const slo of SLOS) {
    const sel = `{slo="${slo.id}"}`;
    l.row(`${slo.title} — objective ${Number((slo.objective * 100).toPrecision(6))} %`);
    l.add(
      statPanel({
        title: 'Target',
        description: `SLI: ${slo.sli}.`,
        w: 4,
        h: 6,
        targets: [prom(`${OBJECTIVE_RECORD}${sel}`, 'objective', INSTANT)],
        defaults: { unit: 'percentunit', decimals: 3 },
        options: STAT_OPTS,
      })
    );
    l.add(
      statPanel({
        title: 'SLI (30 days)',
        w: 4,
        h: 6,
        targets: [prom(`1 - ${errorRatioRecord('30d')}${sel}`, 'SLI 30d')],
        defaults: {
          unit: 'percentunit',
          decimals: 3,
          thresholds: thresholds('red', ['green', slo.objective]),
        },
        options: STAT_OPTS,
      })
    );
    l.add(
      gaugePanel({
        title: 'Error budget remaining (30 days)',
        w: 4,
        h: 6,
        targets: [
          prom(
            `1 - (${errorRatioRecord('30d')}${sel} / on(slo) (1 - ${OBJECTIVE_RECORD}${sel}))`,
            'budget remaining'
          ),
        ],
        defaults: {
          unit: 'percentunit',
          min: 0,
          max: 1,
          thresholds: thresholds('red', ['orange', 0.25], ['green', 0.5]),
        },
      })
    );
    const factors = [...BURN_PAIRS.fast, ...BURN_PAIRS.slow];
    l.add(
      timeseriesPanel({
        title: 'Burn rate (1 = budget lasts exactly 30 days)',
        description: `Page when 1h and 5m burn > ${factors[0]!.factor}× or 6h and 30m > ${factors[1]!.factor}×; ticket when 1d and 2h > ${factors[2]!.factor}× or 3d and 6h > ${factors[3]!.factor}×.`,
        w: 12,
        h: 6,
        targets: BURN_WINDOWS.map((w) =>
          prom(`${errorRatioRecord(w)}${sel} / on(slo) (1 - ${OBJECTIVE_RECORD}${sel})`, `burn ${w}`)
        ),
        unit: 'x',
        defaults: {
          min: 0,
          thresholds: thresholds('green', ['orange', 1], ['red', 14.4]),
          custom: { thresholdsStyle: { mode: 'line' }, scaleDistribution: { type: 'log', log: 10 } },
        },
        legend: { ...LIST_LEGEND, placement: 'right' },
      })
    );
    if (slo.id === 'presence') {
      l.add(
        timeseriesPanel({
          title: 'Presence RTT p95, 5 minutes (alert > 60 ms)',
          w: 24,
          h: 6,
          targets: [prom(PRESENCE_P95, 'p95 5m')],
          unit: 'ms',
          defaults: {
            min: 0,
            thresholds: thresholds('green', ['orange', 40], ['red', 60]),
            custom: { thresholdsStyle: { mode: 'line' } },
          },
        })
      );
    }
  }
  l.row('Alerts');
  l.add(alertListPanel({ title: 'SLO alerts', w: 24, h: 8 }));

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
