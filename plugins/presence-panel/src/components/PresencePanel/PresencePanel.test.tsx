import { render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  createDataFrame,
  FieldType,
  getDefaultTimeRange,
  LoadingState,
  type DataFrame,
  type PanelProps,
} from '@grafana/data';
import { COLLAB_FRAME_KIND_KEY } from '@collabblocks/protocol';

import { plugin } from '../../module';
import { DEFAULT_OPTIONS, type PresenceOptions } from '../../types';
import { ROOM_GRACE_MS } from '../../data/store';
import { MAX_MULTIPLES, PresencePanel } from './PresencePanel';

/** `meta.custom.ts` of the next frame: every frame built is a new emission of its room. */
let nextTs = 1;

function frame(room: string, users: Array<[string, string, number]>, scope = 'content'): DataFrame {
  return createDataFrame({
    name: 'presence',
    meta: { custom: { [COLLAB_FRAME_KIND_KEY]: 'presence', room, pod: 'p', ts: nextTs++, scope } },
    fields: [
      { name: 'room', type: FieldType.string, values: users.map(() => room) },
      { name: 'clientId', type: FieldType.number, values: users.map((_, i) => i + 1) },
      { name: 'user', type: FieldType.string, values: users.map((u) => u[0]) },
      { name: 'label', type: FieldType.string, values: users.map((u) => u[1]) },
      { name: 'x', type: FieldType.number, values: users.map((u) => u[2]) },
      { name: 'y', type: FieldType.number, values: users.map(() => 0.5) },
      { name: 'status', type: FieldType.string, values: users.map(() => 'idle') },
      { name: 'lastSeen', type: FieldType.time, values: users.map(() => Date.now()) },
      { name: 'updateCount', type: FieldType.number, values: users.map(() => 1) },
    ],
  });
}

function props(
  series: DataFrame[],
  options: Partial<PresenceOptions> = {},
  size: { width: number; height: number } = { width: 600, height: 300 }
): PanelProps<PresenceOptions> {
  const timeRange = getDefaultTimeRange();
  return {
    id: 1,
    data: { state: LoadingState.Streaming, series, timeRange },
    timeRange,
    timeZone: 'utc',
    options: { ...DEFAULT_OPTIONS, ...options },
    fieldConfig: { defaults: {}, overrides: [] },
    transparent: false,
    width: size.width,
    height: size.height,
    renderCounter: 0,
    title: 'test',
    eventBus: { publish: () => undefined } as unknown as PanelProps['eventBus'],
    onOptionsChange: () => undefined,
    onFieldConfigChange: () => undefined,
    replaceVariables: (s: string) => s,
    onChangeTimeRange: () => undefined,
  };
}

const rowsUsers = () => screen.queryAllByTestId('presence-user-row').map((r) => r.getAttribute('data-user'));

