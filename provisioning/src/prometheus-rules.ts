/**
 * The Prometheus rule file (source of truth for evaluation): SLI recording
 * rules per SLO and window, the objectives, and the alert rules.
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
  runbookPath,
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
  return { summary: a.summary, description: a.description, runbook_url: runbookPath(a.name) };
}

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
  const alerts: PromAlertRule[] = ALERTS.map((a) => ({
    alert: a.name,
    expr: a.expr,
    for: a.for,
    labels: alertLabels(a),
    annotations: alertAnnotations(a),
  }));
  return [
    { name: 'collab-slo-sli-fast', interval: '15s', rules: fast },
    { name: 'collab-slo-sli-slow', interval: '1m', rules: slow },
    { name: 'collab-slo-alerts', interval: '15s', rules: alerts },
  ];
}

export function ruleFile(): YamlValue {
  return { groups: ruleGroups() as unknown as YamlValue };
}
