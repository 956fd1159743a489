import type { MetricFindValue } from '@grafana/data';
import type { CollabVariableKind, RoomInfo } from '@collabblocks/protocol';

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
