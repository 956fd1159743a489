// Serves the runbooks (docs/runbooks, mounted read-only) over HTTP for the local stack, so the alerts'
// runbook_url (http://localhost:8088/<Alert>.md by default, see RUNBOOK_BASE_URL in docs/OBSERVABILITY.md)
// is clickable from Grafana, Slack and PagerDuty. Markdown is sent as UTF-8 plain text; `/` lists the
// runbooks; `/healthz` is the health check. Only `<name>.md` files directly in RUNBOOK_DIR are served
// (no other path reaches the file system). Environment: RUNBOOK_DIR, PORT (0 = any free port), HOST.
import { readFile, readdir } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join, resolve } from 'node:path';

const dir = resolve(process.env.RUNBOOK_DIR ?? '/srv/runbooks');
const port = Number(process.env.PORT ?? '8080');
const host = process.env.HOST ?? '0.0.0.0';
const NAME = /^([A-Za-z0-9][A-Za-z0-9_-]{0,127})\.md$/;
const TEXT = 'text/plain; charset=utf-8';

if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(JSON.stringify({ msg: 'runbook server: PORT must be an integer 0..65535', port }));
  process.exit(2);
}

const server = createServer((req, res) => {
  const send = (status, type, body) => {
    res.writeHead(status, {
      'content-type': type,
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-cache',
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, TEXT, 'method not allowed\n');
  let path;
  try {
    path = decodeURIComponent(new URL(req.url ?? '/', 'http://runbooks').pathname);
  } catch {
    return send(400, TEXT, 'bad request\n');
  }
  if (path === '/healthz') return send(200, TEXT, 'ok\n');
  if (path === '/') {
    readdir(dir)
      .then((files) => {
        const names = files.filter((f) => NAME.test(f)).sort();
        const items = names.map((f) => `<li><a href="${f}">${f.slice(0, -3)}</a></li>`).join('\n');
        send(
          200,
          'text/html; charset=utf-8',
          `<!doctype html><title>Runbooks</title><ul>\n${items}\n</ul>\n`
        );
      })
      .catch(() => send(500, TEXT, 'runbook directory unreadable\n'));
    return;
  }
  const m = NAME.exec(path.slice(1));
  if (!m) return send(404, TEXT, 'not found\n');
  readFile(join(dir, `${m[1]}.md`))
    .then((text) => send(200, TEXT, text))
    .catch(() => send(404, TEXT, 'not found\n'));
});

server.listen(port, host, () => {
  const addr = server.address();
  const actual = typeof addr === 'object' && addr ? addr.port : port;
  process.stdout.write(`${JSON.stringify({ msg: 'runbook server listening', port: actual, dir })}\n`);
});
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => server.close(() => process.exit(0)));
