import type { QueryEditorProps, SelectableValue } from '@grafana/data';
import { InlineField, InlineFieldRow, RadioButtonGroup } from '@grafana/ui';
import { COLLAB_VARIABLE_KINDS, type CollabVariableKind } from '@collabblocks/protocol';

import type { CollabJsonData, CollabQuery, CollabSuggestSource, CollabVariableQuery } from '../types';
import { describeVariableQuery, toVariableQuery } from '../variableQuery';
import { SuggestCombobox } from './SuggestCombobox';

/** The editor of CollabVariableSupport (Grafana's variable editor renders it with the variable's query). */
export type VariableQueryEditorProps = QueryEditorProps<
  CollabSuggestSource,
  CollabQuery,
  CollabJsonData,
  CollabVariableQuery
>;

const KIND_OPTIONS: Array<SelectableValue<CollabVariableKind>> = COLLAB_VARIABLE_KINDS.map((k) => ({
  value: k,
  label: k[0]?.toUpperCase() + k.slice(1),
}));

/**
 * Variable query: orgs, rooms (optionally of one org) or pods. Reads any stored shape (see toVariableQuery) and
 * writes the current one, so an older dashboard's variable is migrated on its first edit.
 */
export function VariableQueryEditor({ datasource, query, onChange }: VariableQueryEditorProps) {
  let q: CollabVariableQuery;
  let problem: string | undefined;
  try {
    q = toVariableQuery(query);
  } catch (err) {
    problem = (err as Error).message;
    q = toVariableQuery(undefined);
  }
  const emit = (next: CollabVariableQuery) => {
    const clean = toVariableQuery({ ...next, query: undefined });
    onChange({ ...clean, query: describeVariableQuery(clean) });
  };
  return (
    <InlineFieldRow>
      <InlineField label="Values" labelWidth={12} invalid={problem !== undefined} error={problem}>
        <RadioButtonGroup<CollabVariableKind>
          options={KIND_OPTIONS}
          value={q.kind}
          onChange={(kind) => emit({ ...q, kind })}
        />
      </InlineField>
      {q.kind === 'rooms' && (
        <InlineField
          label="Org"
          labelWidth={8}
          htmlFor="collab-ds-var-org"
          tooltip="Only rooms of this org (variables allowed); empty = every org"
        >
          <SuggestCombobox
            id="collab-ds-var-org"
            kind="orgs"
            datasource={datasource}
            width={24}
            placeholder="any"
            value={q.org ?? ''}
            onChange={(org) => emit({ ...q, org })}
          />
        </InlineField>
      )}
    </InlineFieldRow>
  );
}
