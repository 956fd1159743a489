// `npm run sandbox` works out of the box against `npm start`: its defaults are the pod, the org key and a room
// that scripts/dev-up.sh and the simulator it starts actually provide.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

import { parseCli } from '../../../collab-server/src/sim/config.js';
import { planRooms } from '../../../collab-server/src/sim/simulator.js';
import { REPO_ROOT } from '../src/server/paths.js';
import { embedSettings, SANDBOX_DEFAULTS, sandboxSettings } from '../src/sandboxConfig.js';

const devUp = fs.readFileSync(path.join(REPO_ROOT, 'scripts/dev-up.sh'), 'utf8');
const shellDefault = (name: string): string => {
  const m = new RegExp(`export ${name}="\\$\\{${name}:-([^}]*)\\}"`).exec(devUp);
  if (!m?.[1]) throw new Error(`dev-up.sh has no default for ${name}`);
  return m[1];
};

describe('sandbox settings', () => {
  it('default to the pod, org key and a simulator room of `npm start`', () => {
    const s = sandboxSettings({});
    expect(s.podUrl).toBe(`http://${shellDefault('HOST')}:${shellDefault('PORT')}`);
    const keys = shellDefault('COLLAB_API_KEYS')
      .split(',')
      .map((e) => e.split(':'));
    const org = s.room.split('/')[0];
    expect(keys).toContainEqual([org, s.apiKey, 'content']);
    // The rooms `npm start`'s simulator creates (dev-up.sh: --rooms ${SIM_ROOMS:-20}, the other options default).
    const rooms = /--rooms "\$\{SIM_ROOMS:-(\d+)\}"/.exec(devUp)?.[1];
    expect(rooms).toBeDefined();
    const cli = parseCli(['--url', 'ws://127.0.0.1:1', '--rooms', rooms!, '--no-auth'], {});
    if (cli.help) throw new Error('unexpected --help');
    expect(planRooms(cli.config).map((r) => r.id)).toContain(s.room);
    expect(s).toMatchObject({ leg: 'grafana-12', port: 3300, role: 'Admin' });
    expect(s.jsonData).toEqual({ podUrls: [s.podUrl] });
    expect(SANDBOX_DEFAULTS.room).toBe(s.room);
  });

  it('reads overrides; `none` means no API key; bad values are clear errors', () => {
    const s = sandboxSettings({
      SANDBOX_POD_URL: 'http://pod:4000/',
      SANDBOX_API_KEY: 'none',
      SANDBOX_ROOM: 'globex/x',
      SANDBOX_ROLE: 'Viewer',
      SANDBOX_PORT: '0',
      SANDBOX_LEG: 'grafana-13',
    });
    expect(s).toMatchObject({
      podUrl: 'http://pod:4000',
      apiKey: undefined,
      room: 'globex/x',
      role: 'Viewer',
      port: 0,
      leg: 'grafana-13',
    });
    expect(s.jsonData).toEqual({ podUrls: ['http://pod:4000'] });
    expect(() => sandboxSettings({ SANDBOX_POD_URL: 'nope' })).toThrow(/SANDBOX_POD_URL/);
    expect(() => sandboxSettings({ SANDBOX_POD_URL: 'ws://x:1' })).toThrow(/http/);
    expect(() => sandboxSettings({ SANDBOX_ROLE: 'Root' })).toThrow(/SANDBOX_ROLE/);
    expect(() => sandboxSettings({ SANDBOX_PORT: '70000' })).toThrow(/SANDBOX_PORT/);
    expect(() => sandboxSettings({ SANDBOX_JSON_DATA: '[1]' })).toThrow(/JSON object/);
  });
});

describe('sandbox embed settings', () => {
  const orgList = (
    JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'provisioning/orgs.json'), 'utf8')) as {
      orgs: Array<{ id: string; name: string }>;
    }
  ).orgs;

  it("default to every org of the org list with `npm start`'s pod key, and the sandbox room for its org", () => {
    const e = embedSettings({}, orgList, SANDBOX_DEFAULTS.room);
    expect(e).toBeDefined();
    const keys = shellDefault('COLLAB_API_KEYS')
      .split(',')
      .map((x) => x.split(':'));
    expect(e!.orgs.map((o) => o.id)).toEqual(orgList.map((o) => o.id));
    for (const o of e!.orgs) expect(keys).toContainEqual([o.id, o.podApiKey, 'content']);
    expect(e!.orgs.filter((o) => o.room)).toEqual([
      expect.objectContaining({ id: 'acme', room: SANDBOX_DEFAULTS.room }),
    ]);
    expect(e).toMatchObject({ gatewayPort: 3301, saasPort: 3302 });
  });

  it('reads overrides and refuses bad values', () => {
    const e = embedSettings(
      { SANDBOX_ORG_KEYS: 'globex:other-key', SANDBOX_GATEWAY_PORT: '0', SANDBOX_SAAS_PORT: '0' },
      orgList,
      'globex/x'
    );
    expect(e?.orgs.find((o) => o.id === 'globex')).toMatchObject({
      podApiKey: 'other-key',
      room: 'globex/x',
    });
    expect(e?.orgs.find((o) => o.id === 'acme')?.podApiKey).toBe('local-dev-acme-key');
    expect(embedSettings({ SANDBOX_EMBED: 'off' }, orgList, 'acme/x')).toBeUndefined();
    expect(() => embedSettings({ SANDBOX_EMBED: 'maybe' }, orgList, 'acme/x')).toThrow(/SANDBOX_EMBED/);
    expect(() => embedSettings({ SANDBOX_ORG_KEYS: 'nobody:k' }, orgList, 'acme/x')).toThrow(
      /SANDBOX_ORG_KEYS/
    );
    expect(() => embedSettings({ SANDBOX_ORG_KEYS: 'acme' }, orgList, 'acme/x')).toThrow(/SANDBOX_ORG_KEYS/);
    expect(() => embedSettings({ SANDBOX_SAAS_PORT: '-1' }, orgList, 'acme/x')).toThrow(/SANDBOX_SAAS_PORT/);
  });
});
