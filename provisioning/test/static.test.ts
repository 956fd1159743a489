/**
 * Static checks of everything we provision (no Grafana needed): generated ==
 * committed, datasources and their links, every dashboard (datasource uids,
 * panel types, variables, metric names, links), every alert (summary,
 * severity, runbook), Grafana/Prometheus alert parity, contact points,
 * compose file, .env and the Prometheus config.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  COLLAB_QUERY_TYPES,
  COLLAB_VARIABLE_KINDS,
  CRDT_PANEL_TYPE,
  PRESENCE_PANEL_TYPE,
} from '@collabblocks/protocol';
import type { JsonObject } from '../src/dashboards/common.js';
import { DS, POD_URLS } from '../src/datasources.js';
import { ALERT_FOLDER, grafanaRuleUid } from '../src/grafana-alerting.js';
import { KNOWN_POD_METRICS, POD_METRICS_DB_WIDE, PROMETHEUS_SYNTHETIC } from '../src/metrics.js';
import { CONNECTIONS_HEATMAP, ROOMS_TABLE } from '../src/dashboards/org-admin.js';
import { DASHBOARD_FILES, TEST_ALERT_RULES_FILE, renderAll } from '../src/outputs.js';
import {
  panelsOf,
  prometheusExprs,
  targetDsUid,
  targetsOf,
  variablesIn,
  metricNames,
  familyOf,
} from '../src/promql.js';
import {
  ALERTS,
  BURN_PAIRS,
  DEFAULT_RUNBOOK_BASE_URL,
  SLOS,
  runbookPath,
  runbookUrl,
  wsErrorRatio,
} from '../src/slo.js';
import { asArray, asRecord, isRecord, loadYaml, rulesOf } from './yaml-load.js';

const ROOT = resolve(import.meta.dirname, '../..');
const p = (rel: string) => resolve(ROOT, rel);

/** Core panel plugins of Grafana 13 (public/app/plugins/panel) plus `row`. */
const CORE_PANELS = new Set([
  'row',
  'timeseries',
  'stat',
  'gauge',
  'bargauge',
  'barchart',
  'heatmap',
  'histogram',
  'logs',
  'table',
  'text',
  'alertlist',
  'annolist',
  'dashlist',
  'piechart',
  'state-timeline',
  'status-history',
  'nodeGraph',
  'traces',
  'flamegraph',
  'geomap',
  'canvas',
  'xychart',
  'trend',
  'candlestick',
  'news',
  'datagrid',
]);
const OUR_PANELS = new Set([PRESENCE_PANEL_TYPE, CRDT_PANEL_TYPE]);
const PLUGIN_IDS = [
  'collabblocks-collab-datasource',
  'collabblocks-presence-panel',
  'collabblocks-crdt-panel',
];
/** Grafana built-in variables allowed in queries, titles and links. */
const BUILTIN_VARS = new Set([
  '__rate_interval',
  '__interval',
  '__interval_ms',
  '__range',
  '__range_s',
  '__range_ms',
  '__from',
  '__to',
  '__field',
  '__series',
  '__value',
  '__data',
  '__url_time_range',
  '__all_variables',
  '__dashboard',
]);

function readJson(rel: string): JsonObject {
  return JSON.parse(readFileSync(p(rel), 'utf8')) as JsonObject;
}

const dashboards = Object.keys(DASHBOARD_FILES).map((file) => ({ file, dash: readJson(file) }));
/** What Prometheus loads (docker-compose mounts provisioning/prometheus/rules): recording rules only. */
const PROM_RULES_DIR = 'provisioning/prometheus/rules';
const loadedRules = readdirSync(p(PROM_RULES_DIR))
  .filter((f) => f.endsWith('.yml'))
  .flatMap((f) => rulesOf(p(`${PROM_RULES_DIR}/${f}`)));
