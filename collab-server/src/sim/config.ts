/**
 * Command line and environment → a validated `SimConfig`. Flags win over env.
 * Bad input yields a `ConfigError` with a message meant for the user.
 */
import { parseArgs } from 'node:util';
import type { SimConfig } from './simulator.js';
import { PROFILE_NAMES, type ProfileName } from './profiles/index.js';
import { errorMessage } from '@collabblocks/protocol';

export class ConfigError extends Error {}

export const USAGE = `Usage: npm run sim -w collab-server -- [options]
       node dist/sim/main.js [options]

  --url <ws-url[,ws-url...]>  pod URL(s); bots are spread across them   (SIM_URLS, default ws://127.0.0.1:1234)
  --rooms <n>                 rooms in total                             (SIM_ROOMS, default 20)
  --clients <n>               bots in total                              (SIM_CLIENTS, default 200)
  --rate <ops/s>              total edits per second over all bots       (SIM_RATE, default 50)
  --orgs <n>                  organisations (acme, globex, initech, ...) (SIM_ORGS, default 3)
  --duration <t>              e.g. 30s, 5m, 2h; default: until SIGINT    (SIM_DURATION)
  --seed <n>                  random seed for a reproducible run         (SIM_SEED, default 1)
  --trace                     send TRACE_CONTEXT before some updates     (SIM_TRACE=1)
  --trace-ratio <0..1>        fraction of updates with a trace context   (default 0.1)
  --churn <per-min>           fraction of bots leaving per minute        (default 0.05)
  --skew <s>                  Zipf exponent of room popularity           (default 1.1)
  --room-ops-limit <n>        edits before a room moves to a fresh doc   (default 20000, 0 = never)
  --presence-interval <ms>    cursor update period                       (default 1000)
  --profile <list>            what rooms look like: mix (default: all) or a comma list of
                              sim, prosemirror, tiptap, codemirror, quill, lexical, tldraw,
                              excalidraw — documents and awareness as those editors write them
                              (a room's profile is a stable hash of its id)  (SIM_PROFILE)
  --progress-interval <ms>    progress line period                       (default 5000)
  --token-ttl <s>             lifetime of minted tokens                  (default 3600)
  --no-auth                   connect without tokens (servers without auth)
  -h, --help

Tokens are HS256 JWTs signed with COLLAB_JWT_SECRET (optional COLLAB_JWT_AUDIENCE, COLLAB_JWT_ISSUER).
All bots connect from one address: above 1000 bots per pod raise the pod's COLLAB_MAX_CONN_PER_IP.`;

export function parseDuration(input: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(input.trim());
  if (!m) throw new ConfigError(`invalid duration "${input}" (expected e.g. 30s, 5m, 2h)`);
  const v = Number(m[1]);
  const unit = m[2] ?? 's';
  const mult = unit === 'ms' ? 1 : unit === 's' ? 1000 : unit === 'm' ? 60_000 : 3_600_000;
  return Math.round(v * mult);
}

function num(
  name: string,
  raw: string | undefined,
  def: number,
  min: number,
  max: number,
  integer = true
): number {
  if (raw === undefined || raw === '') return def;
  const v = Number(raw);
  if (!Number.isFinite(v) || (integer && !Number.isInteger(v)) || v < min || v > max) {
    throw new ConfigError(
      `--${name} must be ${integer ? 'an integer' : 'a number'} in [${min}, ${max}], got "${raw}"`
    );
  }
  return v;
}

function parseUrls(raw: string): string[] {
  const urls = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (urls.length === 0) throw new ConfigError('--url needs at least one ws:// or wss:// URL');
  for (const u of urls) {
    let parsed: URL;
    try {
      parsed = new URL(u);
    } catch {
      throw new ConfigError(`invalid pod URL "${u}"`);
    }
    if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') {
      throw new ConfigError(`pod URL must be ws:// or wss://, got "${u}"`);
    }
    if (parsed.search || parsed.hash)
      throw new ConfigError(`pod URL must not have a query or fragment: "${u}"`);
  }
  return urls.map((u) => u.replace(/\/+$/, ''));
}

