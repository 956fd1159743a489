import type { ChangeEvent } from 'react';
import { InlineField, InlineFieldRow, Input, RadioButtonGroup } from '@grafana/ui';

import type { CollabQuery } from '../types';

type Measure = NonNullable<CollabQuery['heatmapMeasure']>;

const MEASURES: Array<{ value: Measure; label: string; description: string }> = [
  {
    value: 'presence',
    label: 'Carets',
    description: 'Where people are: one count per located caret and sample',
  },
  {
    value: 'edits',
    label: 'Edits',
    description:
      'What changes: items each update changed, joined with the block (or Y.Text line) they lie in',
  },
];

/** The `bucketSeconds` typed in the editor: a number > 0, or undefined (from the dashboard range) otherwise. */
export function parseBucketSeconds(text: string): number | undefined {
  if (text.trim() === '') return undefined;
  const n = Number(text);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

interface Props {
  query: CollabQuery;
  labelWidth: number;
  onChange: (query: CollabQuery) => void;
  onRunQuery: () => void;
}

/** documentHeatmap: what a cell counts and how wide a time bucket is. */
export function DocumentHeatmapOptions({ query, labelWidth, onChange, onRunQuery }: Props) {
  const bucketText = query.bucketSeconds === undefined ? '' : String(query.bucketSeconds);
  return (
    <InlineFieldRow>
      <InlineField
        label="Count"
        labelWidth={labelWidth}
        tooltip="Carets: where people are. Edits: what changes (needs the pod's update stream; content is never read)."
      >
        <RadioButtonGroup<Measure>
          options={MEASURES}
          value={query.heatmapMeasure ?? 'presence'}
          onChange={(heatmapMeasure) => {
            onChange({ ...query, heatmapMeasure });
            onRunQuery();
          }}
        />
      </InlineField>
      <InlineField
        label="Bucket (s)"
        labelWidth={12}
        htmlFor="collab-ds-query-bucket"
        tooltip="Width of a time bucket in seconds; empty = the dashboard range / 100 (at least 1 s)"
      >
        <Input
          id="collab-ds-query-bucket"
          type="number"
          min={1}
          width={10}
          placeholder="auto"
          value={bucketText}
          onChange={(e: ChangeEvent<HTMLInputElement>) => {
            const next: CollabQuery = { ...query, bucketSeconds: parseBucketSeconds(e.currentTarget.value) };
            if (next.bucketSeconds === undefined) delete next.bucketSeconds; // empty = auto, stored as absent
            onChange(next);
          }}
          onBlur={onRunQuery}
        />
      </InlineField>
    </InlineFieldRow>
  );
}
