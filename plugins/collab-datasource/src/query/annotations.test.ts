import { describe, expect, it } from 'vitest';
import type { InspectServerMessage, PresenceUser, RoomInfo } from '@collabblocks/protocol';

import type { StreamEvent } from '../stream/types';
import { AnnotationLog } from './annotations';

const msg = (pod: string, m: Record<string, unknown>): StreamEvent => ({
  type: 'message',
  pod,
  msg: { v: 1, ...m } as unknown as InspectServerMessage,
});

const user = (clientId: number, extra: Partial<PresenceUser> = {}): PresenceUser => ({
  clientId,
  user: `u_pseudo${clientId}`,
  cursor: null,
  lastSeen: 1,
  updates: 0,
  ...extra,
});

const room = (name: string, extra: Partial<RoomInfo> = {}): RoomInfo => ({
  room: name,
  org: 'acme',
  loaded: true,
  connections: 1,
  presence: 1,
  docBytes: 10,
  ops: 1,
  lastActivity: 1,
  ...extra,
});

const rooms = (pod: string, ts: number, list: RoomInfo[]) =>
  msg(pod, { type: 'rooms', sub: 's', ts, rooms: list });

const col = (log: AnnotationLog, name: string): unknown[] =>
  Array.from(log.frame('Anno').fields.find((f) => f.name === name)?.values ?? []);

