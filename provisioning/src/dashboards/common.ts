/**
 * Small builders for Grafana dashboard JSON (schemaVersion 41). Only what our
 * dashboards use; every panel gets a datasource ref, gridPos and targets.
 */
import type { CollabQueryModel, CollabVariableQueryModel } from '@collabblocks/protocol';
import { DS, type DsRef } from '../datasources.js';
import type {
  CustomOf,
  FieldDefaults,
  OptionsOf,
  PanelKinds,
  TimeSeriesFieldConfig,
} from './grafana-types.js';

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json | undefined };
export type JsonObject = { [key: string]: Json | undefined };

export interface GridPos {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface PromTarget extends JsonObject {
  refId: string;
  expr: string;
  legendFormat?: string;
  format?: 'time_series' | 'heatmap' | 'table';
  instant?: boolean;
  range?: boolean;
  exemplar?: boolean;
}

export type Target = PromTarget | (CollabQueryModel & JsonObject);

export interface Panel extends JsonObject {
  id: number;
  type: string;
  title: string;
  gridPos: GridPos & JsonObject;
}

export const REFRESH = '5s';

export function prom(
  expr: string,
  legendFormat?: string,
  extra: Partial<PromTarget> = {}
): Omit<PromTarget, 'refId'> {
  return { expr, legendFormat, ...extra };
}

/** Assigns ids and refIds and lays panels out left to right, wrapping at 24 columns. */
export class Layout {
  private nextId = 1;
  private x = 0;
  private y = 0;
  private rowH = 0;
  readonly panels: Panel[] = [];

  row(title: string): void {
    this.newLine();
    this.panels.push({
      id: this.nextId++,
      type: 'row',
      title,
      collapsed: false,
      panels: [],
      gridPos: { x: 0, y: this.y, w: 24, h: 1 },
    });
    this.y += 1;
  }

  private newLine(): void {
    if (this.x > 0) {
      this.y += this.rowH;
      this.x = 0;
      this.rowH = 0;
    }
  }