/** The test-only Prometheus copy of the Grafana-managed alerts (promtool, live test). */
const testAlertRules = rulesOf(p(TEST_ALERT_RULES_FILE));
const promRules = [...loadedRules, ...testAlertRules];
const recorded = new Set(
  promRules.filter(isRecord).flatMap((r) => (typeof r.record === 'string' ? [r.record] : []))
);
const promAlerts = testAlertRules.filter(isRecord).filter((r) => typeof r.alert === 'string');
const dsFile = asRecord(loadYaml(p('provisioning/grafana/datasources/datasources.yml')), 'datasources.yml');
const datasources = asArray(dsFile.datasources, 'datasources').map((d) => asRecord(d, 'datasource'));
const dsByUid = new Map(datasources.map((d) => [String(d.uid), d]));
const env = parseEnv(readFileSync(p('.env'), 'utf8'));
const compose = asRecord(loadYaml(p('docker-compose.yml')), 'docker-compose.yml');
const services = asRecord(compose.services, 'services');

function parseEnv(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (m) out.set(m[1]!, m[2]!);
  }
  return out;
}

function walkStrings(v: unknown, visit: (s: string, path: string) => void, path = ''): void {
  if (typeof v === 'string') visit(v, path);
  else if (Array.isArray(v)) v.forEach((x, i) => walkStrings(x, visit, `${path}[${i}]`));
  else if (isRecord(v))
    for (const [k, x] of Object.entries(v)) walkStrings(x, visit, path ? `${path}.${k}` : k);
}

