// Imported FIRST by the host bundle: @grafana/runtime reads window.grafanaBootData when it is evaluated.
import type { HostConfig } from '../shared/types.js';

function readHostConfig(): HostConfig {
  const el = document.getElementById('harness-config');
  if (!el?.textContent) throw new Error('harness host page is missing its #harness-config');
  return JSON.parse(el.textContent) as HostConfig;
}

export const hostConfig = readHostConfig();

// A sandbox dashboard honours Grafana's `theme` URL parameter (signed embed URLs carry one).
if (hostConfig.sandbox) {
  const theme = new URLSearchParams(window.location.search).get('theme');
  if (theme === 'light' || theme === 'dark') hostConfig.theme = theme;
}

const panels = Object.fromEntries(
  Object.values(hostConfig.plugins)
    .filter((p) => p.type === 'panel')
    .map((p) => [
      p.id,
      {
        ...p,
        module: `public/plugins/${p.id}/module.js`,
        baseUrl: `public/plugins/${p.id}`,
        sort: 100,
        skipDataQuery: false,
        hideFromList: false,
        angular: { detected: false, hideDeprecation: false },
        loadingStrategy: 'script',
      },
    ])
);

declare global {
  interface Window {
    grafanaBootData?: unknown;
    __grafana_public_path__?: string;
  }
}

window.grafanaBootData = {
  settings: {
    appUrl: `${window.location.origin}/`,
    appSubUrl: '',
    buildInfo: {
      version: hostConfig.grafanaVersion,
      commit: 'harness',
      env: 'production',
      edition: 'Open Source',
      latestVersion: '',
      hasUpdate: false,
      hideVersion: false,
    },
    featureToggles: { ...hostConfig.featureToggles },
    datasources: {},
    panels,
    apps: {},
    defaultDatasource: '',
    liveEnabled: true,
    exploreEnabled: true,
    unifiedAlertingEnabled: false,
    disableSanitizeHtml: false,
    anonymousEnabled: false,
    namespace: 'default',
  },
  user: {
    id: 1,
    uid: 'harness-user',
    login: 'harness',
    email: 'harness@localhost',
    name: 'Harness',
    orgId: 1,
    orgName: 'Main Org.',
    orgRole: hostConfig.role,
    orgCount: 1,
    isGrafanaAdmin: hostConfig.role === 'Admin',
    isSignedIn: true,
    hasEditPermissionInFolders: hostConfig.role !== 'Viewer',
    theme: hostConfig.theme,
    lightTheme: hostConfig.theme === 'light',
    timezone: 'utc',
    weekStart: 'monday',
    locale: 'en-US',
    language: 'en-US',
    regionalFormat: 'en-US',
    helpFlags1: 0,
    permissions: {},
  },
  navTree: [],
  assets: { dark: '', light: '' },
};
