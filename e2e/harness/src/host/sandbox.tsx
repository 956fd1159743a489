// Sandbox mode (npm run sandbox): the suite's datasource against a running pod, its editors, and every panel
// fed live by its own query — a mini dashboard for plugin developers without Grafana. Opened through the
// sandbox's embed gateway it is an org's Org Admin dashboard: no editors, `$org` fixed, and the URL's
// `var-<name>`, `from`, `to` (and `panelId` on /d-solo/) applied as Grafana applies them.
import type { DataFrame, DataQuery } from '@grafana/data';

import type { SandboxConfig, TemplateVariables, TimeRangeSpec } from '../shared/types.js';
import type { DatasourceDriver } from './datasources.js';
import { createMount, type Mount } from './mounts.js';
import { renderPanel, setPanelFrames } from './panels.js';
import type { HarnessTemplateSrv } from './services.js';

function heading(text: string, level: 'h2' | 'h3' = 'h3'): void {
  const h = document.createElement(level);
  h.textContent = text;
  h.style.margin = '16px 8px 0';
  document.getElementById('reactRoot')?.appendChild(h);
}

/** The page URL's variables and range over the config's defaults (fixed variables stay as configured). */
export function fromUrl(
  config: SandboxConfig,
  search: string
): { variables: TemplateVariables; range: TimeRangeSpec; panelId?: number } {
  const params = new URLSearchParams(search);
  const fixed = new Set(config.fixedVariables ?? []);
  const variables: TemplateVariables = { ...config.variables };
  for (const [k, v] of params) {
    const name = k.startsWith('var-') ? k.slice(4) : '';
    if (name && !fixed.has(name)) variables[name] = v;
  }
  const range = {
    from: params.get('from') ?? config.range.from,
    to: params.get('to') ?? config.range.to,
  };
  const panelId = Number(params.get('panelId'));
  return { variables, range, ...(Number.isInteger(panelId) && panelId > 0 ? { panelId } : {}) };
}

/** Variables a query names (`$x`, `${x}`) that have no value: the panel waits for them. */
function unsetVariables(query: Record<string, unknown>, variables: TemplateVariables): string[] {
  const names = [...JSON.stringify(query).matchAll(/\$\{?([A-Za-z_]\w*)/g)].map((m) => m[1] ?? '');
  return [...new Set(names)].filter((n) => !n.startsWith('__') && !variables[n]);
}

function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** The frames of a query as plain tables (the sandbox's stand-in for Grafana's table panel). */
function FramesTable({ frames, error }: { frames: DataFrame[]; error?: string }) {
  if (error) return <div data-sandbox-error="">{error}</div>;
  return (
    <>
      {frames.map((frame, i) => (
        <table
          key={i}
          data-sandbox-table={frame.name ?? ''}
          style={{ borderCollapse: 'collapse', width: '100%' }}
        >
          <thead>
            <tr>
              {frame.fields.map((f) => (
                <th key={f.name} style={{ textAlign: 'left', padding: '2px 8px' }}>
                  {f.name}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {Array.from({ length: frame.length }, (_, row) => (
              <tr key={row}>
                {frame.fields.map((f) => (
                  <td key={f.name} style={{ padding: '2px 8px' }}>
                    {cell(f.values[row])}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      ))}
    </>
  );
}

function startTable(
  mount: Mount,
  uid: string,
  query: DataQuery,
  range: TimeRangeSpec,
  datasources: DatasourceDriver,
  theme: 'dark' | 'light'
): void {
  mount.render(<FramesTable frames={[]} />, theme);
  datasources.startQuery(uid, [query], { range }, (res) => {
    const error = res.error?.message ?? res.errors?.[0]?.message;
    mount.render(<FramesTable frames={res.data ?? []} {...(error ? { error } : {})} />, theme);
  });
}

export async function runSandbox(
  config: SandboxConfig,
  datasources: DatasourceDriver,
  templateSrv: HarnessTemplateSrv,
  theme: 'dark' | 'light'
): Promise<void> {
  const url = fromUrl(config, window.location.search);
  const solo = window.location.pathname.startsWith('/d-solo/');
  templateSrv.setVariables(url.variables);
  const editors = config.editors !== false;
  const { uid } = await datasources.create(config.datasource);
  if (config.title && !solo) heading(config.title, 'h2');
  if (editors) {
    heading(`Datasource ${config.datasource.name} (${config.datasource.type})`);
    datasources.renderConfigEditor(uid, 'dark');
    const result = await datasources.testDatasource(uid);
    console.info('[sandbox] testDatasource', result);
  }
  const panels = solo ? config.panels.filter((p) => p.id === url.panelId) : config.panels;
  if (panels.length === 0) heading(solo ? `No panel ${url.panelId ?? ''} on this dashboard` : 'No panels');
  for (const panel of panels) {
    const query = { refId: 'A', ...panel.query } as DataQuery;
    heading(editors ? `${panel.title} — ${JSON.stringify(panel.query)}` : panel.title);
    const waiting = unsetVariables(panel.query, url.variables);
    if (waiting.length > 0) {
      heading(`Waiting for ${waiting.map((n) => `$${n}`).join(', ')} (set var-${waiting[0]} in the URL)`);
      continue;
    }
    if (editors) datasources.renderQueryEditor(uid, query, 'dark', { range: url.range });
    const size = { width: panel.width ?? 900, height: panel.height ?? 420 };
    if (panel.pluginId === 'table') {
      const mount = createMount('table', size);
      mount.container.style.overflow = 'auto';
      mount.container.dataset.sandboxPanel = panel.title;
      startTable(mount, uid, query, url.range, datasources, theme);
      continue;
    }
    const info = await renderPanel(
      panel.pluginId,
      { ...size, timeRange: url.range, state: 'Loading', theme },
      templateSrv
    );
    datasources.startQuery(uid, [query], { range: url.range }, (res) =>
      setPanelFrames(
        info.key,
        res.data ?? [],
        res.state === undefined ? 'Done' : (String(res.state) as never),
        templateSrv
      )
    );
  }
}