describe('AnnotationLog', () => {
  it('joins and leaves of a presence patch, with pseudonyms only (never names)', () => {
    const log = new AnnotationLog();
    // The snapshot is who is there already: no join annotations.
    expect(
      log.onEvent(
        msg('pod-1', { type: 'presenceSnapshot', sub: 's', room: 'acme/a', ts: 100, users: [user(1)] }),
        'acme/a'
      )
    ).toBe(false);
    expect(
      log.onEvent(
        msg('pod-1', {
          type: 'presencePatch',
          sub: 's',
          room: 'acme/a',
          ts: 200,
          joined: [user(2, { name: 'Alice Example', color: '#f00' })],
          updated: [user(1)],
          left: [1],
        }),
        'acme/a'
      )
    ).toBe(true);
    expect(col(log, 'title')).toEqual(['Join', 'Leave']);
    expect(col(log, 'text')).toEqual(['u_pseudo2 joined acme/a', 'client 1 left acme/a']);
    expect(col(log, 'tags')).toEqual([
      ['presence', 'join'],
      ['presence', 'leave'],
    ]);
    expect(col(log, 'time')).toEqual([200, 200]);
    expect(JSON.stringify(log.frame('Anno').fields.map((f) => Array.from(f.values)))).not.toMatch(
      /Alice|#f00/
    );
  });

  it('room loads/unloads and storage prunes from the rooms lists; growth (compaction, writes) is not annotated', () => {
    const log = new AnnotationLog();
    // The first list only sets the baseline.
    expect(log.onEvent(rooms('pod-1', 1000, [room('acme/a', { storedBytes: 5000 })]), '')).toBe(false);
    // Compaction adds a snapshot: storage grows — nothing to annotate.
    expect(log.onEvent(rooms('pod-1', 6000, [room('acme/a', { storedBytes: 9000 })]), '')).toBe(false);
    expect(
      log.onEvent(rooms('pod-1', 11_000, [room('acme/a', { storedBytes: 4000, loaded: false })]), '')
    ).toBe(true);
    expect(col(log, 'title')).toEqual(['Storage pruned', 'Room unloaded']);
    expect(col(log, 'text')).toEqual([
      'acme/a (seen by pod-1): stored 9000 → 4000 bytes (retention prune)',
      'acme/a on pod-1',
    ]);
    expect(col(log, 'tags')).toEqual([
      ['storage', 'prune'],
      ['room', 'unloaded'],
    ]);
    log.onEvent(rooms('pod-1', 16_000, [room('acme/a', { storedBytes: 4000, loaded: true })]), '');
    expect(col(log, 'title').at(-1)).toBe('Room loaded');
  });

  it('a shrink reported by every pod sharing the storage is annotated once', () => {
    const log = new AnnotationLog();
    for (const pod of ['pod-1', 'pod-2'])
      log.onEvent(rooms(pod, 1000, [room('acme/a', { storedBytes: 9000 })]), '');
    expect(log.onEvent(rooms('pod-1', 6000, [room('acme/a', { storedBytes: 4000 })]), '')).toBe(true);
    expect(log.onEvent(rooms('pod-2', 7000, [room('acme/a', { storedBytes: 4000 })]), '')).toBe(false);
    expect(col(log, 'title')).toEqual(['Storage pruned']);
    // A later prune to the same size is a new event.
    log.onEvent(rooms('pod-1', 50_000, [room('acme/a', { storedBytes: 9000 })]), '');
    log.onEvent(rooms('pod-1', 60_000, [room('acme/a', { storedBytes: 4000 })]), '');
    expect(col(log, 'title')).toEqual(['Storage pruned', 'Storage pruned']);
  });

  it('only the filtered room is watched', () => {
    const log = new AnnotationLog();
    log.onEvent(rooms('pod-1', 1000, [room('acme/a'), room('acme/b')]), 'acme/a');
    expect(
      log.onEvent(
        rooms('pod-1', 6000, [room('acme/a'), room('acme/b', { loaded: false, storedBytes: 1 })]),
        'acme/a'
      )
    ).toBe(false);
    expect(log.frame('Anno').length).toBe(0);
  });

  it('inspect errors and room reloads', () => {
    const log = new AnnotationLog();
    expect(
      log.onEvent(
        {
          type: 'error',
          pod: 'pod-1',
          message: 'inspect socket closed (code 1006)',
          code: 'connection',
          fatal: false,
        },
        ''
      )
    ).toBe(true);
    expect(
      log.onEvent(
        msg('pod-2', {
          type: 'resync',
          sub: 's',
          stream: 'presence',
          room: 'acme/a',
          dropped: 0,
          reason: 'reload',
        }),
        ''
      )
    ).toBe(true);
    // A backpressure resync is not an annotation; neither is a status change.
    expect(
      log.onEvent(
        msg('pod-2', {
          type: 'resync',
          sub: 's',
          stream: 'presence',
          room: 'acme/a',
          dropped: 3,
          reason: 'backpressure',
        }),
        ''
      )
    ).toBe(false);
    expect(log.onEvent({ type: 'status', pod: 'pod-1', status: 'live' }, '')).toBe(false);
    expect(col(log, 'title')).toEqual(['Inspect error', 'Room reloaded']);
    expect(col(log, 'text')).toEqual(['pod-1: inspect socket closed (code 1006)', 'acme/a on pod-2']);
    expect(col(log, 'tags')[0]).toEqual(['error', 'connection']);
  });

  it('keeps the newest `capacity` events, in time order, in an annotations frame', () => {
    const log = new AnnotationLog(3);
    for (let i = 0; i < 5; i++) {
      log.onEvent(
        msg('pod-1', {
          type: 'presencePatch',
          sub: 's',
          room: 'acme/a',
          ts: 1000 - i * 10, // arriving newest-first
          joined: [user(i)],
          updated: [],
          left: [],
        }),
        'acme/a'
      );
    }
    const frame = log.frame('Anno');
    expect(frame.refId).toBe('Anno');
    expect(frame.meta?.custom).toEqual({ annotations: true });
    expect(frame.fields.map((f) => f.name)).toEqual(['time', 'title', 'text', 'tags']);
    expect(col(log, 'time')).toEqual([960, 970, 980]);
    expect(col(log, 'text')).toEqual([
      'u_pseudo4 joined acme/a',
      'u_pseudo3 joined acme/a',
      'u_pseudo2 joined acme/a',
    ]);
  });
});
