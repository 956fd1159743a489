/**
 * Grafana-managed alerting: the single place alerts are evaluated and notified
 * from. Prometheus evaluates only the recording rules the expressions read
 * (its datasource has `manageAlerts: false`); Grafana evaluates the alert
 * conditions and notifies through contact points routed by severity. The
 * test-only Prometheus copy (prometheus-rules.ts `alertRuleFile`) has the same
 * PromQL, labels and annotations.
 */
import { alertAnnotations, alertLabels } from './prometheus-rules.js';
import { ROOMS_FIELDS } from '@collabblocks/protocol';
import { DS } from './datasources.js';
import { ALERTS, type AlertDef, runbookUrl } from './slo.js';
import type { YamlValue } from './yaml.js';

export const ALERT_FOLDER = 'CollabBlocks SLOs';

/**
 * Alert list panels: instances of our Grafana-managed rules only. Grafana labels every instance of a
 * Grafana-managed rule with its folder title (`grafana_folder`); data-source-managed alerts have no such
 * label, so even a Prometheus that did evaluate alert rules would not show up twice.
 */
export const ALERT_LIST_INSTANCE_FILTER = `{slo=~".+", grafana_folder="${ALERT_FOLDER}"}`;

/** Grafana rule uid: kebab-case of the alert name (≤ 40 chars, [a-z0-9-]). */
export function grafanaRuleUid(name: string): string {
  const uid = name
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-');
  if (uid.length > 40) throw new Error(`grafana uid too long: ${uid}`);
  return uid;
}

function rule(a: AlertDef): YamlValue {
  return {
    uid: grafanaRuleUid(a.name),
    title: a.name,
    condition: 'C',
    data: [
      {
        refId: 'A',
        relativeTimeRange: { from: 600, to: 0 },
        datasourceUid: 'prometheus',
        model: {
          refId: 'A',
          expr: a.expr,
          instant: true,
          range: false,
          datasource: { type: 'prometheus', uid: 'prometheus' },
        },
      },
      {
        refId: 'B',
        datasourceUid: '__expr__',
        model: { refId: 'B', type: 'reduce', expression: 'A', reducer: 'last', settings: { mode: 'dropNN' } },
      },
      {
        refId: 'C',
        datasourceUid: '__expr__',
        model: {
          refId: 'C',
          type: 'threshold',
          expression: 'B',
          conditions: [{ evaluator: { type: 'gt', params: [0] } }],
        },
      },
    ],
    // The PromQL already filters to firing series: no series means healthy.
    noDataState: 'OK',
    execErrState: 'Error',
    for: a.for,
    annotations: alertAnnotations(a),
    labels: alertLabels(a),
    isPaused: false,
  };
}

export function alertRulesFile(): YamlValue {
  return {
    apiVersion: 1,
    groups: [
      {
        orgId: 1,
        name: 'collab-slo-alerts',
        folder: ALERT_FOLDER,
        interval: '1m',
        rules: ALERTS.map(rule),
      },
    ],
  };
}

/**
 * Contact points: a webhook (default, local sink in compose), Slack and
 * PagerDuty, each configured from the environment (.env). Which one pages and
 * which one files tickets is chosen by COLLAB_PAGE_RECEIVER / COLLAB_TICKET_RECEIVER.
 */
export function contactPointsFile(): YamlValue {
  return {
    apiVersion: 1,
    contactPoints: [
      {
        orgId: 1,
        name: 'collab-webhook',
        receivers: [
          {
            uid: 'collab-webhook',
            type: 'webhook',
            settings: { url: '$COLLAB_ALERT_WEBHOOK_URL', httpMethod: 'POST' },
            disableResolveMessage: false,
          },
        ],
      },
      {
        orgId: 1,
        name: 'collab-slack',
        receivers: [
          {
            uid: 'collab-slack',
            type: 'slack',
            settings: { url: '$SLACK_WEBHOOK_URL', recipient: '$SLACK_CHANNEL' },
            disableResolveMessage: false,
          },
        ],
      },
      {
        orgId: 1,
        name: 'collab-pagerduty',
        receivers: [
          {
            uid: 'collab-pagerduty',
            type: 'pagerduty',
            settings: { integrationKey: '$PAGERDUTY_INTEGRATION_KEY', severity: 'critical' },
            disableResolveMessage: false,
          },
        ],
      },
    ],
  };
}

