// The sandbox's pretend-Grafana auth proxy decides like Grafana with `[auth.proxy]` on and auto sign-up off:
// the identity comes from the header only, an organisation the login is not a member of is refused, and so is
// a dashboard the organisation does not have. Pure decisions (the HTTP side: e2e/tests/sandbox-embed.e2e.test.ts).
import { describe, expect, it } from 'vitest';

import { decide } from '../src/embed/authProxy.js';

const ORGS = [
  {
    grafanaOrgId: 2,
    login: 'embed-viewer-acme',
    dashboards: ['collab-org-admin'],
    upstream: 'http://127.0.0.1:1',
  },
  {
    grafanaOrgId: 3,
    login: 'embed-viewer-globex',
    dashboards: ['collab-org-admin'],
    upstream: 'http://127.0.0.1:2',
  },
];
const H = 'X-WEBAUTH-USER';
const acme = { 'x-webauth-user': 'embed-viewer-acme' };

describe('pretend-Grafana auth proxy', () => {
  it('serves an org member its organisation: the dashboard at the host page, the rest as is', () => {
    expect(
      decide(ORGS, H, 'GET', '/d/collab-org-admin/org-admin?orgId=2&var-room=acme%2Fa', acme)
    ).toMatchObject({
      kind: 'forward',
      org: ORGS[0],
      path: '/?orgId=2&var-room=acme%2Fa',
    });
    expect(decide(ORGS, H, 'GET', '/d-solo/collab-org-admin?orgId=2&panelId=2', acme)).toMatchObject({
      kind: 'forward',
      path: '/?orgId=2&panelId=2',
    });
    expect(
      decide(ORGS, H, 'POST', '/api/datasources/proxy/uid/collab/inspect-token/metadata', {
        'x-webauth-user': 'embed-viewer-globex',
        'x-grafana-org-id': '3',
      })
    ).toMatchObject({
      kind: 'forward',
      org: ORGS[1],
      path: '/api/datasources/proxy/uid/collab/inspect-token/metadata',
    });
    expect(decide(ORGS, H, 'GET', '/api/user', acme)).toEqual({ kind: 'user', org: ORGS[0] });
  });

  it('refuses no identity, an unknown login, another organisation and another dashboard', () => {
    expect(decide(ORGS, H, 'GET', '/d/collab-org-admin?orgId=2', {})).toMatchObject({
      kind: 'refuse',
      status: 401,
    });
    expect(decide(ORGS, H, 'GET', '/public/plugins/x/module.js', {})).toMatchObject({ status: 401 });
    expect(decide(ORGS, H, 'GET', '/d/collab-org-admin', { 'x-webauth-user': 'admin' })).toMatchObject({
      status: 401,
    });
    expect(decide(ORGS, H, 'GET', '/d/collab-org-admin?orgId=3', acme)).toMatchObject({ status: 403 });
    expect(
      decide(ORGS, H, 'GET', '/api/datasources/uid/collab', { ...acme, 'x-grafana-org-id': '3' })
    ).toMatchObject({ status: 403 });
    expect(decide(ORGS, H, 'GET', '/d/collab-sre-internal?orgId=2', acme)).toMatchObject({ status: 404 });
    expect(decide(ORGS, H, 'GET', '/', acme)).toMatchObject({ status: 404 });
    expect(decide(ORGS, H, 'POST', '/d/collab-org-admin', acme)).toMatchObject({ status: 405 });
  });
});
