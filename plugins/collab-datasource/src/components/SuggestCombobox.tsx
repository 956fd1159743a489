import { useCallback, useRef, useState } from 'react';
import { Combobox, type ComboboxOption, Icon } from '@grafana/ui';
import { getTemplateSrv } from '@grafana/runtime';
import { type CollabVariableKind, errorMessage } from '@collabblocks/protocol';

import type { CollabSuggestSource } from '../types';

/** How long the values listed by the pods are reused while the editor stays open. */
export const SUGGESTION_TTL_MS = 10_000;
/** At most this many options are offered (the list filters as you type). */
export const MAX_SUGGESTIONS = 200;

const GROUP_LABEL: Record<CollabVariableKind, string> = { rooms: 'Rooms', pods: 'Pods', orgs: 'Orgs' };

/** `$name` of every dashboard template variable (none outside a dashboard). */
export function templateVariableNames(): string[] {
  try {
    return getTemplateSrv()
      .getVariables()
      .map((v) => `$${v.name}`);
  } catch {
    return []; // no template service (unit tests, an editor outside a dashboard)
  }
}

/**
 * Options for a room / pod / org field: the dashboard's template variables, then what the pods list now (the
 * datasource's variable values), filtered by `search` (case-insensitive substring), at most MAX_SUGGESTIONS.
 */
export function suggestionOptions(
  listed: string[],
  kind: CollabVariableKind,
  search: string
): Array<ComboboxOption<string>> {
  const needle = search.trim().toLowerCase();
  const keep = (s: string) => !needle || s.toLowerCase().includes(needle);
  const vars = templateVariableNames()
    .filter(keep)
    .map((v) => ({ label: v, value: v, group: 'Variables' }));
  const values = listed.filter(keep).map((v) => ({ label: v, value: v, group: GROUP_LABEL[kind] }));
  return [...vars, ...values].slice(0, MAX_SUGGESTIONS);
}

interface Props {
  id: string;
  /** What the datasource lists as options. */
  kind: CollabVariableKind;
  /** rooms: only this org's rooms. */
  org?: string;
  datasource: Pick<CollabSuggestSource, 'metricFindQuery'>;
  value: string;
  placeholder: string;
  width: number;
  onChange: (value: string) => void;
}

/**
 * A Combobox over the pods' rooms / pods / orgs and the dashboard's variables that also takes any typed value
 * (a room that does not exist yet, `${org}/${room}`…). The pods are asked when the menu first opens, then at
 * most every SUGGESTION_TTL_MS. A failed listing leaves the variables and typing, and shows a warning icon
 * naming the error (never a console error).
 */
export function SuggestCombobox({ id, kind, org, datasource, value, placeholder, width, onChange }: Props) {
  const cache = useRef<{ at: number; key: string; values: Promise<string[]> } | null>(null);
  const [listError, setListError] = useState<string | null>(null);
  const load = useCallback(
    async (search: string) => {
      const key = `${kind}|${org ?? ''}`;
      const now = Date.now();
      if (!cache.current || cache.current.key !== key || now - cache.current.at > SUGGESTION_TTL_MS) {
        const values = datasource
          .metricFindQuery({ kind, ...(org ? { org } : {}) })
          .then((vals) => vals.map((v) => String(v.value ?? v.text)));
        cache.current = { at: now, key, values };
      }
      let listed: string[] = [];
      try {
        listed = await cache.current.values;
        setListError(null);
      } catch (err) {
        setListError(`Could not list ${kind}: ${errorMessage(err).slice(0, 200)}`);
      }
      return suggestionOptions(listed, kind, search);
    },
    [datasource, kind, org]
  );
  return (
    <div style={{ display: 'flex', alignItems: 'center', gap: 4 }}>
      <Combobox<string>
        id={id}
        width={width}
        placeholder={placeholder}
        options={load}
        value={value ? { label: value, value } : null}
        createCustomValue
        customValueDescription="Use this value"
        isClearable
        onChange={(option) => onChange(option?.value ?? '')}
      />
      {listError && (
        <span role="img" aria-label={listError} title={listError}>
          <Icon name="exclamation-triangle" />
        </span>
      )}
    </div>
  );
}
