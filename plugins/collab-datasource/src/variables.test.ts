import { firstValueFrom } from 'rxjs';
import { describe, expect, it, vi } from 'vitest';
import {
  CustomVariableSupport,
  type DataFrame,
  type DataQueryRequest,
  dateTime,
  VariableSupportType,
} from '@grafana/data';

import { VariableQueryEditor } from './components/VariableQueryEditor';
import { CollabDataSource } from './datasource';
import { collabSettings } from './datasource.testutil';
import type { CollabVariableQuery } from './types';
import { describeVariableQuery, toVariableQuery, VARIABLE_REF_ID, variableFrame } from './variableQuery';
import { CollabVariableSupport } from './variables';

function request(target: unknown): DataQueryRequest<CollabVariableQuery> {
  return {
    requestId: 'v1',
    interval: '1s',
    intervalMs: 1000,
    range: { from: dateTime(0), to: dateTime(1000), raw: { from: 'now-1h', to: 'now' } },
    scopedVars: { org: { text: 'acme', value: 'acme' } },
    targets: [target as CollabVariableQuery],
    timezone: 'utc',
    app: 'dashboard',
    startTime: 0,
  };
}

const columns = (f: DataFrame | undefined) =>
  Object.fromEntries((f?.fields ?? []).map((x) => [x.name, [...x.values]]));

describe('toVariableQuery: every stored shape', () => {
  it('reads the current shape, the legacy object without refId, a plain string and nothing', () => {
    expect(toVariableQuery({ refId: 'room-var', kind: 'rooms', org: 'acme' })).toEqual({
      refId: 'room-var',
      kind: 'rooms',
      org: 'acme',
    });
    expect(toVariableQuery({ kind: 'pods' })).toEqual({ refId: VARIABLE_REF_ID, kind: 'pods' });
    expect(toVariableQuery({ org: ' globex ' })).toEqual({
      refId: VARIABLE_REF_ID,
      kind: 'rooms',
      org: 'globex',
    });
    expect(toVariableQuery('acme')).toEqual({ refId: VARIABLE_REF_ID, kind: 'rooms', org: 'acme' });
    expect(toVariableQuery('')).toEqual({ refId: VARIABLE_REF_ID, kind: 'rooms' });
    expect(toVariableQuery(undefined)).toEqual({ refId: VARIABLE_REF_ID, kind: 'rooms' });
    // org only means something for rooms; a summary is kept.
    expect(toVariableQuery({ kind: 'orgs', org: 'acme', query: 'orgs' })).toEqual({
      refId: VARIABLE_REF_ID,
      kind: 'orgs',
      query: 'orgs',
    });
  });

  it('rejects anything else with a clear error', () => {
    expect(() => toVariableQuery({ kind: 'users' })).toThrow(/unknown collab variable kind "users"/);
    expect(() => toVariableQuery(42)).toThrow(/must be an object, got number/);
    expect(() => toVariableQuery(['rooms'])).toThrow(/got array/);
  });

  it('describes a query for Grafana’s definition column', () => {
    expect(describeVariableQuery({ kind: 'rooms', org: 'acme' })).toBe('rooms of acme');
    expect(describeVariableQuery({ kind: 'rooms' })).toBe('rooms');
    expect(describeVariableQuery({ kind: 'pods' })).toBe('pods');
  });
});

describe('CollabVariableSupport', () => {
  it('is the datasource’s custom variable support with the typed editor (no legacy metricFindQuery path)', () => {
    const ds = new CollabDataSource(collabSettings());
    expect(ds.variables).toBeInstanceOf(CustomVariableSupport);
    expect(ds.variables).toBeInstanceOf(CollabVariableSupport);
    expect(ds.variables?.getType()).toBe(VariableSupportType.Custom);
    expect((ds.variables as CollabVariableSupport).editor).toBe(VariableQueryEditor);
  });

  it('runs the stored query (any shape) through metricFindQuery and answers a text/value frame', async () => {
    const metricFindQuery = vi.fn(async () => [{ text: 'acme/a', value: 'acme/a' }, { text: 'acme/b' }]);
    const vs = new CollabVariableSupport({ metricFindQuery } as unknown as CollabDataSource);
    const res = await firstValueFrom(vs.query(request({ refId: 'room-var', kind: 'rooms', org: '$org' })));
    expect(metricFindQuery).toHaveBeenLastCalledWith(
      { refId: 'room-var', kind: 'rooms', org: '$org' },
      { scopedVars: { org: { text: 'acme', value: 'acme' } } }
    );
    expect(res.error).toBeUndefined();
    expect(res.data[0].refId).toBe('room-var');
    expect(columns(res.data[0])).toEqual({ text: ['acme/a', 'acme/b'], value: ['acme/a', 'acme/b'] });
    // A dashboard saved with the legacy editor: `{ kind, org }` without refId, or a plain org string.
    await firstValueFrom(vs.query(request({ kind: 'pods' })));
    expect(metricFindQuery).toHaveBeenLastCalledWith(
      { refId: VARIABLE_REF_ID, kind: 'pods' },
      expect.anything()
    );
    await firstValueFrom(vs.query(request('globex')));
    expect(metricFindQuery).toHaveBeenLastCalledWith(
      { refId: VARIABLE_REF_ID, kind: 'rooms', org: 'globex' },
      expect.anything()
    );
  });

  it('reports a bad stored query or failing pods as the response error, never by throwing', async () => {
    const metricFindQuery = vi.fn(async () => {
      throw new Error('no pod answered: connection refused');
    });
    const vs = new CollabVariableSupport({ metricFindQuery } as unknown as CollabDataSource);
    const bad = await firstValueFrom(vs.query(request({ kind: 'users' })));
    expect(bad).toEqual({
      data: [],
      error: { message: expect.stringContaining('unknown collab variable kind') },
    });
    expect(metricFindQuery).not.toHaveBeenCalled();
    const down = await firstValueFrom(vs.query(request({ refId: 'v', kind: 'orgs' })));
    expect(down).toEqual({ data: [], error: { message: 'no pod answered: connection refused' } });
  });

  it('variableFrame stringifies values and falls back to the text', () => {
    expect(columns(variableFrame('A', [{ text: 'x', value: 3 }, { text: 'y' }]))).toEqual({
      text: ['x', 'y'],
      value: ['3', 'y'],
    });
  });
});
