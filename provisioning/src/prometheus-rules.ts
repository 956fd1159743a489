/**
 * Prometheus rules. Prometheus evaluates the SLI recording rules (per SLO and
 * window), the objectives and the helper series — the rule file it loads holds
 * nothing else. The alerts are Grafana-managed (grafana-alerting.ts, the only
 * copy that is evaluated and notifies); `alertRuleFile()` renders the same
 * alerts in Prometheus syntax for `promtool test rules` and the live test
 * only, so every alert expression is still unit-tested against the recording
 * rules it reads.
 */
import {
  ALERTS,
  JOB,
  OBJECTIVE_RECORD,
  OPS_LAG_OK,
  OPS_LAG_THRESHOLD,
  PRESENCE_P95,
  SLO_WINDOWS,
  SLOS,
  SLOW_WINDOWS,
  errorRatioRecord,
  runbookUrl,
  type AlertDef,
} from './slo.js';
import type { YamlValue } from './yaml.js';

export interface RecordingRule {
  record: string;
  expr: string;
  labels?: Record<string, string>;
}

export interface RuleGroup {
  name: string;
  interval: string;
  rules: (RecordingRule | PromAlertRule)[];
}

export interface PromAlertRule {
  alert: string;
  expr: string;
  for: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export function alertLabels(a: AlertDef): Record<string, string> {
  return { severity: a.severity, slo: a.slo };
}

export function alertAnnotations(a: AlertDef): Record<string, string> {
  return { summary: a.summary, description: a.description, runbook_url: runbookUrl(a.name) };
}

/** The recording rule groups Prometheus loads (provisioning/prometheus/rules/). */
export function ruleGroups(): RuleGroup[] {
  const fast: RecordingRule[] = [
    { record: OPS_LAG_OK, expr: `max(collab_ops_lag) < bool ${OPS_LAG_THRESHOLD}` },
    {
      record: PRESENCE_P95,
      expr: 'histogram_quantile(0.95, sum by (le) (rate(presence_rtt_ms_bucket[5m])))',
    },
    { record: 'collab:pods_up:ratio', expr: `avg(up{job="${JOB}"})` },
  ];
  const slow: RecordingRule[] = [];
  for (const slo of SLOS) {
    fast.push({ record: OBJECTIVE_RECORD, expr: `vector(${slo.objective})`, labels: { slo: slo.id } });
    for (const w of SLO_WINDOWS) {
      const rule = { record: errorRatioRecord(w), expr: slo.errorRatio(w), labels: { slo: slo.id } };
      (SLOW_WINDOWS.includes(w) ? slow : fast).push(rule);
    }
  }
  return [
    { name: 'collab-slo-sli-fast', interval: '15s', rules: fast },
    { name: 'collab-slo-sli-slow', interval: '1m', rules: slow },
  ];
}

/** The Grafana-managed alerts in Prometheus syntax: for promtool and the live test, never loaded by Prometheus. */
export function alertGroups(): RuleGroup[] {
  const alerts: PromAlertRule[] = ALERTS.map((a) => ({
    alert: a.name,
    expr: a.expr,
    for: a.for,
    labels: alertLabels(a),
    annotations: alertAnnotations(a),
  }));
  return [{ name: 'collab-slo-alerts', interval: '15s', rules: alerts }];
}

export function ruleFile(): YamlValue {
  return { groups: ruleGroups() as unknown as YamlValue };
}

export function alertRuleFile(): YamlValue {
  return { groups: alertGroups() as unknown as YamlValue };
}
