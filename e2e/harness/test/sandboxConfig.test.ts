// `npm run sandbox` works out of the box against `npm start`: its defaults are the pod, the org key and a room
// that scripts/dev-up.sh and the simulator it starts actually provide.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

import { parseCli } from '../../../collab-server/src/sim/config.js';
import { planRooms } from '../../../collab-server/src/sim/simulator.js';
import { REPO_ROOT } from '../src/server/paths.js';
import { SANDBOX_DEFAULTS, sandboxSettings } from '../src/sandboxConfig.js';

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
    expect(s.jsonData).toEqual({ podUrls: [s.podUrl], tokenUrl: s.podUrl });
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
    expect(s.jsonData).toEqual({ podUrls: ['http://pod:4000'], tokenUrl: 'http://pod:4000' });
    expect(() => sandboxSettings({ SANDBOX_POD_URL: 'nope' })).toThrow(/SANDBOX_POD_URL/);
    expect(() => sandboxSettings({ SANDBOX_POD_URL: 'ws://x:1' })).toThrow(/http/);
    expect(() => sandboxSettings({ SANDBOX_ROLE: 'Root' })).toThrow(/SANDBOX_ROLE/);
    expect(() => sandboxSettings({ SANDBOX_PORT: '70000' })).toThrow(/SANDBOX_PORT/);
    expect(() => sandboxSettings({ SANDBOX_JSON_DATA: '[1]' })).toThrow(/JSON object/);
  });
});
