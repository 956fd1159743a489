import type { ChangeEvent } from 'react';
import type { QueryEditorProps, SelectableValue } from '@grafana/data';
import { InlineField, InlineFieldRow, Input, Select } from '@grafana/ui';
import { COLLAB_QUERY_TYPES, type CollabQueryType } from '@collabblocks/protocol';

import type { CollabDataSource } from '../datasource';
import { type CollabJsonData, type CollabQuery, QUERY_DEFAULTS } from '../types';

type Props = QueryEditorProps<CollabDataSource, CollabQuery, CollabJsonData>;

export const QUERY_TYPE_LABELS: Record<CollabQueryType, { label: string; description: string }> = {
  rooms: { label: 'Rooms', description: 'Rooms of every pod (table)' },
  presence: { label: 'Presence', description: 'Who is in a room, live' },
  presenceHeatmap: { label: 'Presence heatmap', description: 'Cursor density grid (heatmap-cells)' },
  tree: { label: 'Document tree', description: 'The Yjs document, flattened, live' },
  updates: { label: 'Updates', description: 'Update log, live (log lines)' },
  traffic: { label: 'Traffic', description: 'Wire frames, live (log lines)' },
  metrics: { label: 'Live metrics', description: 'Ops/s, connections, bytes (time series)' },
  history: { label: 'History', description: 'Updates in the dashboard time range' },
  historyTree: {
    label: 'Tree at instant',
    description: 'The document as it was at a time, optionally with every update after it replayed',
  },
};

const TYPE_OPTIONS: Array<SelectableValue<CollabQueryType>> = COLLAB_QUERY_TYPES.map((t) => ({
  value: t,
  label: QUERY_TYPE_LABELS[t].label,
  description: QUERY_TYPE_LABELS[t].description,
}));

/** Every query type but the cross-room `rooms` table is about one room. */
const NEEDS_ROOM: ReadonlySet<string> = new Set<string>(COLLAB_QUERY_TYPES.filter((t) => t !== 'rooms'));
const HAS_FILTER: ReadonlySet<string> = new Set<CollabQueryType>(['updates', 'traffic', 'history']);

/** Query editor: type, room (template variables allowed), pod, and per-type options. */
export function QueryEditor({ query, onChange, onRunQuery }: Props) {
  const queryType = query.queryType ?? QUERY_DEFAULTS.queryType;
  const set = (patch: Partial<CollabQuery>, run = false) => {
    onChange({ ...query, ...patch });
    if (run) onRunQuery();
  };
  const text =
    (key: 'room' | 'pod' | 'at' | 'through' | 'filter') =>
    (e: ChangeEvent<HTMLInputElement>): void =>
      set({ [key]: e.currentTarget.value });

  return (
    <div>
      <InlineFieldRow>
        {queryType === 'annotations' ? (
          <InlineField
            label="Annotations"
            labelWidth={14}
            tooltip="Joins/leaves of the room (pseudonyms), room loads and compactions, errors"
          >
            <span />
          </InlineField>
        ) : (
          <InlineField label="Query type" labelWidth={14} htmlFor="collab-ds-query-type">
            <Select<CollabQueryType>
              inputId="collab-ds-query-type"
              width={28}
              options={TYPE_OPTIONS}
              value={queryType}
              onChange={(v) => set({ queryType: v.value ?? QUERY_DEFAULTS.queryType }, true)}
            />
          </InlineField>
        )}
        <InlineField
          label="Room"
          labelWidth={12}
          htmlFor="collab-ds-query-room"
          tooltip={
            NEEDS_ROOM.has(queryType)
              ? '<org>/<room>; variables such as $room allowed'
              : 'Optional: filter rooms containing this text'
          }
          required={NEEDS_ROOM.has(queryType)}
        >
          <Input
            id="collab-ds-query-room"
            width={30}
            placeholder={NEEDS_ROOM.has(queryType) ? 'acme/design' : 'all rooms'}
            value={query.room ?? ''}
            onChange={text('room')}
            onBlur={onRunQuery}
          />
        </InlineField>
        <InlineField
          label="Pod"
          labelWidth={8}
          htmlFor="collab-ds-query-pod"
          tooltip="Pod name or URL; empty = every pod"
        >
          <Input
            id="collab-ds-query-pod"
            width={20}
            placeholder="all pods"
            value={query.pod ?? ''}
            onChange={text('pod')}
            onBlur={onRunQuery}
          />
        </InlineField>
      </InlineFieldRow>
      {(queryType === 'presenceHeatmap' || queryType === 'historyTree' || HAS_FILTER.has(queryType)) && (
        <InlineFieldRow>
          {queryType === 'presenceHeatmap' && (
            <InlineField
              label="Grid size"
              labelWidth={14}
              htmlFor="collab-ds-query-grid"
              tooltip="Cells per side (1–100)"
            >
              <Input
                id="collab-ds-query-grid"
                type="number"
                min={1}
                max={100}
                width={10}
                value={query.gridSize ?? QUERY_DEFAULTS.gridSize}
                onChange={(e: ChangeEvent<HTMLInputElement>) => {
                  const n = Math.floor(Number(e.currentTarget.value));
                  set({
                    gridSize: Number.isFinite(n) ? Math.max(1, Math.min(100, n)) : QUERY_DEFAULTS.gridSize,
                  });
                }}
                onBlur={onRunQuery}
              />
            </InlineField>
          )}
          {queryType === 'historyTree' && (
            <InlineField
              label="At"
              labelWidth={14}
              htmlFor="collab-ds-query-at"
              tooltip="ISO time, epoch ms or a variable ($__from, $__to); empty = end of the time range (start of it when replaying)"
            >
              <Input
                id="collab-ds-query-at"
                width={30}
                placeholder="$__to"
                value={query.at ?? ''}
                onChange={text('at')}
                onBlur={onRunQuery}
              />
            </InlineField>
          )}
          {queryType === 'historyTree' && (
            <InlineField
              label="Replay through"
              labelWidth={16}
              htmlFor="collab-ds-query-through"
              tooltip={
                'Also replay every update after "At" up to this instant (ISO time, epoch ms or a variable such as ' +
                '$__to), so the panel can step through every update of the range exactly and diff any two of them ' +
                '(a tree steps frame; at most 24 h and 5,000 updates). Empty = just the state at "At".'
              }
            >
              <Input
                id="collab-ds-query-through"
                width={30}
                placeholder="$__to"
                value={query.through ?? ''}
                onChange={text('through')}
                onBlur={onRunQuery}
              />
            </InlineField>
          )}
          {HAS_FILTER.has(queryType) && (
            <InlineField
              label="Filter"
              labelWidth={14}
              htmlFor="collab-ds-query-filter"
              tooltip="Keep rows whose text, paths or user contain this"
            >
              <Input
                id="collab-ds-query-filter"
                width={30}
                value={query.filter ?? ''}
                onChange={text('filter')}
                onBlur={onRunQuery}
              />
            </InlineField>
          )}
        </InlineFieldRow>
      )}
    </div>
  );
}
