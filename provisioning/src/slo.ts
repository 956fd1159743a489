/**
 * The SLOs of the design (section 5) and every alert derived from them: the
 * single source from which the Prometheus rule file, the Grafana-managed alert
 * rules and the SLO dashboard are generated, so they cannot drift apart.
 */

export type Severity = 'page' | 'ticket';
export type SloId = 'uptime' | 'presence' | 'errors' | 'opslag';

/** SLI windows recorded for every SLO (burn-rate pairs plus the 30-day compliance window). */
export const SLO_WINDOWS = ['5m', '30m', '1h', '2h', '6h', '1d', '3d', '30d'] as const;
export type SloWindow = (typeof SLO_WINDOWS)[number];

/** Windows heavy enough to be recorded in the slower group. */
export const SLOW_WINDOWS: readonly SloWindow[] = ['1d', '3d', '30d'];

export interface SloDef {
  id: SloId;
  title: string;
  /** Target as a fraction, e.g. 0.9995. */
  objective: number;
  /** What the SLI measures, for dashboards and docs. */
  sli: string;
  /** PromQL of the error ratio (bad / total, 0..1) over `window`. */
  errorRatio(window: SloWindow): string;
  /** Severity of the fast (page-window) burn alert. */
  fastSeverity: Severity;
}

export const JOB = 'collab-pods';

/**
 * The 40 ms bucket as exposed (`le="40"`) and as Prometheus 3 stores it
 * (it normalises `le` to float form, `le="40.0"`): match both.
 */
export const LE_40 = '40|40[.]0';

/** Recorded helper: 1 when the worst ops lag is below the SLO threshold, else 0. */
export const OPS_LAG_OK = 'slo:collab_ops_lag_ok:bool';
export const OPS_LAG_THRESHOLD = 200;
/** Recorded helper: presence RTT p95 over 5 minutes, all orgs. */
export const PRESENCE_P95 = 'collab:presence_rtt_ms:p95_rate5m';

/**
 * The error-rate SLI over `range`, optionally restricted by a label matcher (e.g. `org=~"$org"`).
 *
 * Bad events: `ws_errors_total` — connections the pod refused (never accepted) plus accepted ones it
 * closed with an error code or that dropped (1006); each failed connection once. Valid events:
 * messages received (`collab_messages_total`) plus connection attempts. Attempts are not a metric, so
 * they are written as accepted (`collab_connections_total`) + failed (`ws_errors_total`): a refused
 * attempt is then counted once on each side, which keeps the ratio within 0..1 even when refusals
 * outnumber everything else (dividing by accepted connections only let a refusal storm push it far
 * above 1). An accepted connection that later fails appears twice in the denominator (accepted and
 * failed), so the ratio is low by at most its own value, relatively — 0.1 % at the objective.
 */
export function wsErrorRatio(range: string, matcher = ''): string {
  const sel = matcher ? `{${matcher}}` : '';
  const errors = `(sum(rate(ws_errors_total${sel}[${range}])) or vector(0))`;
  const messages = `(sum(rate(collab_messages_total${sel}[${range}])) or vector(0))`;
  const accepted = `(sum(rate(collab_connections_total${sel}[${range}])) or vector(0))`;
  return `${errors} / (${messages} + ${accepted} + ${errors})`;
}

