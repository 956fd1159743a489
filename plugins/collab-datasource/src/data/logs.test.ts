import { describe, expect, it } from 'vitest';
import { DataFrameType } from '@grafana/data';
import {
  FRAME_META_TYPES,
  TRAFFIC_FIELDS as T,
  UPDATES_FIELDS as U,
  type UpdateSummary,
} from '@collabblocks/protocol';

import { buildUpdatesFrame, gapUpdateRow, LogWindow, trafficRow, updateRow } from './logs';
import { MetricsWindow } from './metrics';
import { buildRoomsFrame } from './rooms';

const upd = (seq: number, extra: Partial<UpdateSummary> = {}): UpdateSummary => ({
  seq,
  ts: 1000 + seq,
  clientId: 42,
  conn: 'c-1',
  user: 'u-abc',
  origin: 'client',
  bytes: 30,
  inserted: 5,
  deleted: 1,
  paths: ['/doc/text'],
  preview: [{ path: '/doc/text', op: 'insert', value: 'hello secret' }],
  ...extra,
});

describe('updates / traffic log-lines frames', () => {
  it('updates window is a log-lines CircularDataFrame bounded by capacity', () => {
    const w = new LogWindow('updates', { refId: 'U', room: 'acme/a', capacity: 3 });
    for (let i = 1; i <= 5; i++) w.add(updateRow('p', 'acme/a', upd(i), 'metadata'));
    expect(w.frame.meta?.type).toBe(DataFrameType.LogLines);
    expect(w.frame.meta?.type).toBe(FRAME_META_TYPES.logLines);
    expect(w.length).toBe(3);
    expect(w.frame.fields[0]?.name).toBe('timestamp');
    expect(w.frame.fields[1]?.name).toBe('body');
    expect(Array.from(w.frame.fields.find((f) => f.name === U.seq)?.values ?? [])).toEqual([3, 4, 5]);
    const paths = w.frame.fields.find((f) => f.name === U.paths)?.values[0];
    expect(JSON.parse(String(paths))).toEqual(['/doc/text']);
  });

  it('puts typed text only in preview, only with content scope', () => {
    const meta = updateRow('p', 'acme/a', upd(1), 'metadata');
    expect(JSON.stringify(meta)).not.toContain('secret');
    const content = updateRow('p', 'acme/a', upd(1), 'content');
    expect(String(content[U.preview])).toContain('hello secret');
    expect(String(content[U.body])).not.toContain('secret');
    expect(content[U.labels]).toEqual({ room: 'acme/a', pod: 'p', origin: 'client' });
  });

  it('history frame has the same fields; gap rows are warnings', () => {
    const rows = [updateRow('p', 'acme/a', upd(1), 'metadata'), gapUpdateRow('p', 'acme/a', 5, 'resync')];
    const f = buildUpdatesFrame(rows, { refId: 'H', kind: 'history', room: 'acme/a' });
    expect(f.meta?.type).toBe(DataFrameType.LogLines);
    expect(f.fields.map((x) => x.name)).toEqual(Object.values(U));
    expect(f.fields.find((x) => x.name === U.severity)?.values).toEqual(['info', 'warning']);
  });

  it('traffic rows carry direction, kind and bytes', () => {
    const w = new LogWindow('traffic', { refId: 'X', room: 'acme/a', capacity: 10 });
    w.add(
      trafficRow('p', 'acme/a', {
        ts: 1,
        direction: 'in',
        conn: 'c',
        kind: 'sync-update',
        bytes: 12,
        summary: 'update 12 B',
        count: 3,
      })
    );
    expect(w.frame.fields.map((x) => x.name)).toEqual(Object.values(T));
    expect(w.frame.fields.find((x) => x.name === T.count)?.values[0]).toBe(3);
    expect(String(w.frame.fields.find((x) => x.name === T.body)?.values[0])).toContain('sync-update');
  });
});