export type ParsedCli = { help: true } | { help: false; config: SimConfig };

/** `mix` (every profile) or a comma list of profile names. */
export function parseProfiles(raw: string): ProfileName[] {
  const names = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (names.length === 0 || (names.length === 1 && names[0] === 'mix')) return [...PROFILE_NAMES];
  for (const n of names) {
    if (!(PROFILE_NAMES as readonly string[]).includes(n))
      throw new ConfigError(`--profile: unknown profile "${n}"; use mix or ${PROFILE_NAMES.join(', ')}`);
  }
  return [...new Set(names)] as ProfileName[];
}

export function parseCli(argv: string[], env: NodeJS.ProcessEnv): ParsedCli {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        url: { type: 'string' },
        rooms: { type: 'string' },
        clients: { type: 'string' },
        rate: { type: 'string' },
        orgs: { type: 'string' },
        duration: { type: 'string' },
        seed: { type: 'string' },
        trace: { type: 'boolean' },
        'trace-ratio': { type: 'string' },
        churn: { type: 'string' },
        skew: { type: 'string' },
        'presence-interval': { type: 'string' },
        'room-ops-limit': { type: 'string' },
        'progress-interval': { type: 'string' },
        'token-ttl': { type: 'string' },
        'no-auth': { type: 'boolean' },
        profile: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new ConfigError(errorMessage(err));
  }
  if (values.help) return { help: true };

  const trace = values.trace === true || env.SIM_TRACE === '1' || env.SIM_TRACE === 'true';
  const durationRaw = values.duration ?? env.SIM_DURATION;
  const noAuth = values['no-auth'] === true;
  const secret = env.COLLAB_JWT_SECRET ?? '';
  if (!noAuth && secret.length === 0) {
    throw new ConfigError(
      'COLLAB_JWT_SECRET is not set: the simulator signs its tokens with the pod secret ' +
        '(or pass --no-auth for a server without auth)'
    );
  }
  const config: SimConfig = {
    urls: parseUrls(values.url ?? env.SIM_URLS ?? 'ws://127.0.0.1:1234'),
    rooms: num('rooms', values.rooms ?? env.SIM_ROOMS, 20, 1, 10_000),
    clients: num('clients', values.clients ?? env.SIM_CLIENTS, 200, 1, 20_000),
    rate: num('rate', values.rate ?? env.SIM_RATE, 50, 0, 100_000, false),
    orgs: num('orgs', values.orgs ?? env.SIM_ORGS, 3, 1, 1000),
    durationMs: durationRaw ? parseDuration(durationRaw) : null,
    seed: num('seed', values.seed ?? env.SIM_SEED, 1, 0, 2 ** 32 - 1),
    traceRatio: trace ? num('trace-ratio', values['trace-ratio'], 0.1, 0, 1, false) : 0,
    secret: noAuth ? null : secret,
    tokenTtlSeconds: num('token-ttl', values['token-ttl'], 3600, 10, 86_400 * 7),
    audience: env.COLLAB_JWT_AUDIENCE || undefined,
    issuer: env.COLLAB_JWT_ISSUER || undefined,
    progressIntervalMs: num('progress-interval', values['progress-interval'], 5000, 100, 3_600_000),
    presenceIntervalMs: num('presence-interval', values['presence-interval'], 1000, 50, 60_000),
    churnPerMinute: num('churn', values.churn, 0.05, 0, 1, false),
    skew: num('skew', values.skew, 1.1, 0, 5, false),
    roomOpsLimit: num('room-ops-limit', values['room-ops-limit'], 20_000, 0, 100_000_000),
    profiles: parseProfiles(values.profile ?? env.SIM_PROFILE ?? 'mix'),
  };
  if (config.orgs > config.rooms) {
    throw new ConfigError(`--orgs (${config.orgs}) cannot exceed --rooms (${config.rooms})`);
  }
  return { help: false, config };
}