export const SLOS: readonly SloDef[] = [
  {
    id: 'uptime',
    title: 'Uptime',
    objective: 0.9995,
    sli: `fraction of scrapes of the collab pods (up{job="${JOB}"}) that succeed`,
    errorRatio: (w) => `1 - avg(avg_over_time(up{job="${JOB}"}[${w}]))`,
    fastSeverity: 'page',
  },
  {
    id: 'presence',
    title: 'Presence RTT p95 ≤ 40 ms',
    objective: 0.95,
    sli: 'fraction of presence round trips that take at most 40 ms (le="40" bucket)',
    errorRatio: (w) =>
      `1 - (sum(rate(presence_rtt_ms_bucket{le=~"${LE_40}"}[${w}])) / sum(rate(presence_rtt_ms_count[${w}])))`,
    fastSeverity: 'page',
  },
  {
    id: 'errors',
    title: 'Error rate < 0.1 %',
    objective: 0.999,
    sli: 'failed WebSocket connections (ws_errors_total) per message received plus connection attempt (accepted or failed)',
    errorRatio: (w) => wsErrorRatio(w),
    fastSeverity: 'page',
  },
  {
    id: 'opslag',
    title: `Ops lag < ${OPS_LAG_THRESHOLD}`,
    objective: 0.99,
    sli: `fraction of evaluations where the worst collab_ops_lag is below ${OPS_LAG_THRESHOLD}`,
    errorRatio: (w) => `1 - avg_over_time(${OPS_LAG_OK}[${w}])`,
    // Deliberately a ticket, not a page: the design rates ops lag Sev-3 (Slack). A storage backlog loses
    // nothing acknowledged (updates are applied only once durable); a storage outage pages via error rate.
    fastSeverity: 'ticket',
  },
];

export function errorRatioRecord(w: SloWindow): string {
  return `slo:sli_error:ratio_rate${w}`;
}
export const OBJECTIVE_RECORD = 'slo:objective:ratio';

/** Error budget as a fraction, printed without float noise (0.0005, not 0.0004999…). */
export function budget(slo: SloDef): string {
  return String(Number((1 - slo.objective).toPrecision(6)));
}

/** Multi-window multi-burn-rate pairs (Google SRE workbook, 30-day budget). */
export const BURN_PAIRS = {
  fast: [
    { long: '1h', short: '5m', factor: 14.4 },
    { long: '6h', short: '30m', factor: 6 },
  ],
  slow: [
    { long: '1d', short: '2h', factor: 3 },
    { long: '3d', short: '6h', factor: 1 },
  ],
} as const satisfies Record<string, readonly { long: SloWindow; short: SloWindow; factor: number }[]>;

export interface AlertDef {
  /** Alert name; also the runbook file name docs/runbooks/<name>.md and (kebab-cased) the Grafana uid. */
  name: string;
  expr: string;
  for: string;
  severity: Severity;
  slo: SloId;
  summary: string;
  description: string;
}

/** The runbook of an alert in this repository. */
export function runbookPath(alert: string): string {
  return `docs/runbooks/${alert}.md`;
}

/**
 * Where the runbooks are served by default: the compose stack's `runbooks` service, which serves
 * docs/runbooks read-only on http://localhost:8088 (docker/runbooks/server.mjs).
 */
export const DEFAULT_RUNBOOK_BASE_URL = 'http://localhost:8088';

/**
 * Base URL of the alerts' `runbook_url`: `RUNBOOK_BASE_URL` from the generator's environment, else the
 * local default. Applied when generating, not by Grafana: Grafana expands environment variables in
 * alert rule labels but not in annotations (grafana/grafana#84250). Absolute http(s), no query or
 * fragment; a trailing slash is dropped. Anything else is a clear error.
 */
export function runbookBaseUrl(env: Record<string, string | undefined> = process.env): string {
  const raw = env.RUNBOOK_BASE_URL?.trim() || DEFAULT_RUNBOOK_BASE_URL;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`RUNBOOK_BASE_URL must be an absolute http(s) URL, got ${JSON.stringify(raw)}`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.search || url.hash || url.username) {
    throw new Error(
      `RUNBOOK_BASE_URL must be an absolute http(s) URL without credentials, query or fragment, got ${JSON.stringify(raw)}`
    );
  }
  return url.href.replace(/\/+$/, '');
}

/** The clickable runbook link of an alert (Grafana UI, Slack, PagerDuty): `<base>/<alert>.md`. */
export function runbookUrl(alert: string, base: string = runbookBaseUrl()): string {
  return `${base}/${alert}.md`;
}

