// Renders a panel plugin the way a dashboard does: PanelPlugin from module.js, options = builder defaults +
// given options, field config with standard defaults applied through applyFieldOverrides, realistic PanelProps.
import { type ComponentType } from 'react';
import { merge } from 'lodash';
import {
  applyFieldOverrides,
  type DataFrame,
  EventBusSrv,
  type FieldConfigSource,
  LoadingState,
  type PanelData,
  PanelPlugin,
  type PanelPluginMeta,
  type PanelProps,
  type TimeRange,
} from '@grafana/data';
import { PanelContextProvider } from '@grafana/ui';

import type { PanelRenderInfo, PanelSpec, ThemeMode } from '../shared/types.js';
import { hostConfig } from './boot.js';
import { frameFromJSON, timeRangeFromSpec } from './frames.js';
import { createMount, getMount, getTheme } from './mounts.js';
import type { HarnessTemplateSrv } from './services.js';
import { importPluginModule } from './systemjs.js';

interface PanelState {
  pluginId: string;
  plugin: PanelPlugin;
  spec: PanelSpec;
  options: Record<string, unknown>;
  fieldConfig: FieldConfigSource;
  optionChanges: Array<Record<string, unknown>>;
  timeRange: TimeRange;
  eventBus: EventBusSrv;
  renderCounter: number;
  id: number;
  /** Frames straight from a datasource (sandbox); take precedence over spec.frames. */
  liveFrames?: DataFrame[];
}

const panels = new Map<string, PanelState>();
let panelIds = 0;

export async function loadPanelPlugin(pluginId: string): Promise<PanelPlugin> {
  const meta = hostConfig.plugins[pluginId];
  if (!meta) throw new Error(`plugin ${pluginId} is not built or not found by the host server`);
  if (meta.type !== 'panel') throw new Error(`plugin ${pluginId} is a ${meta.type}, not a panel`);
  const mod = await importPluginModule(pluginId);
  const plugin = mod.plugin;
  if (!(plugin instanceof PanelPlugin)) {
    throw new Error(
      `${pluginId}/module.js does not export \`plugin\` as a PanelPlugin of the host's @grafana/data`
    );
  }
  plugin.meta = {
    ...(meta as unknown as PanelPluginMeta),
    module: `public/plugins/${pluginId}/module.js`,
    baseUrl: `public/plugins/${pluginId}`,
  };
  return plugin;
}

function defaultFieldConfig(plugin: PanelPlugin, given?: PanelSpec['fieldConfig']): FieldConfigSource {
  const defaults = plugin.fieldConfigDefaults;
  return {
    defaults: merge({}, defaults.defaults, given?.defaults ?? {}),
    overrides: (given?.overrides as FieldConfigSource['overrides'] | undefined) ?? defaults.overrides ?? [],
  };
}