describe('PresencePanel', () => {
  it('declares builder defaults equal to DEFAULT_OPTIONS', () => {
    expect(plugin.defaults).toMatchObject(DEFAULT_OPTIONS);
  });

  it('shows the empty message without presence frames', () => {
    render(<PresencePanel {...props([], { emptyMessage: 'nobody' })} />);
    expect(screen.getByTestId('collabblocks-presence-panel-root').textContent).toBe('nobody');
  });

  it('lists users (names with content scope, pseudonyms with metadata scope), follows joins and leaves', () => {
    const { rerender } = render(<PresencePanel {...props([frame('a/doc', [['anon-1', 'Ada', 0.1]])])} />);
    expect(screen.getByText('Ada')).toBeTruthy();
    rerender(
      <PresencePanel
        {...props([
          frame(
            'a/doc',
            [
              ['anon-1', 'Ada', 0.2],
              ['anon-2', 'Bob', 0.3],
            ],
            'metadata'
          ),
        ])}
      />
    );
    expect(rowsUsers().sort()).toEqual(['anon-1', 'anon-2']);
    expect(screen.queryByText('Ada')).toBeNull();
    expect(screen.getByTestId('presence-summary').textContent).toContain('2 users');
    rerender(<PresencePanel {...props([frame('a/doc', [['anon-2', 'Bob', 0.3]], 'metadata')])} />);
    expect(rowsUsers()).toEqual(['anon-2']);
  });

  it('flags a presence unchanged across N updates as stale', () => {
    const { rerender } = render(<PresencePanel {...props([frame('r', [['anon-1', 'A', 0.1]])])} />);
    for (let i = 0; i < 3; i++) {
      rerender(<PresencePanel {...props([frame('r', [['anon-1', 'A', 0.1]])], { staleUpdates: 3 })} />);
    }
    const row = screen.getByTestId('presence-user-row');
    expect(row.getAttribute('data-stale')).toBe('true');
    expect(screen.getByTestId('presence-summary').textContent).toContain('1 stale');
  });

  it('shows a room selector with several rooms, or one canvas per room as small multiples', () => {
    const series = [frame('r1', [['u1', 'U1', 0.1]]), frame('r2', [['u2', 'U2', 0.2]])];
    const { rerender } = render(<PresencePanel {...props(series, { room: 'r2' })} />);
    expect(screen.getByTestId('presence-room-select')).toBeTruthy();
    expect(screen.getAllByTestId('presence-room-canvas').map((c) => c.getAttribute('data-room'))).toEqual([
      'r2',
    ]);
    rerender(<PresencePanel {...props(series, { roomMode: 'multiples' })} />);
    expect(screen.getAllByTestId('presence-room-canvas').map((c) => c.getAttribute('data-room'))).toEqual([
      'r1',
      'r2',
    ]);
  });

  describe('several rooms', () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    it(`small multiples draw ${MAX_MULTIPLES} rooms and say how many more there are and what to use`, () => {
      const series = Array.from({ length: MAX_MULTIPLES + 3 }, (_, i) =>
        frame(`room-${String(i).padStart(2, '0')}`, [[`u${i}`, `U${i}`, 0.5]])
      );
      render(<PresencePanel {...props(series, { roomMode: 'multiples' })} />);
      expect(screen.getAllByTestId('presence-room-canvas')).toHaveLength(MAX_MULTIPLES);
      const more = screen.getByTestId('presence-more-rooms');
      expect(more.textContent).toContain('+3 more rooms');
      expect(more.textContent).toContain('Selector');
    });

    it('in small multiples the user list names each user’s room', () => {
      const series = [frame('r1', [['u1', 'Ada', 0.1]]), frame('r2', [['u2', 'Bob', 0.2]])];
      render(<PresencePanel {...props(series, { roomMode: 'multiples' })} />);
      const rows = screen.getAllByTestId('presence-user-row');
      expect(rows.map((r) => [r.getAttribute('data-user'), r.getAttribute('data-room')])).toEqual([
        ['u1', 'r1'],
        ['u2', 'r2'],
      ]);
      expect(screen.getAllByTestId('presence-user-room').map((e) => e.textContent)).toEqual(['r1', 'r2']);
      expect(screen.queryByTestId('presence-more-rooms')).toBeNull();
    });

    it('a room whose query was removed leaves the selector after a short grace', () => {
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(1_000_000);
      const both = [frame('r1', [['u1', 'U1', 0.1]]), frame('r2', [['u2', 'U2', 0.2]])];
      const { rerender } = render(<PresencePanel {...props(both)} />);
      expect(screen.getByTestId('presence-room-select')).toBeTruthy();
      rerender(<PresencePanel {...props([frame('r1', [['u1', 'U1', 0.1]])])} />);
      expect(screen.getByTestId('collabblocks-presence-panel-root').getAttribute('data-rooms')).toBe('2');
      vi.setSystemTime(1_000_000 + ROOM_GRACE_MS + 1);
      rerender(<PresencePanel {...props([frame('r1', [['u1', 'U1', 0.2]])])} />);
      expect(screen.getByTestId('collabblocks-presence-panel-root').getAttribute('data-rooms')).toBe('1');
      expect(screen.queryByTestId('presence-room-select')).toBeNull();
    });
  });

  describe('accessibility', () => {
    it('the canvas is an image named by room, users and the hotspot', () => {
      render(
        <PresencePanel
          {...props([
            frame('acme/doc', [
              ['anon-1', 'Ada', 0.1],
              ['anon-2', 'Bob', 0.15],
            ]),
          ])}
        />
      );
      const canvas = screen.getByRole('img');
      const label = canvas.getAttribute('aria-label') ?? '';
      expect(label).toContain('acme/doc');
      expect(label).toContain('2 users');
      expect(label).toContain('Most activity: middle left');
    });

    it('below the user list width a visually hidden summary still names everyone', () => {
      const users: Array<[string, string, number]> = Array.from({ length: 25 }, (_, i) => [
        `anon-${i}`,
        `User ${String(i).padStart(2, '0')}`,
        0.5,
      ]);
      render(<PresencePanel {...props([frame('r', users)], {}, { width: 300, height: 200 })} />);
      expect(screen.queryByTestId('presence-user-list')).toBeNull();
      const summary = screen.getByTestId('presence-user-summary');
      const items = [...summary.querySelectorAll('li')].map((li) => li.textContent);
      expect(items).toHaveLength(21);
      expect(items[0]).toBe('User 00 (idle)');
      expect(items[20]).toBe('and 5 more');
      expect(summary.getAttribute('aria-label')).toBe('Users');
    });
  });
});
