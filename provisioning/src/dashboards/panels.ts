/**
 * Shared panel builders: the panels the dashboards write again and again (stats, gauges, time series,
 * histogram percentiles, alert lists, logs) with one definition each. They return a `PanelSpec` for
 * `Layout.add`; the keys are in the order Grafana's JSON had them, so generated dashboards stay stable.
 */
import { DS, type DsRef } from '../datasources.js';
import { ALERT_LIST_INSTANCE_FILTER } from '../grafana-alerting.js';
import {
  TOOLTIP,
  fieldConfig,
  prom,
  timeseriesDefaults,
  type JsonObject,
  type PanelSpec,
  type PromTarget,
  type Target,
} from './common.js';
import type { FieldDefaults, OptionsOf, TimeSeriesFieldConfig } from './grafana-types.js';

/** The last non-null value of every series (stats and gauges). */
export const REDUCE_LAST = { calcs: ['lastNotNull'], fields: '', values: false } as const;
/** A one-line legend under the graph. */
export const LIST_LEGEND = { displayMode: 'list', placement: 'bottom', showLegend: true } as const;
/** An instant query (stats, tables): one value per series, now. */
export const INSTANT = { instant: true, range: false } as const;
/** The percentiles the latency panels draw. */
export const QUANTILES = [0.5, 0.95, 0.99] as const;

/** What every builder takes: where the panel sits and what it queries. */
export interface PanelBase {
  title: string;
  description?: string;
  w: number;
  h: number;
  targets: Omit<Target, 'refId'>[];
}

/** Absolute thresholds: the base colour, then `[color, from]` steps in ascending order. */
export function thresholds(base: string, ...steps: Array<readonly [string, number]>) {
  return {
    mode: 'absolute',
    steps: [{ color: base, value: null }, ...steps.map(([color, value]) => ({ color, value }))],
  } as const;
}

/** `histogram_quantile(q, sum by (le[, by]) (rate(<metric>_bucket{<selector>}[$__rate_interval])))`. */
export function histogramQuantile(q: number, metric: string, selector: string, by?: string): string {
  return `histogram_quantile(${q}, sum by (${by ? `le, ${by}` : 'le'}) (rate(${metric}_bucket{${selector}}[$__rate_interval])))`;
}

/** One target per percentile in `QUANTILES`, legends `<legendPrefix>p50` … `p99`. */
export function quantileTargets(
  metric: string,
  selector: string,
  opts: { by?: string; legendPrefix?: string; extra?: Partial<PromTarget> } = {}
): Omit<PromTarget, 'refId'>[] {
  return QUANTILES.map((q) =>
    prom(
      histogramQuantile(q, metric, selector, opts.by),
      `${opts.legendPrefix ?? ''}p${Math.round(q * 100)}`,
      opts.extra
    )
  );
}

/** A Prometheus stat of the last value; `options` are added after the reducer, in the order given. */
export function statPanel(
  p: PanelBase & { defaults: FieldDefaults<never>; options: Omit<OptionsOf<'stat'>, 'reduceOptions'> }
): PanelSpec<'stat'> {
  return {
    type: 'stat',
    title: p.title,
    description: p.description,
    w: p.w,
    h: p.h,
    datasource: DS.prometheus,
    targets: p.targets,
    fieldConfig: fieldConfig(p.defaults),
    options: { reduceOptions: REDUCE_LAST, ...p.options },
  };
}

/** A Prometheus gauge of the last value with threshold markers. */
export function gaugePanel(
  p: PanelBase & { defaults: FieldDefaults<never>; transformations?: JsonObject[] }
): PanelSpec<'gauge'> {
  return {
    type: 'gauge',
    title: p.title,
    description: p.description,
    w: p.w,
    h: p.h,
    datasource: DS.prometheus,
    targets: p.targets,
    transformations: p.transformations,
    fieldConfig: fieldConfig(p.defaults),
    options: { reduceOptions: REDUCE_LAST, showThresholdMarkers: true },
  };
}

/** A time series in `unit` (line, no points; `defaults` add to `timeseriesDefaults`), shared tooltip. */
export function timeseriesPanel(
  p: PanelBase & {
    unit: string;
    defaults?: FieldDefaults<TimeSeriesFieldConfig>;
    legend?: OptionsOf<'timeseries'>['legend'];
    datasource?: DsRef;
  }
): PanelSpec<'timeseries'> {
  return {
    type: 'timeseries',
    title: p.title,
    description: p.description,
    w: p.w,
    h: p.h,
    datasource: p.datasource ?? DS.prometheus,
    targets: p.targets,
    fieldConfig: fieldConfig(timeseriesDefaults(p.unit, p.defaults)),
    options: { legend: p.legend ?? LIST_LEGEND, tooltip: TOOLTIP },
  };
}

/** The provisioned CollabBlocks alert rules (every state), newest first. */
export function alertListPanel(p: { title: string; w: number; h: number }): PanelSpec<'alertlist'> {
  return {
    type: 'alertlist',
    title: p.title,
    w: p.w,
    h: p.h,
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
  };
}

/** A newest-first logs panel with details on click. */
export function logsPanel(
  p: PanelBase & { datasource: DsRef; showLabels: boolean; wrapLogMessage: boolean }
): PanelSpec<'logs'> {
  return {
    type: 'logs',
    title: p.title,
    description: p.description,
    w: p.w,
    h: p.h,
    datasource: p.datasource,
    targets: p.targets,
    options: {
      showTime: true,
      showLabels: p.showLabels,
      wrapLogMessage: p.wrapLogMessage,
      sortOrder: 'Descending',
      enableLogDetails: true,
      dedupStrategy: 'none',
    },
  };
}
