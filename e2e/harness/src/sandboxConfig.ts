// Settings of `npm run sandbox` from the environment. The defaults match `npm start` (scripts/dev-up.sh): its pod
// on 127.0.0.1:1234, its org `acme` API key, and a room the simulator always creates there.
import { assertLeg } from './server/paths.js';
import { type Leg, ORG_ROLES, type OrgRole } from './shared/types.js';

/** What `npm start` runs (scripts/dev-up.sh): keep in sync — test/sandboxConfig.test.ts reads that script. */
export const SANDBOX_DEFAULTS = {
  podUrl: 'http://127.0.0.1:1234',
  /** dev-up's throwaway key for org acme (COLLAB_API_KEYS), content scope: devPodKey('acme'). */
  apiKey: 'local-dev-acme-key',
  /** The simulator's first room of org acme (it creates rooms in acme, globex, initech). */
  room: 'acme/roadmap-2026',
  leg: 'grafana-12',
  port: 3300,
  role: 'Admin',
  /** The embed: the gateway and the SaaS page (docs/EMBEDDING.md). */
  gatewayPort: 3301,
  saasPort: 3302,
} as const;

/** dev-up's throwaway pod key of `org` (COLLAB_API_KEYS: `local-dev-<org>-key`, content scope). */
export const devPodKey = (org: string): string => `local-dev-${org}-key`;

export interface SandboxSettings {
  leg: Leg;
  podUrl: string;
  /** undefined when SANDBOX_API_KEY is set to `none`. */
  apiKey: string | undefined;
  room: string;
  port: number;
  role: OrgRole;
  jsonData: Record<string, unknown>;
}

function parseJsonObject(name: string, text: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`${name} is not valid JSON`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new Error(`${name} must be a JSON object`);
  return parsed as Record<string, unknown>;
}

/** Reads SANDBOX_* (empty = default); throws a clear error on a bad value. */
export function sandboxSettings(env: NodeJS.ProcessEnv): SandboxSettings {
  const get = (name: string, fallback: string): string => {
    const v = env[name];
    return v === undefined || v === '' ? fallback : v;
  };
  const leg = assertLeg(get('SANDBOX_LEG', SANDBOX_DEFAULTS.leg));
  const rawPod = get('SANDBOX_POD_URL', SANDBOX_DEFAULTS.podUrl);
  let pod: URL;
  try {
    pod = new URL(rawPod);
  } catch {
    throw new Error(`SANDBOX_POD_URL is not a URL: ${rawPod}`);
  }
  if (pod.protocol !== 'http:' && pod.protocol !== 'https:')
    throw new Error(`SANDBOX_POD_URL must be http(s): ${rawPod}`);
  const podUrl = pod.toString().replace(/\/$/, '');
  const role = get('SANDBOX_ROLE', SANDBOX_DEFAULTS.role);
  if (!(ORG_ROLES as readonly string[]).includes(role))
    throw new Error(`SANDBOX_ROLE must be one of ${ORG_ROLES.join(', ')}`);
  const port = Number(get('SANDBOX_PORT', String(SANDBOX_DEFAULTS.port)));
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error('SANDBOX_PORT must be a port number');
  const key = get('SANDBOX_API_KEY', SANDBOX_DEFAULTS.apiKey);
  const jsonData = parseJsonObject(
    'SANDBOX_JSON_DATA',
    get('SANDBOX_JSON_DATA', JSON.stringify({ podUrls: [podUrl] }))
  );
  return {
    leg,
    podUrl,
    apiKey: key === 'none' ? undefined : key,
    room: get('SANDBOX_ROOM', SANDBOX_DEFAULTS.room),
    port,
    role: role as OrgRole,
    jsonData,
  };
}

export interface EmbedSettings {
  gatewayPort: number;
  saasPort: number;
  /** Each org of the org list with its pod key (SANDBOX_ORG_KEYS, default dev-up's) and, for the org of
   *  SANDBOX_ROOM, that room. */
  orgs: Array<{ id: string; name: string; podApiKey: string; room?: string }>;
}

function portOf(name: string, text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`${name} must be a port number`);
  return port;
}

/**
 * The signed-URL embed of `npm run sandbox` (undefined when SANDBOX_EMBED=off): SANDBOX_GATEWAY_PORT,
 * SANDBOX_SAAS_PORT, SANDBOX_ORG_KEYS (`org:key,…`; orgs it does not name keep dev-up's key).
 */
export function embedSettings(
  env: NodeJS.ProcessEnv,
  orgList: ReadonlyArray<{ id: string; name: string }>,
  room: string
): EmbedSettings | undefined {
  if (env.SANDBOX_EMBED === 'off') return undefined;
  if (env.SANDBOX_EMBED !== undefined && env.SANDBOX_EMBED !== '' && env.SANDBOX_EMBED !== 'on')
    throw new Error('SANDBOX_EMBED must be on or off');
  const keys = new Map<string, string>();
  for (const entry of (env.SANDBOX_ORG_KEYS ?? '').split(',').filter((e) => e.trim() !== '')) {
    const i = entry.indexOf(':');
    const org = entry.slice(0, i).trim();
    if (i <= 0 || !orgList.some((o) => o.id === org) || entry.slice(i + 1).trim() === '')
      throw new Error('SANDBOX_ORG_KEYS must be org:key pairs of orgs in provisioning/orgs.json');
    keys.set(org, entry.slice(i + 1).trim());
  }
  const roomOrg = room.split('/')[0];
  return {
    gatewayPort: portOf(
      'SANDBOX_GATEWAY_PORT',
      env.SANDBOX_GATEWAY_PORT || String(SANDBOX_DEFAULTS.gatewayPort)
    ),
    saasPort: portOf('SANDBOX_SAAS_PORT', env.SANDBOX_SAAS_PORT || String(SANDBOX_DEFAULTS.saasPort)),
    orgs: orgList.map((o) => ({
      id: o.id,
      name: o.name,
      podApiKey: keys.get(o.id) ?? devPodKey(o.id),
      ...(o.id === roomOrg ? { room } : {}),
    })),
  };
}