describe('updates: formatting apart from inserts (revision 2)', () => {
  it('says "formatted 12 chars bold" in the body; mark values only with content scope', () => {
    const u = upd(1, {
      inserted: 0,
      formatted: 15,
      embeds: 1,
      formats: [
        { path: '/quill', key: 'bold', length: 12 },
        { path: '/quill', key: 'link', length: 3, value: 'https://secret.example' },
      ],
    });
    const meta = updateRow('p', 'acme/a', u, 'metadata');
    expect(meta[U.body]).toContain('formatted 12 chars bold, 3 chars link');
    expect(meta[U.formatted]).toBe(15);
    expect(meta[U.embeds]).toBe(1);
    expect(JSON.parse(meta[U.formats] as string)).toEqual([
      { path: '/quill', key: 'bold', length: 12 },
      { path: '/quill', key: 'link', length: 3 },
    ]);
    expect(JSON.stringify(meta)).not.toContain('secret');
    const content = updateRow('p', 'acme/a', u, 'content');
    expect(JSON.parse(content[U.formats] as string)[1].value).toBe('https://secret.example');
    // An update without formatting reads as before.
    expect(updateRow('p', 'acme/a', upd(2), 'metadata')[U.body]).not.toContain('formatted');
  });
});

describe('updates: the Y.Text lines an update touched (revision 3)', () => {
  it('carries line ranges in every scope, in the window and the one-shot frame; none as an empty string', () => {
    const lines = [
      { path: '/codemirror', from: 12, to: 12 },
      { path: '/codemirror', from: 20, to: 22 },
    ];
    const u = upd(1, { paths: ['/codemirror'], lines });
    const meta = updateRow('p', 'acme/code', u, 'metadata');
    expect(JSON.parse(meta[U.lines] as string)).toEqual(lines);
    expect(updateRow('p', 'acme/code', u, 'content')[U.lines]).toBe(meta[U.lines]);
    expect(updateRow('p', 'acme/code', upd(2), 'metadata')[U.lines]).toBe('');
    expect(gapUpdateRow('p', 'acme/code', 3, 'gap')[U.lines]).toBe('');
    const w = new LogWindow('updates', { refId: 'U', room: 'acme/code', capacity: 4 });
    w.add(meta);
    expect(w.frame.fields.map((f) => f.name)).toEqual(Object.values(U));
    expect(w.frame.fields.find((f) => f.name === U.lines)?.values[0]).toBe(meta[U.lines]);
    const once = buildUpdatesFrame([meta], { refId: 'H', kind: 'history', room: 'acme/code' });
    expect(once.fields.find((f) => f.name === U.lines)?.values[0]).toBe(meta[U.lines]);
  });
});

describe('metrics and rooms frames', () => {
  it('metrics window appends a time series per pod', () => {
    const w = new MetricsWindow({ refId: 'M', room: 'acme/a', pod: 'p', capacity: 2 });
    for (let i = 0; i < 3; i++) {
      w.add({
        v: 1,
        type: 'metrics',
        sub: 's',
        room: 'acme/a',
        ts: i,
        intervalMs: 1000,
        opsPerSec: i,
        connections: 1,
        presence: 1,
        bytesIn: 1,
        bytesOut: 2,
        framesIn: 1,
        framesOut: 1,
        docBytes: 9,
      });
    }
    expect(w.frame.length).toBe(2);
    expect(Array.from(w.frame.fields[0]?.values ?? [])).toEqual([1, 2]);
    expect(w.frame.fields.find((f) => f.name === 'opsPerSec')?.labels).toEqual({ pod: 'p', room: 'acme/a' });
  });

  it('rooms table spans pods, newest activity first', () => {
    const info = (room: string, lastActivity: number) => ({
      room,
      org: 'acme',
      loaded: true,
      connections: 1,
      presence: 0,
      docBytes: 1,
      ops: 1,
      lastActivity,
    });
    const { frame, truncated } = buildRoomsFrame(
      [
        { pod: 'p1', rooms: [info('acme/a', 1)] },
        { pod: 'p2', rooms: [info('acme/b', 5)] },
      ],
      'R'
    );
    expect(truncated).toBe(0);
    expect(frame.fields.find((f) => f.name === 'room')?.values).toEqual(['acme/b', 'acme/a']);
    expect(frame.fields.find((f) => f.name === 'pod')?.values).toEqual(['p2', 'p1']);
  });
});