export function policiesFile(): YamlValue {
  return {
    apiVersion: 1,
    policies: [
      {
        orgId: 1,
        receiver: 'collab-webhook',
        group_by: ['alertname', 'slo'],
        group_wait: '30s',
        group_interval: '5m',
        repeat_interval: '4h',
        routes: [
          {
            receiver: '$COLLAB_PAGE_RECEIVER',
            object_matchers: [['severity', '=', 'page']],
            group_wait: '10s',
            repeat_interval: '1h',
          },
          {
            receiver: '$COLLAB_TICKET_RECEIVER',
            object_matchers: [['severity', '=', 'ticket']],
            repeat_interval: '12h',
          },
        ],
      },
    ],
  };
}

/** Folder of the alerts evaluated on the collab datasource's own data (its backend answers the queries). */
export const COLLAB_DATA_ALERT_FOLDER = 'CollabBlocks collab data';

/** A stored room's document above this many bytes is worth a look (the pod keeps the whole Y.Doc in memory). */
export const ROOM_DOC_BYTES_THRESHOLD = 50 * 1024 * 1024;

/**
 * Example of an alert on collab data (issue 14): the collab datasource's backend answers a rooms query with
 * `measure: docBytes` as a numeric table — one series per pod/org/room — Grafana reduces each to its last
 * value and fires per room above the threshold. Needs the backend plugin (`alerting: true`).
 */
export function collabDataRulesFile(): YamlValue {
  const name = 'CollabRoomDocumentLarge';
  return {
    apiVersion: 1,
    groups: [
      {
        orgId: 1,
        name: 'collab-datasource-alerts',
        folder: COLLAB_DATA_ALERT_FOLDER,
        interval: '1m',
        rules: [
          {
            uid: grafanaRuleUid(name),
            title: name,
            condition: 'C',
            data: [
              {
                refId: 'A',
                relativeTimeRange: { from: 300, to: 0 },
                datasourceUid: DS.collab.uid,
                model: {
                  refId: 'A',
                  queryType: 'rooms',
                  measure: ROOMS_FIELDS.docBytes,
                  datasource: { type: DS.collab.type, uid: DS.collab.uid },
                },
              },
              {
                refId: 'B',
                datasourceUid: '__expr__',
                model: {
                  refId: 'B',
                  type: 'reduce',
                  expression: 'A',
                  reducer: 'last',
                  settings: { mode: 'dropNN' },
                },
              },
              {
                refId: 'C',
                datasourceUid: '__expr__',
                model: {
                  refId: 'C',
                  type: 'threshold',
                  expression: 'B',
                  conditions: [{ evaluator: { type: 'gt', params: [ROOM_DOC_BYTES_THRESHOLD] } }],
                },
              },
            ],
            // No room loaded anywhere is healthy; a datasource that cannot answer is an error state.
            noDataState: 'OK',
            execErrState: 'Error',
            for: '10m',
            annotations: {
              summary: 'Room {{ $labels.room }} holds a document over 50 MiB on {{ $labels.pod }}',
              description:
                'The collab datasource reports docBytes {{ $values.B }} for {{ $labels.room }} (pod {{ $labels.pod }}). ' +
                'Large documents slow every join (full state sync) and the pod keeps them in memory.',
              runbook_url: runbookUrl(name),
            },
            labels: { severity: 'ticket', source: 'collab-datasource' },
            isPaused: false,
          },
        ],
      },
    ],
  };
}
