/**
 * `treeSteps` frames → tree patches. The datasource sends, next to a `historyTree` frame (the document at
 * `from`), the tree patch of every logged update after it: one row per touched node with the update's
 * `timestamp`, `seq`, `clientId` and `op` (contract TREE_STEP_FIELDS). Consecutive rows of the same update
 * (same seq) form one step; an `op: none` row is an update that changed nothing visible (an empty patch at
 * its instant). Node rows are read like tree rows (`treeColumns`). Rows with a bad time or op are skipped;
 * a frame without the time, op or path field gives null.
 */
import type { DataFrame } from '@grafana/data';
import { TREE_STEP_FIELDS as S, TREE_STEP_OPS, type TreeStepOp } from '@collabblocks/protocol';

import { col, custom, numOrNull, str, treeColumns } from './frame';
import { patchPaths, type TreePatch } from './patch';
import type { UpdateEntry } from './updates';

export interface TreeStepsMeta {
  room: string;
  pod: string;
  /** Instant of the base state (the paired historyTree frame's `ts`); null when the frame does not say. */
  from: number | null;
  /** Last instant replayed through (the last step's when the frame does not say). */
  to: number;
  truncated: boolean;
  scope: 'metadata' | 'content';
}

export interface TreeSteps {
  meta: TreeStepsMeta;
  /** In log order; every patch has its update's `ts` (and `seq`/`clientId` when known). */
  steps: TreePatch[];
}

const OPS: ReadonlySet<string> = new Set(TREE_STEP_OPS);

export function stepsFromFrame(frame: DataFrame): TreeSteps | null {
  const time = col(frame, S.time);
  const op = col(frame, S.op);
  const rows = treeColumns(frame);
  if (!time || !op || !rows) return null;
  const seqs = col(frame, S.seq) ?? [];
  const clients = col(frame, S.clientId) ?? [];
  const steps: TreePatch[] = [];
  let cur: TreePatch | null = null;
  const n = Math.min(time.length, op.length, rows.length);
  for (let i = 0; i < n; i++) {
    const ts = numOrNull(time[i]);
    const kind = op[i];
    if (ts === null || typeof kind !== 'string' || !OPS.has(kind)) continue;
    const seq = numOrNull(seqs[i]);
    const clientId = numOrNull(clients[i]);
    // Same update: the same seq, or (no seq) the same instant and client.
    const same =
      cur !== null &&
      (seq !== null
        ? cur.seq === seq
        : cur.seq === undefined && cur.ts === ts && (cur.clientId ?? null) === clientId);
    if (!same || cur === null) {
      cur = { ts, added: [], changed: [], removed: [] };
      if (seq !== null) cur.seq = seq;
      if (clientId !== null) cur.clientId = clientId;
      steps.push(cur);
    }
    addRow(cur, kind as TreeStepOp, rows.path[i], () => rows.get(i));
  }
  return { meta: stepsMeta(frame, steps), steps };
}

function addRow(step: TreePatch, op: TreeStepOp, rawPath: unknown, read: () => TreePatch['added'][number]) {
  if (op === 'none') return;
  const path = str(rawPath);
  if (path === '') return;
  if (op === 'removed') step.removed.push(path);
  else if (op === 'added') step.added.push(read());
  else step.changed.push(read());
}

function stepsMeta(frame: DataFrame, steps: TreePatch[]): TreeStepsMeta {
  const c = custom(frame);
  const from = numOrNull(c.from);
  const lastTs = steps.reduce((m, s) => Math.max(m, s.ts), from ?? -Infinity);
  const to = numOrNull(c.to) ?? (Number.isFinite(lastTs) ? lastTs : 0);
  return {
    room: str(c.room),
    pod: str(c.pod),
    from,
    to,
    truncated: c.truncated === true,
    scope: c.scope === 'content' ? 'content' : 'metadata',
  };
}

/**
 * The replayed updates as update-list entries (for a dashboard without a `history` query). Ids follow the
 * datasource's `<pod>:<room>:<seq>`, so a `history` frame's entry for the same update replaces it.
 */
export function updatesFromSteps(steps: TreeSteps): UpdateEntry[] {
  const { pod, room } = steps.meta;
  return steps.steps.map((s, i) => ({
    id: s.seq !== undefined ? `${pod}:${room}:${s.seq}` : `${pod}:${room}:replay-${s.ts}-${i}`,
    ts: s.ts,
    seq: s.seq ?? null,
    clientId: s.clientId ?? null,
    user: '',
    origin: 'replay',
    bytes: 0,
    inserted: s.added.length,
    deleted: s.removed.length,
    paths: patchPaths(s),
    body: '',
    formatted: '',
  }));
}
