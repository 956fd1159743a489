/**
 * Grafana's own panel option and field-config types (@grafana/schema, the
 * version the plugins build against), loosened so enum members can be written
 * as their string values and every member is optional. Typing the dashboards
 * against them makes a misspelt or misplaced option a compile error.
 */
import type { FieldConfig as CoreFieldConfig } from '@grafana/schema';
import type { Options as BarGaugeOptions } from '@grafana/schema/dist/esm/raw/composable/bargauge/panelcfg/x/BarGaugePanelCfg_types.gen';
import type { Options as GaugeOptions } from '@grafana/schema/dist/esm/raw/composable/gauge/panelcfg/x/GaugePanelCfg_types.gen';
import type {
  FieldConfig as HeatmapFieldConfig,
  Options as HeatmapOptions,
} from '@grafana/schema/dist/esm/raw/composable/heatmap/panelcfg/x/HeatmapPanelCfg_types.gen';
import type { Options as LogsOptions } from '@grafana/schema/dist/esm/raw/composable/logs/panelcfg/x/LogsPanelCfg_types.gen';
import type {
  FieldConfig as TableFieldConfig,
  Options as TableOptions,
} from '@grafana/schema/dist/esm/raw/composable/table/panelcfg/x/TablePanelCfg_types.gen';
import type { Options as StatOptions } from '@grafana/schema/dist/esm/raw/composable/stat/panelcfg/x/StatPanelCfg_types.gen';
import type {
  FieldConfig as TimeSeriesFieldConfig,
  Options as TimeSeriesOptions,
} from '@grafana/schema/dist/esm/raw/composable/timeseries/panelcfg/x/TimeSeriesPanelCfg_types.gen';

/** Deep-optional, with string enums accepted as their literal values. */
export type Loose<T> = T extends string
  ? `${T}`
  : T extends number | boolean | null | undefined
    ? T
    : T extends readonly (infer U)[]
      ? readonly Loose<U>[]
      : T extends object
        ? { [K in keyof T]?: Loose<T[K]> }
        : T;

/** Core panels whose options and custom field config we type-check. */
export interface PanelKinds {
  heatmap: { options: HeatmapOptions; custom: HeatmapFieldConfig };
  timeseries: { options: TimeSeriesOptions; custom: TimeSeriesFieldConfig };
  stat: { options: StatOptions; custom: never };
  gauge: { options: GaugeOptions; custom: never };
  bargauge: { options: BarGaugeOptions; custom: never };
  logs: { options: LogsOptions; custom: never };
  table: { options: TableOptions; custom: TableFieldConfig };
}

export type FieldDefaults<Custom> = Loose<Omit<CoreFieldConfig, 'custom'>> & { custom?: Loose<Custom> };

export type OptionsOf<T extends string> = T extends keyof PanelKinds
  ? Loose<PanelKinds[T]['options']>
  : never;
export type CustomOf<T extends string> = T extends keyof PanelKinds ? PanelKinds[T]['custom'] : never;

export type { TimeSeriesFieldConfig };
