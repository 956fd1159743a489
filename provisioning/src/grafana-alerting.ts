/**
 * Grafana-managed alerting: the single place alerts are evaluated and notified
 * from. Prometheus evaluates only the recording rules the expressions read
 * (its datasource has `manageAlerts: false`); Grafana evaluates the alert
 * conditions and notifies through contact points routed by severity. The
 * test-only Prometheus copy (prometheus-rules.ts `alertRuleFile`) has the same
 * PromQL, labels and annotations.
 */
import { alertAnnotations, alertLabels } from './prometheus-rules.js';
import { ALERTS, type AlertDef } from './slo.js';
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
