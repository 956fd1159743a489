// Grafana's plugin loader, reproduced: SystemJS with the AMD extra, the host's shared modules exposed under
// their bare names through an import map of `package:<name>` URLs, and plugins imported from
// public/plugins/<id>/module.js.
import 'systemjs/dist/system.js';
import 'systemjs/dist/extras/amd.js';

import * as emotionCss from '@emotion/css';
import * as emotionReact from '@emotion/react';
import * as grafanaData from '@grafana/data';
import * as grafanaRuntime from '@grafana/runtime';
import * as grafanaSchema from '@grafana/schema';
import * as grafanaUi from '@grafana/ui';
import * as grafanaI18n from '@grafana/i18n';
import * as d3 from 'd3';
import * as i18next from 'i18next';
import * as lodash from 'lodash';
import * as moment from 'moment';
import * as react from 'react';
import * as reactJsxRuntime from 'react/jsx-runtime';
import * as reactDom from 'react-dom';
import * as reactDomClient from 'react-dom/client';
import * as rxjs from 'rxjs';
import * as rxjsOperators from 'rxjs/operators';

interface SystemJSLike {
  set(id: string, module: Record<string, unknown>): void;
  addImportMap(map: { imports: Record<string, string> }): void;
  import(id: string): Promise<Record<string, unknown>>;
}

declare global {
  interface Window {
    System: SystemJSLike;
  }
}

/** Bare names plugins may import at runtime (a subset of the webpack externals list the harness can supply). */
export const sharedModules: Record<string, object> = {
  react,
  'react/jsx-runtime': reactJsxRuntime,
  // Production builds never emit jsx-dev-runtime calls, but the name is external: alias it like Grafana does.
  'react/jsx-dev-runtime': reactJsxRuntime,
  'react-dom': reactDom,
  'react-dom/client': reactDomClient,
  '@grafana/data': grafanaData,
  '@grafana/ui': grafanaUi,
  '@grafana/runtime': grafanaRuntime,
  '@grafana/schema': grafanaSchema,
  '@grafana/i18n': grafanaI18n,
  '@emotion/css': emotionCss,
  '@emotion/react': emotionReact,
  rxjs,
  'rxjs/operators': rxjsOperators,
  lodash,
  moment,
  i18next,
  d3,
};

function asSystemModule(ns: object): Record<string, unknown> {
  const record = ns as Record<string, unknown>;
  // CommonJS packages (react, lodash, moment) come through esbuild as a namespace with `default`;
  // AMD consumers get the whole module object, like Grafana's `__useDefault` wrapping.
  const hasDefault = 'default' in record && record.default !== undefined;
  return { ...record, default: hasDefault ? record.default : ns, __useDefault: hasDefault };
}

let initialised = false;

export function initSystemJS(): void {
  if (initialised) return;
  initialised = true;
  const imports: Record<string, string> = {};
  for (const [name, ns] of Object.entries(sharedModules)) {
    const id = `package:${name}`;
    window.System.set(id, asSystemModule(ns));
    imports[name] = id;
  }
  window.System.addImportMap({ imports });
}

const cache = new Map<string, Promise<Record<string, unknown>>>();

/** Imports a plugin's dist/module.js once (Grafana caches plugin modules too). */
export function importPluginModule(pluginId: string): Promise<Record<string, unknown>> {
  let pending = cache.get(pluginId);
  if (!pending) {
    pending = window.System.import(`${window.location.origin}/public/plugins/${pluginId}/module.js`);
    pending.catch(() => cache.delete(pluginId));
    cache.set(pluginId, pending);
  }
  return pending;
}
