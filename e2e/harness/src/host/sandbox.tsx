// Sandbox mode (npm run sandbox): the suite's datasource against a running pod, its editors, and every panel
// fed live by its own query — a mini dashboard for plugin developers without Grafana.
import type { DataQuery } from '@grafana/data';

import type { SandboxConfig } from '../shared/types.js';
import type { DatasourceDriver } from './datasources.js';
import { renderPanel, setPanelFrames } from './panels.js';
import type { HarnessTemplateSrv } from './services.js';

function heading(text: string): void {
  const h = document.createElement('h3');
  h.textContent = text;
  h.style.margin = '16px 8px 0';
  document.getElementById('reactRoot')?.appendChild(h);
}

export async function runSandbox(
  config: SandboxConfig,
  datasources: DatasourceDriver,
  templateSrv: HarnessTemplateSrv
): Promise<void> {
  templateSrv.setVariables(config.variables);
  const { uid } = await datasources.create(config.datasource);
  heading(`Datasource ${config.datasource.name} (${config.datasource.type})`);
  datasources.renderConfigEditor(uid, 'dark');
  const result = await datasources.testDatasource(uid);
  console.info('[sandbox] testDatasource', result);
  for (const panel of config.panels) {
    heading(`${panel.title} — ${JSON.stringify(panel.query)}`);
    datasources.renderQueryEditor(uid, { refId: 'A', ...panel.query } as DataQuery, 'dark', {
      range: config.range,
    });
    const info = await renderPanel(
      panel.pluginId,
      { width: panel.width ?? 900, height: panel.height ?? 420, timeRange: config.range, state: 'Loading' },
      templateSrv
    );
    datasources.startQuery(
      uid,
      [{ refId: 'A', ...panel.query } as DataQuery],
      { range: config.range },
      (res) =>
        setPanelFrames(
          info.key,
          res.data ?? [],
          res.state === undefined ? 'Done' : (String(res.state) as never),
          templateSrv
        )
    );
  }
}
