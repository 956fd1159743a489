import { describe, expect, it } from 'vitest';

import type { PodConnection } from '../stream/podConnection';
import { PodFilterCheck } from './live';

const conn = (url: string, podName: string) => ({ url, podName }) as unknown as PodConnection;

describe('live pod filter check', () => {
  it('waits until every pod said its name or failed, then names what exists', () => {
    const a = conn('http://a:1', 'a:1');
    const b = conn('http://b:1', 'b:1');
    const check = new PodFilterCheck('pod-c', [a, b]);
    a.podName = 'pod-a';
    expect(check.see(a, { type: 'status', pod: 'pod-a', status: 'live' })).toBe(false);
    expect(check.error).toBeNull(); // b has not answered yet
    expect(
      check.see(b, { type: 'error', pod: 'b:1', message: 'closed', code: 'connection', fatal: false })
    ).toBe(true);
    expect(check.error).toBe(
      'no pod named "pod-c": the pods are pod-a; not reachable: http://b:1 — check the Pod field (or its variable), or leave it empty for every pod'
    );
    // b comes back under the filtered name: the error clears.
    b.podName = 'pod-c';
    expect(check.see(b, { type: 'status', pod: 'pod-c', status: 'live' })).toBe(true);
    expect(check.error).toBeNull();
  });

  it('a URL or a name matches; a bare status before hello names nothing', () => {
    const a = conn('http://a:1', 'a:1');
    const byUrl = new PodFilterCheck('http://a:1', [a]);
    byUrl.see(a, { type: 'status', pod: 'a:1', status: 'connecting' });
    expect(byUrl.error).toBeNull();
    const typo = new PodFilterCheck('pod-x', [a]);
    typo.see(a, { type: 'status', pod: 'a:1', status: 'connecting' });
    expect(typo.error).toBeNull();
    a.podName = 'pod-a';
    typo.see(a, { type: 'message', pod: 'pod-a', msg: { type: 'pong', v: 1, serverTime: 1 } });
    expect(typo.error).toMatch(/^no pod named "pod-x": the pods are pod-a — /);
  });
});
