import type { ChangeEvent } from 'react';
import type { SelectableValue } from '@grafana/data';
import { InlineField, InlineFieldRow, Input, Select } from '@grafana/ui';
import { parsePresenceFields, POINTER_SPACES, type PresenceFieldPaths } from '@collabblocks/protocol';

type PathKey = Exclude<keyof PresenceFieldPaths, 'space'>;

/** The path inputs, in the order a user reads them: a caret (head, anchor), or a pointer (x, y), then who. */
const PATHS: Array<{ key: PathKey; label: string; placeholder: string; tooltip: string }> = [
  {
    key: 'head',
    label: 'Head',
    placeholder: 'sel.head',
    tooltip: 'Relative position of the caret (selection head)',
  },
  {
    key: 'anchor',
    label: 'Anchor',
    placeholder: 'sel.anchor',
    tooltip: 'Relative position of the selection anchor',
  },
  { key: 'x', label: 'X', placeholder: 'pointer.x', tooltip: 'Pointer x (with Y)' },
  { key: 'y', label: 'Y', placeholder: 'pointer.y', tooltip: 'Pointer y (with X)' },
  { key: 'name', label: 'Name', placeholder: 'user.name', tooltip: 'User name (content scope shows it)' },
  { key: 'color', label: 'Colour', placeholder: 'user.color', tooltip: 'User colour (a CSS colour)' },
];

const SPACE_OPTIONS: Array<SelectableValue<string>> = [
  { value: '', label: 'Default', description: 'The pod’s default for configured pointers' },
  ...POINTER_SPACES.map((s) => ({ value: s, label: s })),
];

/** Which input an error of `parsePresenceFields` is about (`presenceFields.y: …` → `y`), else `head`. */
export function fieldOfError(error: string): keyof PresenceFieldPaths {
  const m = /^presenceFields\.([a-z]+)[:.]/.exec(error);
  const key = m?.[1];
  return key === 'space' || PATHS.some((p) => p.key === key) ? (key as keyof PresenceFieldPaths) : 'head';
}

interface Props {
  value: PresenceFieldPaths | undefined;
  labelWidth: number;
  onChange: (value: PresenceFieldPaths | undefined) => void;
  onBlur: () => void;
}

/**
 * Field paths for awareness states no built-in convention recognises (the query's `presenceFields`),
 * checked as the datasource checks them (`parsePresenceFields`): the sentence it would fail the query
 * with shows on the field it names. Empty fields are not set.
 */
export function PresenceFieldsEditor({ value, labelWidth, onChange, onBlur }: Props) {
  const checked = parsePresenceFields(value);
  const error = checked.ok ? '' : checked.error;
  const errorAt = error ? fieldOfError(error) : undefined;
  const set = (key: keyof PresenceFieldPaths, v: string): void => {
    const next: Record<string, string> = { ...(value ?? {}) };
    if (v === '') delete next[key];
    else next[key] = v;
    onChange(Object.keys(next).length > 0 ? (next as PresenceFieldPaths) : undefined);
  };
  return (
    <InlineFieldRow>
      {PATHS.map(({ key, label, placeholder, tooltip }, i) => (
        <InlineField
          key={key}
          label={i === 0 ? `Fields: ${label}` : label}
          labelWidth={i === 0 ? labelWidth : undefined}
          htmlFor={`collab-ds-query-pf-${key}`}
          tooltip={
            i === 0
              ? `Only for awareness no built-in convention recognises: dotted field paths (at most 8 segments). ${tooltip}`
              : tooltip
          }
          invalid={errorAt === key}
          error={errorAt === key ? error : undefined}
        >
          <Input
            id={`collab-ds-query-pf-${key}`}
            width={14}
            placeholder={placeholder}
            value={value?.[key] ?? ''}
            onChange={(e: ChangeEvent<HTMLInputElement>) => set(key, e.currentTarget.value.trim())}
            onBlur={onBlur}
          />
        </InlineField>
      ))}
      <InlineField
        label="Space"
        htmlFor="collab-ds-query-pf-space"
        tooltip="Coordinate space of a configured pointer"
        invalid={errorAt === 'space'}
        error={errorAt === 'space' ? error : undefined}
      >
        <Select
          inputId="collab-ds-query-pf-space"
          width={16}
          options={SPACE_OPTIONS}
          value={value?.space ?? ''}
          onChange={(v) => {
            set('space', v.value ?? '');
            onBlur();
          }}
        />
      </InlineField>
    </InlineFieldRow>
  );
}