function capital(id: SloId): string {
  return ({ uptime: 'Uptime', presence: 'PresenceRtt', errors: 'ErrorRate', opslag: 'OpsLag' } as const)[id];
}

function burnExpr(
  slo: SloDef,
  pairs: readonly { long: SloWindow; short: SloWindow; factor: number }[]
): string {
  const b = budget(slo);
  const sel = (w: SloWindow) => `${errorRatioRecord(w)}{slo="${slo.id}"}`;
  return pairs
    .map((p) => `(${sel(p.long)} > (${p.factor} * ${b}) and ${sel(p.short)} > (${p.factor} * ${b}))`)
    .join(' or ');
}

function burnAlerts(slo: SloDef): AlertDef[] {
  const pct = (x: number) => `${Number((x * 100).toPrecision(6))} %`;
  return [
    {
      name: `Collab${capital(slo.id)}BudgetBurnFast`,
      expr: burnExpr(slo, BURN_PAIRS.fast),
      for: '2m',
      severity: slo.fastSeverity,
      slo: slo.id,
      summary: `${slo.title} SLO (${pct(slo.objective)}): error budget burning fast (14.4× over 1h/5m or 6× over 6h/30m)`,
      description: `At this rate the 30-day error budget of the ${slo.id} SLO is gone within 2 to 5 days. SLI: ${slo.sli}.`,
    },
    {
      name: `Collab${capital(slo.id)}BudgetBurnSlow`,
      expr: burnExpr(slo, BURN_PAIRS.slow),
      for: '15m',
      severity: 'ticket',
      slo: slo.id,
      summary: `${slo.title} SLO (${pct(slo.objective)}): error budget burning steadily (3× over 1d/2h or 1× over 3d/6h)`,
      description: `The ${slo.id} SLO will miss its 30-day target if this continues. SLI: ${slo.sli}.`,
    },
  ];
}

/**
 * `for` of the threshold alerts. Their expressions already look at a 5-minute window (the 5 m p95,
 * the 5 m error ratio, the 5 m average ops lag), so a longer `for` would only add delay on top of
 * it; 1 m (two consecutive evaluations) keeps a single bad evaluation from notifying.
 */
export const THRESHOLD_FOR = '1m';

export const ALERTS: readonly AlertDef[] = [
  ...SLOS.flatMap(burnAlerts),
  {
    name: 'CollabPresenceRttP95High',
    expr: `${PRESENCE_P95} > 60`,
    for: THRESHOLD_FOR,
    severity: 'page',
    slo: 'presence',
    summary: 'Presence RTT p95 over 5 minutes is above 60 ms',
    description: 'Cursors and selections lag visibly for users; the presence SLO target is p95 ≤ 40 ms.',
  },
  {
    name: 'CollabErrorRateHigh',
    expr: `${errorRatioRecord('5m')}{slo="errors"} > 0.005`,
    for: THRESHOLD_FOR,
    severity: 'page',
    slo: 'errors',
    summary: 'WebSocket error rate over 5 minutes is above 0.5 %',
    description:
      'More than 0.5 % of messages and connection attempts end in a WebSocket error (SLO: < 0.1 %).',
  },
  {
    name: 'CollabOpsLagHigh',
    // A 5-minute average: compaction makes the gauge a saw-tooth (up to COLLAB_COMPACT_OPS per room
    // between snapshots), so short peaks above 500 are normal; a sustained backlog is not.
    expr: 'avg_over_time((max by (org) (collab_ops_lag))[5m:]) > 500',
    for: THRESHOLD_FOR,
    severity: 'ticket',
    slo: 'opslag',
    summary: 'Ops lag of org {{ $labels.org }} averaged above 500 over 5 minutes',
    description:
      'Updates are accepted faster than they become durable/compacted (collab_ops_lag 5-minute average > 500, SLO < 200). Value: {{ $value }}.',
  },
];