/** Every read of a DB-wide family (same figure on every pod) sits directly inside `max by (org) (…)`. */
function expectDbWideOnce(where: string, expr: string): void {
  for (const metric of POD_METRICS_DB_WIDE) {
    for (const m of expr.matchAll(new RegExp(`(?<![\\w:])${metric}(?![\\w:])`, 'g'))) {
      expect(expr.slice(0, m.index), `${where}: ${expr}`).toMatch(/max by \(org\) \($/);
    }
  }
}

describe('generated files', () => {
  it('committed files equal the generator output', async () => {
    const files = await renderAll(ROOT);
    for (const [rel, content] of files) {
      expect(existsSync(p(rel)), rel).toBe(true);
      expect(readFileSync(p(rel), 'utf8'), `${rel} is stale: npm run generate --prefix provisioning`).toBe(
        content
      );
    }
  });
});

describe('datasources', () => {
  it('have the fixed uids and types', () => {
    for (const ds of Object.values(DS)) {
      expect(dsByUid.get(ds.uid)?.type, ds.uid).toBe(ds.type);
    }
    expect(datasources).toHaveLength(4);
  });

  it('link exemplars → Tempo, traces → Loki, logs → Tempo', () => {
    const prom = asRecord(dsByUid.get('prometheus')?.jsonData, 'prometheus jsonData');
    expect(prom.exemplarTraceIdDestinations).toEqual([{ name: 'trace_id', datasourceUid: 'tempo' }]);
    const tempo = asRecord(
      asRecord(dsByUid.get('tempo')?.jsonData, 'tempo').tracesToLogsV2,
      'tracesToLogsV2'
    );
    expect(tempo.datasourceUid).toBe('loki');
    expect(String(tempo.query)).toContain('$${__trace.traceId}');
    const derived = asArray(asRecord(dsByUid.get('loki')?.jsonData, 'loki').derivedFields, 'derivedFields');
    const field = asRecord(derived[0], 'derived field');
    expect(field.datasourceUid).toBe('tempo');
    expect(field.name).toBe('trace_id');
    expect(field.url).toBe('$${__value.raw}');
    const re = new RegExp(String(field.matcherRegex));
    const line = '{"level":30,"trace_id":"0af7651916cd43dd8448eb211c80319c","msg":"x"}';
    expect(re.exec(line)?.[1]).toBe('0af7651916cd43dd8448eb211c80319c');
  });

  it('collab datasource: key from env, both pods listed', () => {
    const collab = dsByUid.get('collab')!;
    expect(asRecord(collab.secureJsonData, 'secureJsonData').apiKey).toBe('$COLLAB_GRAFANA_API_KEY');
    expect(asRecord(collab.jsonData, 'jsonData').podUrls).toEqual(POD_URLS);
  });

  it('no Grafana template variable in a provisioning file is left for env expansion', () => {
    const dir = p('provisioning/grafana');
    for (const sub of readdirSync(dir)) {
      for (const f of readdirSync(resolve(dir, sub))) {
        const text = readFileSync(resolve(dir, sub, f), 'utf8');
        // `${__x}` (single $) would be replaced by an (empty) environment variable.
        expect(/(?<!\$)\$\{__/.test(text), `${sub}/${f}`).toBe(false);
      }
    }
  });
});

describe.each(dashboards)('dashboard $file', ({ dash }) => {
  const panels = panelsOf(dash);
  const vars = new Set(
    asArray(asRecord(dash.templating, 'templating').list, 'list').map((v) => String(asRecord(v, 'var').name))
  );

  it('has a uid, a title, live refresh and unique panel ids', () => {
    expect(typeof dash.uid).toBe('string');
    expect(String(dash.uid).length).toBeLessThanOrEqual(40);
    expect(typeof dash.title).toBe('string');
    const refresh = String(dash.refresh);
    if (dash.liveNow === true) expect(refresh).toBe('');
    else expect(['1s', '5s']).toContain(refresh);
    const ids = panels.map((x) => x.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('uses only known panel types and provisioned datasources', () => {
    for (const panel of panels) {
      const type = String(panel.type);
      expect(CORE_PANELS.has(type) || OUR_PANELS.has(type), `panel type ${type}`).toBe(true);
      if (type === 'row') continue;
      const grid = asRecord(panel.gridPos, 'gridPos');
      expect(Number(grid.x) + Number(grid.w)).toBeLessThanOrEqual(24);
      for (const t of targetsOf(panel)) {
        const uid = targetDsUid(panel, t);
        expect(uid && dsByUid.has(uid), `${panel.title}: datasource ${uid}`).toBe(true);
      }
      if (type !== 'alertlist' && type !== 'text') {
        expect(targetsOf(panel).length, `${panel.title} has queries`).toBeGreaterThan(0);
      }
    }
  });

  it('every variable it references resolves', () => {
    walkStrings(dash.panels, (s, where) => {
      for (const v of variablesIn(s)) {
        expect(vars.has(v) || BUILTIN_VARS.has(v), `$${v} at ${where}`).toBe(true);
      }
    });
    for (const v of asArray(asRecord(dash.templating, 'templating').list, 'list')) {
      const def = asRecord(v, 'variable');
      if (def.type !== 'query') continue;
      const uid = asRecord(def.datasource, 'datasource').uid;
      expect(dsByUid.has(String(uid))).toBe(true);
      if (uid === 'collab') {
        expect(COLLAB_VARIABLE_KINDS).toContain(asRecord(def.query, 'query').kind);
      } else {
        expect(String(def.query)).toMatch(/^label_values\(/);
      }
    }
  });

  it('reads only metrics the pods export or our rules record', () => {
    for (const { panel, expr } of prometheusExprs(String(dash.uid), dash)) {
      for (const m of metricNames(expr)) {
        const known =
          KNOWN_POD_METRICS.has(familyOf(m)) ||
          recorded.has(m) ||
          (PROMETHEUS_SYNTHETIC as readonly string[]).includes(m);
        expect(known, `${panel}: unknown metric ${m}`).toBe(true);
      }
    }
  });

  it('DB-wide storage series are taken once per org across pods (max by (org)), never summed', () => {
    for (const { panel, expr } of prometheusExprs(String(dash.uid), dash)) expectDbWideOnce(panel, expr);
  });

  it('collab queries use the shared query model', () => {
    for (const panel of panels) {
      for (const t of targetsOf(panel)) {
        if (targetDsUid(panel, t) !== 'collab') continue;
        expect(COLLAB_QUERY_TYPES).toContain(t.queryType);
        expect(String(t.room)).toContain('$room');
      }
    }
  });
});

describe('dashboard content', () => {
  const byUid = new Map(dashboards.map((d) => [String(d.dash.uid), d.dash]));

  it('Org Admin per-room panels link into DevTools with the room, from fields that carry it', () => {
    const org = byUid.get('collab-org-admin')!;
    const linked = panelsOf(org).filter((x) =>
      JSON.stringify(x.fieldConfig ?? {}).includes('/d/collab-devtools')
    );
    expect(linked.map((x) => x.title).sort()).toEqual([ROOMS_TABLE, 'Ops/s by room (stacked)'].sort());
    for (const x of linked) {
      const links = JSON.stringify(x.fieldConfig);
      if (x.type === 'table') {
        // Table rows: the labels are columns (format: table), read from the row.
        for (const t of targetsOf(x)) expect(t.format).toBe('table');
        expect(links).toContain('var-room=${__data.fields.org}%2F${__data.fields.room_id}');
        expect(links).not.toContain('__field.labels');
      } else {
        // Time series: one field per series, labels on the field.
        expect(x.type).toBe('timeseries');
        expect(links).toContain('var-room=${__field.labels.org}%2F${__field.labels.room_id}');
      }
      for (const t of targetsOf(x)) expect(String(t.expr)).toMatch(/^sum by \(org, room_id\)/);
    }
  });

  it('Org Admin connections heatmap: p95 per time bucket over the last 24 h, no per-series links', () => {
    const org = byUid.get('collab-org-admin')!;
    const heatmap = panelsOf(org).find((x) => x.title === CONNECTIONS_HEATMAP)!;
    expect(heatmap.type).toBe('heatmap');
    expect(heatmap.timeFrom).toBe('24h');
    const [t, ...rest] = targetsOf(heatmap);
    expect(rest).toEqual([]);
    expect(String(t!.expr)).toMatch(
      /^quantile_over_time\(0\.95, \(sum by \(org, room_id\) \(collab_active_connections\{[^}]*\}\)\)\[\$__interval:\]\)$/
    );
    expect(t!.interval).toBe('5m');
    // A heatmap turns series into cells: ${__field.labels.*} would not resolve there.
    expect(JSON.stringify(heatmap.fieldConfig ?? {})).not.toContain('/d/collab-devtools');
  });

  it('Org Admin error rate is the error-rate SLI (same ratio, per selected org)', () => {
    const org = byUid.get('collab-org-admin')!;
    const panel = panelsOf(org).find((x) => x.title === 'Error rate')!;
    expect(targetsOf(panel).map((t) => t.expr)).toEqual([wsErrorRatio('$__rate_interval', 'org=~"$org"')]);
    const errors = SLOS.find((x) => x.id === 'errors')!;
    expect(errors.errorRatio('5m')).toBe(wsErrorRatio('5m'));
    // Failed connections are in the denominator too, so the ratio cannot exceed 1.
    expect(wsErrorRatio('5m')).toMatch(
      /^(\(sum\(rate\(ws_errors_total\[5m\]\)\) or vector\(0\)\)) \/ \(.*\+ \1\)$/
    );
  });

  it('DevTools has the room variable, presence, crdt, logs and metrics panels', () => {
    const dev = byUid.get('collab-devtools')!;
    const types = panelsOf(dev).map(
      (x) =>
        `${x.type}:${targetsOf(x)
          .map((t) => String(t.queryType))
          .join('+')}`
    );
    expect(types).toEqual(
      expect.arrayContaining([
        // Edit heat: the presence panel pairs presence with the room's updates and history.
        `${PRESENCE_PANEL_TYPE}:presence+updates+history`,
        `${CRDT_PANEL_TYPE}:tree+updates+history`,
        'logs:updates',
        'logs:traffic',
        'timeseries:metrics',
      ])
    );
  });

  it('SLO dashboard shows target, 30-day SLI, budget and burn rates for every SLO', () => {
    const slo = byUid.get('collab-slos')!;
    const exprs = prometheusExprs('slos', slo).map((e) => e.expr);
    for (const id of ['uptime', 'presence', 'errors', 'opslag']) {
      const mine = exprs.filter((e) => e.includes(`slo="${id}"`));
      expect(mine.some((e) => e.startsWith('slo:objective:ratio'))).toBe(true);
      expect(mine.some((e) => e.startsWith('1 - slo:sli_error:ratio_rate30d'))).toBe(true);
      expect(mine.some((e) => e.includes('ratio_rate30d') && e.includes('/ on(slo)'))).toBe(true);
      expect(mine.filter((e) => e.includes('/ on(slo)')).length).toBeGreaterThanOrEqual(5);
    }
  });

  it('SLO burn-rate panels plot every window the burn-rate alerts use (5m, 30m, 1h, 2h, 6h, 1d, 3d)', () => {
    const slo = byUid.get('collab-slos')!;
    const burnPanels = panelsOf(slo).filter((x) => String(x.title).startsWith('Burn rate'));
    expect(burnPanels).toHaveLength(4);
    const alertWindows = new Set(
      [...BURN_PAIRS.fast, ...BURN_PAIRS.slow].flatMap((pair) => [pair.long, pair.short])
    );
    expect([...alertWindows].sort()).toEqual(['1d', '1h', '2h', '30m', '3d', '5m', '6h']);
    for (const x of burnPanels) {
      const plotted = targetsOf(x).map((t) => /ratio_rate(\w+)\{/.exec(String(t.expr))?.[1]);
      for (const w of alertWindows) expect(plotted, `${String(x.title)}: ${w}`).toContain(w);
    }
  });
});

describe('alerts', () => {
  const grafanaFile = asRecord(loadYaml(p('provisioning/grafana/alerting/alert-rules.yml')), 'alert-rules');
  const grafanaRules = rulesOf(p('provisioning/grafana/alerting/alert-rules.yml')).map((r) =>
    asRecord(r, 'rule')
  );

  it('every Prometheus alert has a summary, a severity and an existing runbook', () => {
    expect(promAlerts).toHaveLength(ALERTS.length);
    for (const a of promAlerts) {
      const name = String(a.alert);
      const ann = asRecord(a.annotations, 'annotations');
      const labels = asRecord(a.labels, 'labels');
      expect(String(ann.summary).length, name).toBeGreaterThan(10);
      expect(['page', 'ticket']).toContain(labels.severity);
      // Absolute and clickable (Grafana, Slack, PagerDuty); the committed files use the default base.
      expect(ann.runbook_url).toBe(runbookUrl(name, DEFAULT_RUNBOOK_BASE_URL));
      expect(String(ann.runbook_url)).toMatch(/^https?:\/\/[^/]+\//);
      const runbook = p(runbookPath(name));
      expect(existsSync(runbook), runbook).toBe(true);
      const text = readFileSync(runbook, 'utf8');
      expect(text).toContain(name);
      expect(text).toMatch(/## Investigate/);
      expect(text).toMatch(/## Fix/);
    }
  });

  it('alerts have one source: Grafana. Prometheus loads recording rules only and its datasource manages no alerts', () => {
    expect(loadedRules.length).toBeGreaterThan(0);
    for (const r of loadedRules) {
      expect(isRecord(r) && typeof r.record === 'string', JSON.stringify(r)).toBe(true);
    }
    // The test-only alert copy is outside the directory compose mounts into Prometheus.
    expect(TEST_ALERT_RULES_FILE.startsWith(`${PROM_RULES_DIR}/`)).toBe(false);
    expect(promAlerts.length).toBe(ALERTS.length);
    const prom = asRecord(dsByUid.get('prometheus')?.jsonData, 'prometheus jsonData');
    expect(prom.manageAlerts).toBe(false);
    const groups = asArray(grafanaFile.groups, 'groups').map((g) => asRecord(g, 'group'));
    expect(groups.map((g) => g.folder)).toEqual([ALERT_FOLDER]);
  });

  it('alert list panels show only instances of our Grafana-managed rules', () => {
    const lists = dashboards.flatMap(({ dash }) => panelsOf(dash).filter((x) => x.type === 'alertlist'));
    expect(lists.length).toBeGreaterThanOrEqual(2);
    for (const x of lists) {
      const filter = String(asRecord(x.options, 'options').alertInstanceLabelFilter);
      // Grafana labels instances of Grafana-managed rules with their folder title; Prometheus alerts have none.
      expect(filter, String(x.title)).toContain(`grafana_folder="${ALERT_FOLDER}"`);
      expect(filter, String(x.title)).toContain('slo=~".+"');
    }
  });

  it('severities: fast burns page except ops lag (design: Sev-3, Slack), whose runbooks say why', () => {
    for (const a of ALERTS) {
      if (a.slo === 'opslag') expect(a.severity, a.name).toBe('ticket');
      else if (a.name.endsWith('BudgetBurnFast')) expect(a.severity, a.name).toBe('page');
      if (a.slo === 'opslag') {
        expect(readFileSync(p(runbookPath(a.name)), 'utf8'), a.name).toMatch(
          /## Why a ticket, not a page[\s\S]*Sev-3/
        );
      }
    }
  });

  it('Grafana-managed rules mirror the Prometheus rules exactly', () => {
    expect(grafanaRules).toHaveLength(promAlerts.length);
    for (const a of promAlerts) {
      const g = grafanaRules.find((r) => r.title === a.alert);
      expect(g, String(a.alert)).toBeDefined();
      expect(g!.uid).toBe(grafanaRuleUid(String(a.alert)));
      const query = asRecord(asRecord(asArray(g!.data, 'data')[0], 'A').model, 'model');
      expect(query.expr).toBe(a.expr);
      expect(g!.labels).toEqual(a.labels);
      expect(g!.annotations).toEqual(a.annotations);
      expect(g!.for).toBe(a.for);
      expect(g!.condition).toBe('C');
    }
    const uids = grafanaRules.map((r) => String(r.uid));
    expect(new Set(uids).size).toBe(uids.length);
  });

  it('rules take DB-wide storage series once per org across pods', () => {
    for (const r of promRules.filter(isRecord)) {
      expectDbWideOnce(String(r.record ?? r.alert), String(r.expr));
    }
  });

  it('alert expressions read only recorded or exported series', () => {
    for (const a of promAlerts) {
      for (const m of metricNames(String(a.expr))) {
        expect(recorded.has(m) || KNOWN_POD_METRICS.has(familyOf(m)), `${String(a.alert)}: ${m}`).toBe(true);
      }
    }
  });

  it('notification policies route page and ticket to contact points that exist', () => {
    const cps = asRecord(loadYaml(p('provisioning/grafana/alerting/contact-points.yml')), 'contact points');
    const names = new Set(
      asArray(cps.contactPoints, 'contactPoints').map((c) => String(asRecord(c, 'cp').name))
    );
    const pol = asRecord(
      asArray(
        asRecord(loadYaml(p('provisioning/grafana/alerting/notification-policies.yml')), 'p').policies,
        'policies'
      )[0],
      'policy'
    );
    const expand = (s: string) => s.replace(/^\$(\w+)$/, (_m, v: string) => env.get(v) ?? `<unset ${v}>`);
    expect(names.has(expand(String(pol.receiver)))).toBe(true);
    const routes = asArray(pol.routes, 'routes').map((r) => asRecord(r, 'route'));
    const severities = routes.map((r) => JSON.stringify(r.object_matchers));
    expect(severities).toEqual([
      JSON.stringify([['severity', '=', 'page']]),
      JSON.stringify([['severity', '=', 'ticket']]),
    ]);
    for (const r of routes) expect(names.has(expand(String(r.receiver))), String(r.receiver)).toBe(true);
    // The production choices documented in .env.example exist too.
    const example = parseEnv(readFileSync(p('.env.example'), 'utf8'));
    expect(names.has(example.get('COLLAB_PAGE_RECEIVER')!)).toBe(true);
    expect(names.has(example.get('COLLAB_TICKET_RECEIVER')!)).toBe(true);
  });
});

describe('compose stack', () => {
  it('every image is pinned; Grafana is 13.2.x', () => {
    for (const [name, raw] of Object.entries(services)) {
      const svc = asRecord(raw, name);
      if (svc.image !== undefined && svc.build === undefined) {
        expect(String(svc.image), name).toMatch(/^[\w./-]+:[\w.-]+$/);
        expect(String(svc.image), name).not.toMatch(/:latest$/);
      }
    }
    for (const file of ['docker/grafana.Dockerfile', 'docker/collab-server.Dockerfile']) {
      const text = readFileSync(p(file), 'utf8');
      for (const m of text.matchAll(/^ARG \w+_IMAGE=(\S+)$/gm)) expect(m[1], file).toMatch(/:\d+\.\d+\.\d+/);
    }
    expect(readFileSync(p('docker/grafana.Dockerfile'), 'utf8')).toMatch(/grafana\/grafana:13\.2\.\d+/);
    expect(readFileSync(p('docker/collab-server.Dockerfile'), 'utf8')).toMatch(/node:22\.\d+\.\d+/);
  });

  it('allows unsigned loading for exactly our three plugin ids', () => {
    const grafana = asRecord(services.grafana, 'grafana');
    const allowed = String(asRecord(grafana.environment, 'env').GF_PLUGINS_ALLOW_LOADING_UNSIGNED_PLUGINS);
    expect(allowed.split(',').sort()).toEqual([...PLUGIN_IDS].sort());
    for (const dir of ['collab-datasource', 'presence-panel', 'crdt-panel']) {
      const pj = JSON.parse(readFileSync(p(`plugins/${dir}/src/plugin.json`), 'utf8')) as { id: string };
      expect(PLUGIN_IDS).toContain(pj.id);
      expect(readFileSync(p('docker/grafana.Dockerfile'), 'utf8')).toContain(
        `/var/lib/grafana/plugins/${pj.id}`
      );
    }
  });

  it('waits on health checks so `up` needs no manual step', () => {
    for (const [name, raw] of Object.entries(services)) {
      const deps = asRecord(raw, name).depends_on;
      if (!isRecord(deps)) continue;
      for (const [dep, cond] of Object.entries(deps)) {
        const condition = asRecord(cond, dep).condition;
        expect(['service_healthy', 'service_started']).toContain(condition);
        if (condition === 'service_healthy') {
          expect(asRecord(services[dep], dep).healthcheck, `${dep} healthcheck`).toBeDefined();
        }
      }
    }
    const grafanaDeps = asRecord(asRecord(services.grafana, 'grafana').depends_on, 'deps');
    for (const dep of ['prometheus', 'pod-a', 'pod-b']) {
      expect(asRecord(grafanaDeps[dep], dep).condition).toBe('service_healthy');
    }
  });

  it('every variable the stack reads has a local default, and .env.example lists the same keys', () => {
    const used = new Set<string>();
    const composeText = readFileSync(p('docker-compose.yml'), 'utf8');
    for (const m of composeText.matchAll(/(?<!\$)\$\{(\w+)\}/g)) used.add(m[1]!);
    for (const v of used) expect(env.has(v), `.env lacks ${v}`).toBe(true);
    const grafanaEnv = asRecord(asRecord(services.grafana, 'grafana').environment, 'env');
    for (const sub of ['datasources', 'alerting']) {
      const dir = p(`provisioning/grafana/${sub}`);
      for (const f of readdirSync(dir)) {
        // Go templates in annotations ({{ $labels.x }}) are not env-expanded by Grafana.
        const text = readFileSync(resolve(dir, f), 'utf8').replace(/\{\{[^}]*\}\}/g, '');
        for (const m of text.matchAll(/(?<!\$)\$(\w+)/g)) {
          expect(grafanaEnv[m[1]!], `${sub}/${f}: $${m[1]} not passed to grafana`).toBeDefined();
        }
      }
    }
    const example = parseEnv(readFileSync(p('.env.example'), 'utf8'));
    expect([...example.keys()].sort()).toEqual([...env.keys()].sort());
  });

  it('Prometheus: 15 s scrape of both pods, 30-day retention, exemplar storage, our rules', () => {
    const cfg = asRecord(loadYaml(p('docker/prometheus/prometheus.yml')), 'prometheus.yml');
    expect(asRecord(cfg.global, 'global').scrape_interval).toBe('15s');
    const job = asArray(cfg.scrape_configs, 'scrape')
      .map((j) => asRecord(j, 'job'))
      .find((j) => j.job_name === 'collab-pods');
    const targets = asArray(job?.static_configs, 'static').flatMap((s) =>
      asArray(asRecord(s, 's').targets, 't')
    );
    expect(targets).toEqual(['pod-a:1234', 'pod-b:1234']);
    const cmd = asArray(asRecord(services.prometheus, 'prometheus').command, 'command').map(String);
    expect(cmd).toContain('--storage.tsdb.retention.time=30d');
    expect(cmd).toContain('--enable-feature=exemplar-storage');
    const vols = asArray(asRecord(services.prometheus, 'prometheus').volumes, 'volumes').map(String);
    expect(vols).toContain('./provisioning/prometheus/rules:/etc/prometheus/rules:ro');
  });
});