function render(key: string, templateSrv: HarnessTemplateSrv): void {
  const state = panels.get(key);
  if (!state) throw new Error(`no panel ${key}`);
  const { plugin, spec } = state;
  const mode: ThemeMode = spec.theme ?? hostConfig.theme;
  const theme = getTheme(mode);
  const width = spec.width ?? 600;
  const height = spec.height ?? 300;
  const timeZone = spec.timeZone ?? 'utc';
  const replaceVariables = (value: string, scopedVars?: Parameters<HarnessTemplateSrv['replace']>[1]) =>
    templateSrv.replace(value, scopedVars);
  const frames = state.liveFrames ?? (spec.frames ?? []).map(frameFromJSON);
  const series = applyFieldOverrides({
    data: frames,
    fieldConfig: state.fieldConfig,
    fieldConfigRegistry: plugin.fieldConfigRegistry,
    replaceVariables,
    theme,
    timeZone,
  });
  const data: PanelData = {
    state: LoadingState[spec.state ?? 'Done'],
    series,
    timeRange: state.timeRange,
  };
  const props: PanelProps = {
    id: state.id,
    data,
    timeRange: state.timeRange,
    timeZone,
    options: state.options,
    fieldConfig: state.fieldConfig,
    transparent: false,
    width,
    height,
    renderCounter: state.renderCounter,
    title: spec.title ?? plugin.meta.name,
    eventBus: state.eventBus,
    onOptionsChange: (options: Record<string, unknown>) => {
      state.optionChanges.push(options);
      state.options = options;
      state.renderCounter += 1;
      render(key, templateSrv);
    },
    onFieldConfigChange: (config: FieldConfigSource) => {
      state.fieldConfig = config;
      state.renderCounter += 1;
      render(key, templateSrv);
    },
    replaceVariables,
    onChangeTimeRange: (range) => {
      state.timeRange = timeRangeFromSpec({ from: range.from, to: range.to });
      state.renderCounter += 1;
      render(key, templateSrv);
    },
  };
  const Panel = plugin.panel as ComponentType<PanelProps> | null;
  if (!Panel) throw new Error(`${state.pluginId} has no panel component`);
  const mount = getMount(key);
  mount.container.style.width = `${width}px`;
  mount.container.style.height = `${height}px`;
  mount.render(
    <PanelContextProvider value={{ eventsScope: 'global', eventBus: state.eventBus }}>
      <div data-harness-panel={key} style={{ width, height, position: 'relative', overflow: 'hidden' }}>
        <Panel {...props} />
      </div>
    </PanelContextProvider>,
    mode
  );
}

function info(key: string): PanelRenderInfo {
  const state = panels.get(key);
  if (!state) throw new Error(`no panel ${key}`);
  return {
    key,
    selector: `[data-harness-panel="${key}"]`,
    options: JSON.parse(JSON.stringify(state.options)) as Record<string, unknown>,
    optionChanges: JSON.parse(JSON.stringify(state.optionChanges)) as Array<Record<string, unknown>>,
  };
}

export async function renderPanel(
  pluginId: string,
  spec: PanelSpec,
  templateSrv: HarnessTemplateSrv
): Promise<PanelRenderInfo> {
  const plugin = await loadPanelPlugin(pluginId);
  const mount = createMount('panel', { width: spec.width ?? 600, height: spec.height ?? 300 });
  panelIds += 1;
  const timeRange = timeRangeFromSpec(spec.timeRange);
  templateSrv.updateTimeRange(timeRange);
  panels.set(mount.key, {
    pluginId,
    plugin,
    spec,
    options: merge({}, plugin.defaults, spec.options ?? {}),
    fieldConfig: defaultFieldConfig(plugin, spec.fieldConfig),
    optionChanges: [],
    timeRange,
    eventBus: new EventBusSrv(),
    renderCounter: 0,
    id: panelIds,
  });
  render(mount.key, templateSrv);
  return info(mount.key);
}

/** Re-renders with changed props (new frames, size, theme, options merged over the current ones). */
export function updatePanel(
  key: string,
  change: PanelSpec,
  templateSrv: HarnessTemplateSrv
): PanelRenderInfo {
  const state = panels.get(key);
  if (!state) throw new Error(`no panel ${key}`);
  state.spec = { ...state.spec, ...change };
  if (change.options) state.options = merge({}, state.options, change.options);
  if (change.fieldConfig) state.fieldConfig = defaultFieldConfig(state.plugin, change.fieldConfig);
  if (change.timeRange) state.timeRange = timeRangeFromSpec(change.timeRange);
  state.renderCounter += 1;
  render(key, templateSrv);
  return info(key);
}

/** Feeds DataFrames from a live query into a panel (sandbox mode). */
export function setPanelFrames(
  key: string,
  frames: DataFrame[],
  state: PanelSpec['state'],
  templateSrv: HarnessTemplateSrv
): void {
  const panel = panels.get(key);
  if (!panel) throw new Error(`no panel ${key}`);
  panel.liveFrames = frames;
  panel.spec = { ...panel.spec, ...(state ? { state } : {}) };
  panel.renderCounter += 1;
  render(key, templateSrv);
}

export function panelInfo(key: string): PanelRenderInfo {
  return info(key);
}

export function unmountPanel(key: string): void {
  getMount(key).unmount();
  panels.delete(key);
}