  add<T extends string>(spec: PanelSpec<T>): Panel {
    const { w, h, targets, datasource, ...rest } = spec;
    if (this.x + w > 24) this.newLine();
    const panel: Panel = {
      ...(rest as unknown as JsonObject),
      type: spec.type,
      title: spec.title,
      id: this.nextId++,
      datasource: { ...datasource },
      gridPos: { x: this.x, y: this.y, w, h },
      targets: targets.map(
        (t, i) => ({ datasource: { ...datasource }, ...t, refId: String.fromCharCode(65 + i) }) as Json
      ),
    };
    this.panels.push(panel);
    this.x += w;
    this.rowH = Math.max(this.rowH, h);
    return panel;
  }
}

/** A panel: options and field config are checked against Grafana's schema for the core panels we use. */
export interface PanelSpec<T extends string> {
  type: T;
  title: string;
  description?: string;
  w: number;
  h: number;
  datasource: DsRef;
  targets: Omit<Target, 'refId'>[];
  options?: T extends keyof PanelKinds ? OptionsOf<T> : JsonObject;
  fieldConfig?: FieldConfigSpec<CustomOf<T>>;
  transformations?: JsonObject[];
  /** Relative time override (e.g. `24h`): the panel shows the last 24 h whatever the dashboard range. */
  timeFrom?: string;
  hideTimeOverride?: boolean;
}

export interface FieldConfigSpec<Custom> {
  defaults: FieldDefaults<Custom>;
  overrides: Json[];
}

export function fieldConfig<Custom = never>(
  defaults: FieldDefaults<Custom> = {},
  overrides: Json[] = []
): FieldConfigSpec<Custom> {
  return { defaults, overrides };
}

export function timeseriesDefaults(
  unit: string,
  extra: FieldDefaults<TimeSeriesFieldConfig> = {}
): FieldDefaults<TimeSeriesFieldConfig> {
  return {
    ...extra,
    unit,
    custom: {
      drawStyle: 'line',
      lineWidth: 1,
      fillOpacity: 10,
      showPoints: 'never',
      spanNulls: true,
      ...(extra.custom ?? {}),
    },
  };
}

export const LEGEND_TABLE = {
  displayMode: 'table',
  placement: 'right',
  showLegend: true,
  calcs: ['lastNotNull', 'max'],
} as const;
export const TOOLTIP = { mode: 'multi', sort: 'desc' } as const;

export function promQueryVariable(
  name: string,
  label: string,
  query: string,
  opts: { multi?: boolean; includeAll?: boolean; allValue?: string; regex?: string } = {}
): JsonObject {
  return {
    name,
    label,
    type: 'query',
    datasource: { ...DS.prometheus },
    query,
    definition: query,
    refresh: 2,
    sort: 1,
    multi: opts.multi ?? false,
    includeAll: opts.includeAll ?? false,
    allValue: opts.allValue,
    regex: opts.regex ?? '',
    current: opts.includeAll ? { text: 'All', value: '$__all' } : {},
    options: [],
    hide: 0,
  };
}

export function collabQueryVariable(
  name: string,
  label: string,
  query: CollabVariableQueryModel
): JsonObject {
  return {
    name,
    label,
    type: 'query',
    datasource: { ...DS.collab },
    query: { ...query, refId: `${name}-var` },
    definition: JSON.stringify(query),
    refresh: 2,
    sort: 1,
    multi: false,
    includeAll: false,
    current: {},
    options: [],
    hide: 0,
  };
}

export function customVariable(
  name: string,
  label: string,
  options: { text: string; value: string }[]
): JsonObject {
  const first = options[0];
  if (!first) throw new Error(`custom variable ${name} needs options`);
  return {
    name,
    label,
    type: 'custom',
    query: options.map((o) => `${o.text} : ${o.value}`).join(','),
    current: { text: first.text, value: first.value },
    options: options.map((o, i) => ({ text: o.text, value: o.value, selected: i === 0 })),
    multi: false,
    includeAll: false,
    hide: 0,
  };
}

export function dashboard(spec: {
  uid: string;
  title: string;
  description: string;
  tags: string[];
  panels: Panel[];
  variables: JsonObject[];
  time?: { from: string; to: string };
  refresh?: string;
  links?: Json[];
  /** Streaming dashboards: keep the time window moving instead of re-querying. */
  liveNow?: boolean;
}): JsonObject {
  return {
    uid: spec.uid,
    title: spec.title,
    description: spec.description,
    tags: spec.tags,
    editable: false,
    graphTooltip: 1,
    liveNow: spec.liveNow ?? false,
    refresh: spec.refresh ?? REFRESH,
    schemaVersion: 41,
    version: 1,
    timezone: 'browser',
    time: spec.time ?? { from: 'now-1h', to: 'now' },
    timepicker: { refresh_intervals: ['5s', '10s', '30s', '1m', '5m'] },
    templating: { list: spec.variables },
    annotations: {
      list: [
        {
          builtIn: 1,
          datasource: { type: 'grafana', uid: '-- Grafana --' },
          enable: true,
          hide: true,
          iconColor: 'rgba(0, 211, 255, 1)',
          name: 'Annotations & Alerts',
          type: 'dashboard',
        },
      ],
    },
    links: spec.links ?? [
      {
        title: 'CollabBlocks',
        type: 'dashboards',
        tags: ['collabblocks'],
        asDropdown: true,
        includeVars: false,
        keepTime: true,
      },
    ],
    panels: spec.panels,
  };
}

/** Link from a per-room series (labels org, room_id) into the DevTools dashboard. */
export const DEVTOOLS_ROOM_LINK = {
  title: 'Open room ${__field.labels.org}/${__field.labels.room_id} in DevTools',
  url: '/d/collab-devtools/collab-devtools?var-room=${__field.labels.org}%2F${__field.labels.room_id}&${__url_time_range}',
  targetBlank: false,
};

/**
 * The same link from a table row whose columns `org` and `room_id` hold the labels (a Prometheus
 * `format: table` query): series labels do not exist there, row values do.
 */
export const DEVTOOLS_ROOM_ROW_LINK = {
  title: 'Open room ${__data.fields.org}/${__data.fields.room_id} in DevTools',
  url: '/d/collab-devtools/collab-devtools?var-room=${__data.fields.org}%2F${__data.fields.room_id}&${__url_time_range}',
  targetBlank: false,
};
