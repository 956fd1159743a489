import type { ChangeEvent } from 'react';
import type { SelectableValue } from '@grafana/data';
import { InlineField, InlineFieldRow, Input, RadioButtonGroup } from '@grafana/ui';
import { COLLAB_VARIABLE_KINDS, type CollabVariableKind } from '@collabblocks/protocol';

import type { CollabVariableQuery } from '../types';

interface Props {
  query: CollabVariableQuery | string;
  onChange: (query: CollabVariableQuery, definition: string) => void;
}

const KIND_OPTIONS: Array<SelectableValue<CollabVariableKind>> = COLLAB_VARIABLE_KINDS.map((k) => ({
  value: k,
  label: k[0]?.toUpperCase() + k.slice(1),
}));

/** Variable query: orgs, rooms (optionally of one org) or pods. */
export function VariableQueryEditor({ query, onChange }: Props) {
  const q: CollabVariableQuery = typeof query === 'string' ? { kind: 'rooms', org: query } : query;
  const kind = q.kind ?? 'rooms';
  const emit = (next: CollabVariableQuery) =>
    onChange(next, `${next.kind}${next.kind === 'rooms' && next.org ? ` of ${next.org}` : ''}`);
  return (
    <InlineFieldRow>
      <InlineField label="Values" labelWidth={12}>
        <RadioButtonGroup<CollabVariableKind>
          options={KIND_OPTIONS}
          value={kind}
          onChange={(v) => emit({ ...q, kind: v })}
        />
      </InlineField>
      {kind === 'rooms' && (
        <InlineField
          label="Org"
          labelWidth={8}
          htmlFor="collab-ds-var-org"
          tooltip="Only rooms of this org (variables allowed)"
        >
          <Input
            id="collab-ds-var-org"
            width={20}
            placeholder="any"
            value={q.org ?? ''}
            onChange={(e: ChangeEvent<HTMLInputElement>) => emit({ ...q, org: e.currentTarget.value })}
          />
        </InlineField>
      )}
    </InlineFieldRow>
  );
}
