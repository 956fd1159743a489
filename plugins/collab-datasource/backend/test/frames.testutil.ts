// Plain data-frame fields for the frame tests (merge.test.ts, arrow.test.ts).
import type { Field, FieldType } from '@grafana/data';

export const field = (
  name: string,
  type: string,
  values: unknown[],
  labels?: Record<string, string>
): Field => ({
  name,
  type: type as FieldType,
  config: {},
  values,
  ...(labels ? { labels } : {}),
});
