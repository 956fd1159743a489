import type { FormEvent } from 'react';
import type { QueryEditorProps } from '@grafana/data';
import { InlineField, Input } from '@grafana/ui';

import type { CollabDataSource, CollabJsonData, CollabQuery } from '../datasource';

type Props = QueryEditorProps<CollabDataSource, CollabQuery, CollabJsonData>;

/** Skeleton query editor: the room (`<org>/<room>`, may hold template variables). */
export function QueryEditor({ query, onChange }: Props) {
  return (
    <InlineField label="Room" labelWidth={10} htmlFor="collab-ds-query-room">
      <Input
        id="collab-ds-query-room"
        width={30}
        value={query.room ?? ''}
        onChange={(e: FormEvent<HTMLInputElement>) => onChange({ ...query, room: e.currentTarget.value })}
      />
    </InlineField>
  );
}
