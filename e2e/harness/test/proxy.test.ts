import { describe, expect, it } from 'vitest';

import {
  interpolateRouteTemplate,
  matchRoute,
  planProxyRequest,
  type ProxyDatasource,
  roleSatisfies,
} from '../src/server/proxy.js';
import type { PluginJsonMeta } from '../src/shared/types.js';

const ds: ProxyDatasource = {
  uid: 'u1',
  pluginId: 'x-datasource',
  jsonData: { base: 'http://127.0.0.1:9000/api', tenant: 'acme' },
  secureJsonData: { key: 's3cret' },
};

const plugin: PluginJsonMeta = {
  id: 'x-datasource',
  type: 'datasource',
  name: 'X',
  routes: [
    {
      path: 'api',
      url: '{{ .JsonData.base }}',
      reqRole: 'Viewer',
      headers: [{ name: 'Authorization', content: 'Bearer {{ .SecureJsonData.key }}' }],
    },
    {
      path: 'api/admin',
      url: '{{ .JsonData.base }}/admin',
      reqRole: 'Admin',
      urlParams: [{ name: 't', content: '{{.JsonData.tenant}}' }],
    },
    { path: 'write', method: 'POST', url: '{{ .JsonData.base }}/write', reqRole: 'Editor' },
  ],
};

const plan = (proxyPath: string, role: 'Viewer' | 'Editor' | 'Admin', method = 'GET', headers = {}) =>
  planProxyRequest({ ds, plugin, proxyPath, search: '?q=1', method, role, incomingHeaders: headers });

describe('data proxy emulation', () => {
  it('ranks roles like Grafana', () => {
    expect(roleSatisfies('Viewer', undefined)).toBe(true);
    expect(roleSatisfies('Editor', 'Viewer')).toBe(true);
    expect(roleSatisfies('Editor', 'Admin')).toBe(false);
    expect(roleSatisfies('Admin', 'Bogus')).toBe(false);
  });

  it('interpolates JsonData and SecureJsonData, missing keys as empty', () => {
    expect(
      interpolateRouteTemplate('{{ .JsonData.tenant }}:{{.SecureJsonData.key}}:{{ .JsonData.nope }}', ds)
    ).toBe('acme:s3cret:');
  });

  it('matches the longest route prefix on segment boundaries, honouring methods', () => {
    const routes = plugin.routes ?? [];
    expect(matchRoute(routes, '/api/admin/x', 'GET')?.path).toBe('api/admin');
    expect(matchRoute(routes, '/api/rooms', 'GET')?.path).toBe('api');
    expect(matchRoute(routes, '/apix', 'GET')).toBeUndefined();
    expect(matchRoute(routes, '/write', 'GET')).toBeUndefined();
    expect(matchRoute(routes, '/write', 'POST')?.path).toBe('write');
  });

  it('forwards with injected headers and the remaining path, dropping cookies', () => {
    const d = plan('/api/rooms/1', 'Viewer', 'GET', {
      cookie: 'grafana_session=abc',
      accept: 'application/json',
    });
    expect(d.kind).toBe('forward');
    if (d.kind !== 'forward') return;
    expect(d.target.toString()).toBe('http://127.0.0.1:9000/api/rooms/1?q=1');
    expect(d.headers.authorization).toBe('Bearer s3cret');
    expect(d.headers.cookie).toBeUndefined();
    expect(d.headers.accept).toBe('application/json');
  });

  it('denies a route whose reqRole the user lacks, and adds urlParams when allowed', () => {
    expect(plan('/api/admin/stats', 'Editor')).toEqual({
      kind: 'deny',
      status: 403,
      message: 'plugin proxy route access denied',
    });
    const d = plan('/api/admin/stats', 'Admin');
    expect(d.kind === 'forward' && d.target.toString()).toBe(
      'http://127.0.0.1:9000/api/admin/stats?q=1&t=acme'
    );
  });

  it('refuses unknown paths when the datasource has no url, and bad route urls', () => {
    expect(plan('/other', 'Admin')).toMatchObject({ kind: 'deny', status: 404 });
    const broken = { ...ds, jsonData: { base: 'not a url' } };
    const d = planProxyRequest({
      ds: broken,
      plugin,
      proxyPath: '/api',
      search: '',
      method: 'GET',
      role: 'Admin',
      incomingHeaders: {},
    });
    expect(d).toMatchObject({ kind: 'deny', status: 502 });
  });
});
