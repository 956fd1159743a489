/**
 * Structured JSON logs (pino). Tokens, API keys and user names are redacted by
 * path; URLs are logged without their query string. Inside an active span the
 * `trace_id` / `span_id` are added so Loki lines link to Tempo traces.
 */
import { context, trace } from '@opentelemetry/api';
import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';

export const REDACT_PATHS = [
  'token',
  'apiKey',
  'authorization',
  'name',
  'displayName',
  'user.name',
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  '*.token',
  '*.apiKey',
  '*.authorization',
  '*.displayName',
];

export function createLogger(
  opts: { level?: string; pod?: string } = {},
  destination?: DestinationStream
): Logger {
  const options: LoggerOptions = {
    level: opts.level ?? process.env.COLLAB_LOG_LEVEL ?? 'info',
    base: { pod: opts.pod ?? process.env.COLLAB_POD_NAME ?? undefined, service: 'collab-server' },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: {
      level: (label) => ({ level: label }),
    },
    mixin() {
      const span = trace.getSpan(context.active());
      if (!span) return {};
      const sc = span.spanContext();
      return { trace_id: sc.traceId, span_id: sc.spanId };
    },
  };
  return destination ? pino(options, destination) : pino(options);
}

/** Strips the query string (which may hold a token) from a request URL before logging it. */
export function safeUrl(url: string | undefined): string {
  if (!url) return '';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

export type { Logger };
