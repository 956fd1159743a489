// Entry of the per-leg host bundle. Import order matters: boot (window.grafanaBootData) before anything that
// evaluates @grafana/runtime.
import { hostConfig } from './boot.js';

import { createRoot } from 'react-dom/client';
import * as grafanaData from '@grafana/data';
import type { DataQuery } from '@grafana/data';
import {
  config,
  type EchoSrv,
  setAppEvents,
  setBackendSrv,
  setDataSourceSrv,
  setEchoSrv,
  setGrafanaLiveSrv,
  setTemplateSrv,
} from '@grafana/runtime';
import { GlobalStyles } from '@grafana/ui';

import { initStandardEditors } from '../../../../plugins/.config/standard-editors.mjs';
import type {
  DatasourceInstanceInfo,
  OrgRole,
  PanelSpec,
  QueryOptions,
  TemplateVariables,
  ThemeMode,
} from '../shared/types.js';
import { DatasourceDriver } from './datasources.js';
import { getTheme, unmountAll } from './mounts.js';
import { panelInfo, renderPanel, unmountPanel, updatePanel } from './panels.js';
import { HarnessLiveSrv } from './live.js';
import { runSandbox } from './sandbox.js';
import { HarnessBackendSrv, HarnessDataSourceSrv, HarnessTemplateSrv } from './services.js';
import { initSystemJS, sharedModules } from './systemjs.js';

initStandardEditors(grafanaData);
initSystemJS();

const backendSrv = new HarnessBackendSrv();
const templateSrv = new HarnessTemplateSrv();
const dataSourceSrv = new HarnessDataSourceSrv();
setBackendSrv(backendSrv.asBackendSrv());
setTemplateSrv(templateSrv.asTemplateSrv());
setDataSourceSrv(dataSourceSrv.asDataSourceSrv());
// Grafana Live: backend datasources' `meta.channel` frames stream through the host server's live socket.
setGrafanaLiveSrv(new HarnessLiveSrv().asGrafanaLiveSrv());
// App-wide event bus (notifications, panel events) and a no-op analytics sink for reportInteraction().
setAppEvents(new grafanaData.EventBusSrv());
setEchoSrv({
  isEnabled: () => false,
  addBackend: () => undefined,
  addEvent: () => undefined,
  logDebug: () => undefined,
} as unknown as EchoSrv);
const datasources = new DatasourceDriver(dataSourceSrv, templateSrv);

// Page chrome: Grafana's global styles for the page theme.
const chrome = document.createElement('div');
document.body.prepend(chrome);
const chromeRoot = createRoot(chrome);
let pageTheme: ThemeMode = hostConfig.theme;
function drawChrome() {
  const theme = getTheme(pageTheme);
  document.body.className = `theme-${pageTheme}`;
  chromeRoot.render(
    <grafanaData.ThemeContext.Provider value={theme}>
      <GlobalStyles />
    </grafanaData.ThemeContext.Provider>
  );
}
drawChrome();

/** The in-page API the Node driver calls through page.evaluate. All arguments and results are JSON. */
const api = {
  leg: hostConfig.leg,
  sharedModuleNames: Object.keys(sharedModules),
  grafanaVersion: hostConfig.grafanaVersion,
  renderPanel: (pluginId: string, spec: PanelSpec) => renderPanel(pluginId, spec, templateSrv),
  updatePanel: (key: string, spec: PanelSpec) => updatePanel(key, spec, templateSrv),
  panelInfo: (key: string) => panelInfo(key),
  unmountPanel: (key: string) => unmountPanel(key),
  createDatasource: (info: DatasourceInstanceInfo) => datasources.create(info),
  startQuery: (uid: string, targets: DataQuery[], opts: QueryOptions) =>
    datasources.startQuery(uid, targets, opts),
  queryStatus: (id: string, since?: number) => datasources.queryStatus(id, since),
  stopQuery: (id: string) => datasources.stopQuery(id),
  testDatasource: (uid: string) => datasources.testDatasource(uid),
  metricFindQuery: (uid: string, query: unknown, opts: QueryOptions) =>
    datasources.metricFindQuery(uid, query, opts),
  runAnnotationQuery: (uid: string, annotation: Record<string, unknown>, opts: QueryOptions) =>
    datasources.runAnnotationQuery(uid, annotation, opts),
  renderConfigEditor: (uid: string, theme?: ThemeMode) =>
    datasources.renderConfigEditor(uid, theme ?? pageTheme),
  renderQueryEditor: (
    uid: string,
    query: DataQuery,
    theme?: ThemeMode,
    opts?: QueryOptions,
    kind?: 'query' | 'variable'
  ) => datasources.renderQueryEditor(uid, query, theme ?? pageTheme, opts ?? {}, kind),
  runVariableQuery: (uid: string, query: unknown, opts: QueryOptions) =>
    datasources.runVariableQuery(uid, query, opts),
  editorState: (key: string) => datasources.editor(key),
  setTemplateVariables: (vars: TemplateVariables) => templateSrv.setVariables(vars),
  interpolate: (text: string) => templateSrv.replace(text),
  setUserRole: (role: OrgRole) => {
    config.bootData.user.orgRole = role as grafanaData.OrgRole;
    config.bootData.user.isGrafanaAdmin = role === 'Admin';
  },
  setPageTheme: (mode: ThemeMode) => {
    pageTheme = mode;
    drawChrome();
  },
  reset: () => {
    datasources.stopAllQueries();
    unmountAll();
  },
};

export type HarnessPageApi = typeof api;

declare global {
  interface Window {
    __harness?: HarnessPageApi;
  }
}

window.__harness = api;
document.body.dataset.harnessReady = 'true';

if (hostConfig.sandbox) {
  runSandbox(hostConfig.sandbox, datasources, templateSrv, pageTheme).catch((err: unknown) =>
    console.error('[sandbox] failed to start', err)
  );
}
