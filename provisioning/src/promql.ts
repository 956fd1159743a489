/**
 * Helpers shared by the checks: collect every PromQL expression of the
 * dashboards and rules, substitute Grafana variables, and extract the metric
 * names an expression reads.
 */
import type { Json, JsonObject } from './dashboards/common.js';

export interface DashboardExpr {
  dashboard: string;
  panel: string;
  expr: string;
}

function isObject(v: Json | undefined): v is JsonObject {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function dsUid(v: Json | undefined): string | undefined {
  return isObject(v) && typeof v.uid === 'string' ? v.uid : undefined;
}

/** Every panel, including panels nested in collapsed rows. */
export function panelsOf(dash: JsonObject): JsonObject[] {
  const out: JsonObject[] = [];
  const walk = (list: Json | undefined) => {
    if (!Array.isArray(list)) return;
    for (const p of list) {
      if (!isObject(p)) continue;
      out.push(p);
      walk(p.panels);
    }
  };
  walk(dash.panels);
  return out;
}

export function targetsOf(panel: JsonObject): JsonObject[] {
  return Array.isArray(panel.targets) ? panel.targets.filter(isObject) : [];
}

/** The datasource uid a target uses (its own, else its panel's). */
export function targetDsUid(panel: JsonObject, target: JsonObject): string | undefined {
  return dsUid(target.datasource) ?? dsUid(panel.datasource);
}

export function prometheusExprs(name: string, dash: JsonObject): DashboardExpr[] {
  const out: DashboardExpr[] = [];
  for (const p of panelsOf(dash)) {
    for (const t of targetsOf(p)) {
      if (targetDsUid(p, t) === 'prometheus' && typeof t.expr === 'string') {
        out.push({ dashboard: name, panel: String(p.title), expr: t.expr });
      }
    }
  }
  return out;
}

export interface SubstituteOptions {
  /** Values for dashboard variables (already regex-safe for =~ matchers). */
  vars: Record<string, string>;
  rateInterval?: string;
  interval?: string;
  range?: string;
}

/** Grafana-style variable interpolation for PromQL (what the Prometheus datasource does). */
export function substitute(expr: string, opts: SubstituteOptions): string {
  const builtins: Record<string, string> = {
    __rate_interval: opts.rateInterval ?? '1m',
    __interval: opts.interval ?? '15s',
    __range: opts.range ?? '1h',
    __range_s: '3600',
    __range_ms: '3600000',
    __interval_ms: '15000',
  };
  return expr.replace(/\$\{(\w+)(?::\w+)?\}|\$(\w+)/g, (m, a?: string, b?: string) => {
    const name = (a ?? b)!;
    const v = builtins[name] ?? opts.vars[name];
    if (v === undefined) throw new Error(`unresolved variable ${m} in: ${expr}`);
    return v;
  });
}

/** Variables (`$x`, `${x}`, `[[x]]`) referenced in a string. */
export function variablesIn(s: string): string[] {
  const out = new Set<string>();
  for (const m of s.matchAll(/\$\{(\w+)(?:[:.][^}]*)?\}|\$(\w+)|\[\[(\w+)\]\]/g))
    out.add((m[1] ?? m[2] ?? m[3])!);
  return [...out];
}

const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'bool',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'offset',
  'inf',
  'nan',
]);

/** Metric names an expression selects (strings, matchers, grouping labels and functions removed). */
export function metricNames(expr: string): string[] {
  let s = expr.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""');
  s = s.replace(/\{[^}]*\}/g, ' ');
  s = s.replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  s = s.replace(/\[[^\]]*\]/g, ' ');
  const out = new Set<string>();
  for (const m of s.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const id = m[0];
    const rest = s.slice((m.index ?? 0) + id.length);
    if (/^\s*\(/.test(rest)) continue; // function call
    if (KEYWORDS.has(id.toLowerCase())) continue;
    const before = s.slice(0, m.index ?? 0);
    if (/[0-9.]$/.test(before)) continue; // e.g. 5m, 1e3
    out.add(id);
  }
  return [...out];
}

/** Histogram series names map back to the family name (`x_bucket` → `x`). */
export function familyOf(metric: string): string {
  return metric.replace(/_(bucket|sum|count)$/, '');
}
