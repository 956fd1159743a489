/**
 * Structured JSON logs (pino). Tokens, API keys and user names are redacted by
 * path; token-looking substrings (`?token=…`, `Bearer …`, JWTs) are masked in
 * string messages; URLs are logged without their query string (`safeUrl`).
 * Inside a sampled span the `trace_id` / `span_id` are added so Loki lines
 * link to Tempo traces.
 */
import { context, isSpanContextValid, trace, TraceFlags } from '@opentelemetry/api';
import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';

const SECRET_KEYS = [
  'token',
  'accessToken',
  'access_token',
  'refreshToken',
  'apiKey',
  'api_key',
  'authorization',
  'password',
  'secret',
  'cookie',
  'jwt',
  'displayName',
  'display_name',
  'userName',
  'username',
  'email',
];

export const REDACT_PATHS = [
  ...SECRET_KEYS,
  'name',
  'user.name',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["sec-websocket-protocol"]',
  'headers.authorization',
  'headers.cookie',
  ...SECRET_KEYS.map((k) => `*.${k}`),
  '*.user.name',
];

const MESSAGE_SECRETS: Array<[RegExp, string]> = [
  // Query-string credentials: ?token=…, &access_token=…, api_key=…
  [/((?:^|[?&;\s])(?:token|access_token|api_key|apikey|key|auth)=)[^&\s"']+/gi, '$1[redacted]'],
  [/(bearer\s+)[A-Za-z0-9._~+/=-]+/gi, '$1[redacted]'],
  // Compact JWS: three base64url segments starting with a JSON header ("eyJ").
  [/eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, '[redacted-jwt]'],
];

/** Masks credential-looking substrings in a free-text log message. */
export function scrubMessage(msg: string): string {
  let out = msg;
  for (const [re, rep] of MESSAGE_SECRETS) out = out.replace(re, rep);
  return out;
}

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
    hooks: {
      logMethod(args, method) {
        for (let i = 0; i < args.length; i++) {
          const a: unknown = args[i];
          if (typeof a === 'string') args[i] = scrubMessage(a);
        }
        return method.apply(this, args);
      },
    },
    mixin() {
      const span = trace.getSpan(context.active());
      if (!span) return {};
      const sc = span.spanContext();
      // Only sampled spans reach Tempo: link those, so every trace_id in Loki resolves.
      if (!isSpanContextValid(sc) || (sc.traceFlags & TraceFlags.SAMPLED) !== TraceFlags.SAMPLED) return {};
      return { trace_id: sc.traceId, span_id: sc.spanId };
    },
  };
  return destination ? pino(options, destination) : pino(options);
}

/** Strips the query string (which may hold a token) and fragment from a request URL before logging it. */
export function safeUrl(url: string | undefined): string {
  if (!url) return '';
  const q = url.search(/[?#]/);
  return q === -1 ? url : url.slice(0, q);
}

export type { Logger };
