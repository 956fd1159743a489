/**
 * Logs to stderr as JSON lines in the hclog layout go-plugin's host parses (`@level`, `@message`,
 * `@timestamp`), so Grafana shows them in its own log with the plugin's name. Never log a secret: callers
 * pass pod URLs, room names and error texts only, never keys or tokens.
 */
type Level = 'debug' | 'info' | 'warn' | 'error';

export function log(level: Level, message: string, fields: Record<string, unknown> = {}): void {
  const line = JSON.stringify({
    '@level': level,
    '@message': message,
    '@timestamp': new Date().toISOString(),
    ...fields,
  });
  process.stderr.write(`${line}\n`);
}
