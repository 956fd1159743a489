/**
 * Datasources with fixed uids. Grafana expands $VAR / ${VAR} from the
 * environment in these files, so Grafana's own template variables are
 * written with `$$` to stay literal.
 */
import { COLLAB_DATASOURCE_TYPE } from '@collabblocks/protocol';
import type { YamlValue } from './yaml.js';

export const DS = {
  prometheus: { type: 'prometheus', uid: 'prometheus' },
  tempo: { type: 'tempo', uid: 'tempo' },
  loki: { type: 'loki', uid: 'loki' },
  collab: { type: COLLAB_DATASOURCE_TYPE, uid: 'collab' },
} as const;
export type DsRef = (typeof DS)[keyof typeof DS];

/** Browser-reachable pod URLs (compose maps pod-a to :1234 and pod-b to :1235). */
/** The pods as the collab datasource's backend reaches them: inside the compose network, from Grafana's container. */
export const POD_URLS = ['http://pod-a:1234', 'http://pod-b:1234'];

/** Loki selector of the pods' logs (labels set by Alloy, see docker/alloy/config.alloy). */
export const POD_LOGS_SELECTOR = '{job="collab-pods"}';

export function datasourcesFile(): YamlValue {
  return {
    apiVersion: 1,
    datasources: [
      {
        name: 'Prometheus',
        uid: DS.prometheus.uid,
        type: DS.prometheus.type,
        access: 'proxy',
        url: 'http://prometheus:9090',
        isDefault: true,
        editable: false,
        jsonData: {
          httpMethod: 'POST',
          timeInterval: '15s',
          // Alerts are Grafana-managed only: Grafana's alerting UI and alert lists do not read this
          // Prometheus' rules (recording rules only, see provisioning/src/prometheus-rules.ts).
          manageAlerts: false,
          exemplarTraceIdDestinations: [{ name: 'trace_id', datasourceUid: DS.tempo.uid }],
        },
      },
      {
        name: 'Tempo',
        uid: DS.tempo.uid,
        type: DS.tempo.type,
        access: 'proxy',
        url: 'http://tempo:3200',
        editable: false,
        jsonData: {
          tracesToLogsV2: {
            datasourceUid: DS.loki.uid,
            spanStartTimeShift: '-5m',
            spanEndTimeShift: '5m',
            filterByTraceID: true,
            filterBySpanID: false,
            customQuery: true,
            query: `${POD_LOGS_SELECTOR} |= "$\${__trace.traceId}"`,
          },
          tracesToMetrics: {
            datasourceUid: DS.prometheus.uid,
            spanStartTimeShift: '-5m',
            spanEndTimeShift: '5m',
          },
          lokiSearch: { datasourceUid: DS.loki.uid },
          nodeGraph: { enabled: true },
          search: { hide: false },
        },
      },
      {
        name: 'Loki',
        uid: DS.loki.uid,
        type: DS.loki.type,
        access: 'proxy',
        url: 'http://loki:3100',
        editable: false,
        jsonData: {
          maxLines: 1000,
          derivedFields: [
            {
              name: 'trace_id',
              matcherType: 'regex',
              matcherRegex: '"trace_id":"([0-9a-f]{32})"',
              datasourceUid: DS.tempo.uid,
              url: '$${__value.raw}',
              urlDisplayLabel: 'Open trace in Tempo',
            },
          ],
        },
      },
      {
        name: 'CollabBlocks',
        uid: DS.collab.uid,
        type: DS.collab.type,
        access: 'proxy',
        editable: false,
        // podUrls: read by the plugin's backend in Grafana's container (browsers only talk to Grafana); it mints
        // inspect tokens from any healthy pod with the API key.
        jsonData: { podUrls: POD_URLS },
        secureJsonData: { apiKey: '$COLLAB_GRAFANA_API_KEY' },
      },
    ],
  };
}

export function dashboardProvidersFile(): YamlValue {
  return {
    apiVersion: 1,
    providers: [
      {
        name: 'collabblocks',
        orgId: 1,
        folder: 'CollabBlocks',
        folderUid: 'collabblocks',
        type: 'file',
        disableDeletion: true,
        allowUiUpdates: false,
        updateIntervalSeconds: 30,
        options: { path: '/var/lib/grafana/dashboards', foldersFromFilesStructure: false },
      },
    ],
  };
}
