/**
 * The variable query model: reading every stored shape, describing it, and the values of a variable from
 * the pods' room lists. Pure (no datasource, no React): the editor, the variable support and the
 * backend's resources all read it.
 */
import { createDataFrame, FieldType, type MetricFindValue } from '@grafana/data';
import { COLLAB_VARIABLE_KINDS, type CollabVariableKind, type RoomInfo } from '@collabblocks/protocol';

import type { CollabVariableQuery } from './types';

/** refId of variable queries the editor creates (Grafana keys a variable's one query by it). */
export const VARIABLE_REF_ID = 'CollabVariableQuery';

/** Values of a variable query from the pods' room lists (sorted, unique). */
export function variableValues(
  kind: CollabVariableKind,
  pods: Array<{ pod: string; rooms: RoomInfo[] }>,
  org: string
): MetricFindValue[] {
  const set = new Set<string>();
  if (kind === 'pods') for (const p of pods) set.add(p.pod);
  else if (kind === 'orgs') for (const p of pods) for (const r of p.rooms) set.add(r.org);
  else for (const p of pods) for (const r of p.rooms) if (!org || r.org === org) set.add(r.room);
  return [...set].sort().map((text) => ({ text, value: text }));
}

/** "rooms of acme", "pods": what Grafana shows as the variable's definition. */
export function describeVariableQuery(q: Pick<CollabVariableQuery, 'kind' | 'org'>): string {
  return q.kind === 'rooms' && q.org ? `rooms of ${q.org}` : q.kind;
}

/**
 * Reads a stored variable query of any shape this plugin ever wrote: the current `{ refId, kind, org }`, the
 * legacy `{ kind, org }` (setVariableQueryEditor, no refId), a plain string (the org of a rooms query), or
 * nothing (a new variable: rooms of every org). Throws a clear error for anything else.
 */
export function toVariableQuery(raw: unknown): CollabVariableQuery {
  if (raw === undefined || raw === null || raw === '') return { refId: VARIABLE_REF_ID, kind: 'rooms' };
  if (typeof raw === 'string') return { refId: VARIABLE_REF_ID, kind: 'rooms', org: raw.trim() };
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new Error(
      `collab variable query must be an object, got ${Array.isArray(raw) ? 'array' : typeof raw}`
    );
  }
  const o = raw as Record<string, unknown>;
  const kind = o.kind ?? 'rooms';
  if (typeof kind !== 'string' || !(COLLAB_VARIABLE_KINDS as readonly string[]).includes(kind)) {
    throw new Error(
      `unknown collab variable kind ${JSON.stringify(kind)} (expected ${COLLAB_VARIABLE_KINDS.join(', ')})`
    );
  }
  const q: CollabVariableQuery = {
    refId: typeof o.refId === 'string' && o.refId ? o.refId : VARIABLE_REF_ID,
    kind: kind as CollabVariableKind,
  };
  if (kind === 'rooms' && typeof o.org === 'string' && o.org.trim()) q.org = o.org.trim();
  if (typeof o.query === 'string') q.query = o.query;
  return q;
}

/** The variable values as a frame Grafana's variable runner reads (`text` and `value` fields). */
export function variableFrame(refId: string, values: MetricFindValue[]) {
  const texts = values.map((v) => String(v.text));
  return createDataFrame({
    refId,
    fields: [
      { name: 'text', type: FieldType.string, values: texts },
      { name: 'value', type: FieldType.string, values: values.map((v, i) => String(v.value ?? texts[i])) },
    ],
  });
}
