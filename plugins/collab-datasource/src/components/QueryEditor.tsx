import type { ChangeEvent } from 'react';
import type { QueryEditorProps, SelectableValue } from '@grafana/data';
import { InlineField, InlineFieldRow, Input, Select } from '@grafana/ui';
import { COLLAB_QUERY_TYPES, type CollabQueryType } from '@collabblocks/protocol';

import { type CollabJsonData, type CollabQuery, type CollabSuggestSource, QUERY_DEFAULTS } from '../types';
import { DocumentHeatmapOptions } from './DocumentHeatmapOptions';
import { PresenceFieldsEditor } from './PresenceFieldsEditor';
import { SuggestCombobox } from './SuggestCombobox';

type Props = QueryEditorProps<CollabSuggestSource, CollabQuery, CollabJsonData>;

export const QUERY_TYPE_LABELS: Record<CollabQueryType, { label: string; description: string }> = {
  rooms: { label: 'Rooms', description: 'Rooms of every pod (table)' },
  presence: { label: 'Presence', description: 'Who is in a room, live' },
  presenceHeatmap: { label: 'Presence heatmap', description: 'Cursor density grid (heatmap-cells)' },
  documentHeatmap: {
    label: 'Document heatmap',
    description: 'Carets or edits per block over time (heatmap-cells, block × time)',
  },
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
/** Query types that show a document tree, so can be limited to a subtree and a depth. */
const HAS_SUBTREE: ReadonlySet<string> = new Set<CollabQueryType>(['tree', 'historyTree']);
/** Query types that subscribe to presence, so take field paths for awareness of the user's own app. */
const HAS_PRESENCE_FIELDS: ReadonlySet<string> = new Set<CollabQueryType>([
  'presence',
  'presenceHeatmap',
  'documentHeatmap',
]);

/** Every label of the editor has this width (fits "Replay through" and "Room *" with its tooltip icon). */
const LABEL_WIDTH = 16;

/** A tree path (`/root/items/3`), empty, or something holding a template variable (checked once replaced). */
export function isTreePathLike(path: string): boolean {
  const p = path.trim();
  return p === '' || p.startsWith('/') || p.includes('$');
}

/** The `maxDepth` typed in the editor: a whole number >= 0, or undefined (all levels) for empty or invalid. */
export function parseMaxDepth(text: string): number | undefined {
  if (text.trim() === '') return undefined;
  const n = Number(text);
  return Number.isFinite(n) && n >= 0 ? Math.floor(n) : undefined;
}

/**
 * Query editor: type, room and pod (pick from what the pods list now or the dashboard's variables, or type any
 * value), and per-type options.
 */
export function QueryEditor({ datasource, query, onChange, onRunQuery }: Props) {
  const queryType = query.queryType ?? QUERY_DEFAULTS.queryType;
  const set = (patch: Partial<CollabQuery>, run = false) => {
    onChange({ ...query, ...patch });
    if (run) onRunQuery();
  };
  const text =
    (key: 'at' | 'through' | 'filter' | 'rootPath') =>
    (e: ChangeEvent<HTMLInputElement>): void =>
      set({ [key]: e.currentTarget.value });

  return (
    <div>
      <InlineFieldRow>
        {queryType === 'annotations' ? (
          <InlineField
            label="Annotations"
            labelWidth={LABEL_WIDTH}
            tooltip="Joins/leaves of the room (pseudonyms), room loads and compactions, errors"
          >
            <span />
          </InlineField>
        ) : (
          <InlineField label="Query type" labelWidth={LABEL_WIDTH} htmlFor="collab-ds-query-type">
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
          labelWidth={LABEL_WIDTH}
          htmlFor="collab-ds-query-room"
          tooltip={
            NEEDS_ROOM.has(queryType)
              ? '<org>/<room>: pick one of the rooms the pods have, a variable such as $room, or type any name'
              : 'Optional: filter rooms containing this text'
          }
          required={NEEDS_ROOM.has(queryType)}
        >
          <SuggestCombobox
            id="collab-ds-query-room"
            kind="rooms"
            datasource={datasource}
            width={32}
            placeholder={NEEDS_ROOM.has(queryType) ? 'acme/design-review' : 'all rooms'}
            value={query.room ?? ''}
            onChange={(room) => set({ room }, true)}
          />
        </InlineField>
        <InlineField
          label="Pod"
          labelWidth={8}
          htmlFor="collab-ds-query-pod"
          tooltip="Pod name or URL (a variable such as $pod allowed); empty = every pod"
        >
          <SuggestCombobox
            id="collab-ds-query-pod"
            kind="pods"
            datasource={datasource}
            width={24}
            placeholder="all pods"
            value={query.pod ?? ''}
            onChange={(pod) => set({ pod }, true)}
          />
        </InlineField>
      </InlineFieldRow>
      {HAS_SUBTREE.has(queryType) && (
        <InlineFieldRow>
          <InlineField
            label="Root path"
            labelWidth={LABEL_WIDTH}
            htmlFor="collab-ds-query-root-path"
            tooltip={
              'Show only the subtree under this node: a tree path as in the "path" column (/root/items/3), ' +
              'variables allowed. Empty = the whole document. Lets a document larger than the 10,000-row frame ' +
              'be inspected part by part.'
            }
            invalid={!isTreePathLike(query.rootPath ?? '')}
            error="A tree path starts with / (e.g. /root/items)"
          >
            <Input
              id="collab-ds-query-root-path"
              width={32}
              placeholder="/root/..."
              value={query.rootPath ?? ''}
              onChange={text('rootPath')}
              onBlur={onRunQuery}
            />
          </InlineField>
          <InlineField
            label="Max depth"
            labelWidth={LABEL_WIDTH}
            htmlFor="collab-ds-query-max-depth"
            tooltip="Keep nodes at most this many levels below the root path (0 = that node only); empty = all levels"
          >
            <Input
              id="collab-ds-query-max-depth"
              type="number"
              min={0}
              step={1}
              width={10}
              placeholder="all"
              value={query.maxDepth ?? ''}
              onChange={(e: ChangeEvent<HTMLInputElement>) => {
                const next: CollabQuery = { ...query, maxDepth: parseMaxDepth(e.currentTarget.value) };
                if (next.maxDepth === undefined) delete next.maxDepth; // empty = all levels, stored as absent
                onChange(next);
              }}
              onBlur={onRunQuery}
            />
          </InlineField>
        </InlineFieldRow>
      )}
      {queryType === 'documentHeatmap' && (
        <DocumentHeatmapOptions
          query={query}
          labelWidth={LABEL_WIDTH}
          onChange={onChange}
          onRunQuery={onRunQuery}
        />
      )}
      {HAS_PRESENCE_FIELDS.has(queryType) && (
        <PresenceFieldsEditor
          value={query.presenceFields}
          labelWidth={LABEL_WIDTH}
          onChange={(presenceFields) => set({ presenceFields })}
          onBlur={onRunQuery}
        />
      )}
      {(queryType === 'presenceHeatmap' || queryType === 'historyTree' || HAS_FILTER.has(queryType)) && (
        <InlineFieldRow>
          {queryType === 'presenceHeatmap' && (
            <InlineField
              label="Grid size"
              labelWidth={LABEL_WIDTH}
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
              labelWidth={LABEL_WIDTH}
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
              labelWidth={LABEL_WIDTH}
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
              labelWidth={LABEL_WIDTH}
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
