// Local alert receiver for the compose stack: Grafana's contact points (webhook, and Slack while
// SLACK_WEBHOOK_URL points here) POST their notifications to it, and it logs one JSON line per
// notification with what an on-call person needs to see — which alerts, firing or resolved, severity,
// SLO, org, runbook — so `docker compose logs -f alert-sink` (or Loki, job="alert-sink") shows them.
// It logs only those fields, never headers, the query string or the raw body (a real Slack or
// PagerDuty URL carries its secret in the path or query). Bodies are capped at MAX_BODY_BYTES.
// Environment: PORT (0 = any free port), HOST.
import { Buffer } from 'node:buffer';
import { createServer } from 'node:http';

const port = Number(process.env.PORT ?? '8080');
const host = process.env.HOST ?? '0.0.0.0';
const MAX_BODY_BYTES = 1024 * 1024;
const MAX_ALERTS_LOGGED = 50;
const MAX_TEXT = 300;

if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(JSON.stringify({ msg: 'alert-sink: PORT must be an integer 0..65535', port }));
  process.exit(2);
}

function log(record) {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...record })}\n`);
}

function str(v) {
  return typeof v === 'string' ? v.slice(0, MAX_TEXT) : undefined;
}

function isObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** The loggable summary of a notification: Grafana webhook (alerts[]) or Slack (text/attachments). */
function summarize(body) {
  if (!isObject(body)) return { kind: 'unknown' };
  if (Array.isArray(body.alerts)) {
    const alerts = body.alerts.filter(isObject);
    return {
      kind: 'webhook',
      receiver: str(body.receiver),
      status: str(body.status),
      alertCount: alerts.length,
      alerts: alerts.slice(0, MAX_ALERTS_LOGGED).map((a) => {
        const labels = isObject(a.labels) ? a.labels : {};
        const annotations = isObject(a.annotations) ? a.annotations : {};
        return {
          alertname: str(labels.alertname),
          status: str(a.status),
          severity: str(labels.severity),
          slo: str(labels.slo),
          org: str(labels.org),
          summary: str(annotations.summary),
          runbook_url: str(annotations.runbook_url),
          startsAt: str(a.startsAt),
        };
      }),
    };
  }
  if (typeof body.text === 'string' || Array.isArray(body.attachments)) {
    const attachments = Array.isArray(body.attachments) ? body.attachments.filter(isObject) : [];
    return {
      kind: 'slack',
      channel: str(body.channel),
      text: str(body.text),
      titles: attachments.slice(0, MAX_ALERTS_LOGGED).map((a) => str(a.title) ?? str(a.fallback)),
    };
  }
  return { kind: 'unknown' };
}

const server = createServer((req, res) => {
  // Path only: a query string may carry a token.
  const path = (req.url ?? '/').split('?')[0].slice(0, 200);
  if (req.method === 'GET' && path === '/healthz') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    return;
  }
  if (req.method !== 'POST') {
    res.writeHead(405, { 'content-type': 'text/plain' }).end('method not allowed\n');
    return;
  }
  const chunks = [];
  let bytes = 0;
  let tooBig = false;
  req.on('data', (c) => {
    bytes += c.length;
    if (bytes > MAX_BODY_BYTES) tooBig = true;
    else chunks.push(c);
  });
  req.on('error', () => res.destroy());
  req.on('end', () => {
    if (tooBig) {
      log({ msg: 'alert notification rejected: body too large', path, bytes });
      res.writeHead(413, { 'content-type': 'text/plain' }).end('too large\n');
      return;
    }
    let summary;
    try {
      summary = summarize(JSON.parse(Buffer.concat(chunks).toString('utf8')));
    } catch {
      summary = { kind: 'unparsable' };
    }
    log({ msg: 'alert notification', path, bytes, ...summary });
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
  });
});

server.listen(port, host, () => {
  const addr = server.address();
  log({ msg: 'alert-sink listening', port: typeof addr === 'object' && addr ? addr.port : port });
});
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => server.close(() => process.exit(0)));
