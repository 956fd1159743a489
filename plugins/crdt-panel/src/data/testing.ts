/** Test/bench helpers: nodes and tree frames without a datasource. */
import { createDataFrame, type DataFrame, FieldType } from '@grafana/data';
import {
  COLLAB_FRAME_KIND_KEY,
  TREE_FIELDS as F,
  TREE_STEP_FIELDS as S,
  type TreeStepOp,
} from '@collabblocks/protocol';

import { buildModel, emptyMeta, type TreeModel, type TreeNodeModel } from './model';
import type { TreePatch } from './patch';

export function node(path: string, type: string, extra: Partial<TreeNodeModel> = {}): TreeNodeModel {
  const i = path.lastIndexOf('/');
  const parent = path.slice(0, Math.max(0, i));
  return {
    path,
    parent,
    depth: path.split('/').length - 2,
    key: path.slice(i + 1),
    type,
    size: 0,
    itemCount: 0,
    deleted: 0,
    children: 0,
    lastClient: null,
    lastClock: null,
    lastTime: null,
    valueType: '',
    nodeName: '',
    attrs: '',
    runs: '',
    binding: '',
    guid: '',
    value: '',
    ...extra,
  };
}

export function model(nodes: TreeNodeModel[], ts = 1000): TreeModel {
  return buildModel(nodes, { ...emptyMeta(ts), room: 'acme/doc', scope: 'content' });
}

function treeFields(nodes: TreeNodeModel[]) {
  const pick = <K extends keyof TreeNodeModel>(k: K) => nodes.map((n) => n[k]);
  return [
    { name: F.path, type: FieldType.string, values: pick('path') },
    { name: F.parentPath, type: FieldType.string, values: pick('parent') },
    { name: F.depth, type: FieldType.number, values: pick('depth') },
    { name: F.key, type: FieldType.string, values: pick('key') },
    { name: F.type, type: FieldType.string, values: pick('type') },
    { name: F.size, type: FieldType.number, values: pick('size') },
    { name: F.itemCount, type: FieldType.number, values: pick('itemCount') },
    { name: F.deleted, type: FieldType.number, values: pick('deleted') },
    { name: F.children, type: FieldType.number, values: pick('children') },
    { name: F.lastClient, type: FieldType.number, values: pick('lastClient') },
    { name: F.lastClock, type: FieldType.number, values: pick('lastClock') },
    { name: F.lastTime, type: FieldType.time, values: pick('lastTime') },
    { name: F.valueType, type: FieldType.string, values: pick('valueType') },
    { name: F.nodeName, type: FieldType.string, values: pick('nodeName') },
    { name: F.value, type: FieldType.string, values: pick('value') },
    { name: F.attrs, type: FieldType.string, values: pick('attrs') },
    { name: F.runs, type: FieldType.string, values: pick('runs') },
    { name: F.binding, type: FieldType.string, values: pick('binding') },
    { name: F.guid, type: FieldType.string, values: pick('guid') },
  ];
}

/**
 * A treeSteps frame (contract TREE_STEP_FIELDS) of the given steps: one row per touched node (removed,
 * then added, then changed), one `none` row for a step without changes.
 */
export function stepsFrame(steps: TreePatch[], custom: Record<string, unknown> = {}): DataFrame {
  const time: number[] = [];
  const seq: Array<number | null> = [];
  const clientId: Array<number | null> = [];
  const op: TreeStepOp[] = [];
  const rows: TreeNodeModel[] = [];
  const row = (s: TreePatch, o: TreeStepOp, n: TreeNodeModel) => {
    time.push(s.ts);
    seq.push(s.seq ?? null);
    clientId.push(s.clientId ?? null);
    op.push(o);
    rows.push(n);
  };
  const blank = (path: string): TreeNodeModel => ({ ...node(path, ''), parent: '', depth: 0, key: '' });
  for (const s of steps) {
    for (const p of s.removed) row(s, 'removed', blank(p));
    for (const n of s.added) row(s, 'added', n);
    for (const n of s.changed) row(s, 'changed', n);
    if (s.removed.length + s.added.length + s.changed.length === 0) row(s, 'none', blank(''));
  }
  return createDataFrame({
    refId: 'A',
    name: 'treeSteps',
    meta: {
      custom: {
        [COLLAB_FRAME_KIND_KEY]: 'treeSteps',
        room: 'acme/doc',
        pod: 'pod-a',
        from: 1000,
        to: steps.at(-1)?.ts ?? 1000,
        steps: steps.length,
        truncated: false,
        scope: 'content',
        ...custom,
      },
    },
    fields: [
      { name: S.time, type: FieldType.time, values: time },
      { name: S.seq, type: FieldType.number, values: seq },
      { name: S.clientId, type: FieldType.number, values: clientId },
      { name: S.op, type: FieldType.string, values: op },
      ...treeFields(rows),
    ],
  });
}

export function treeFrame(
  nodes: TreeNodeModel[],
  custom: Record<string, unknown> = {},
  kind: 'tree' | 'historyTree' = 'tree'
): DataFrame {
  return createDataFrame({
    refId: 'A',
    name: kind,
    meta: {
      custom: {
        [COLLAB_FRAME_KIND_KEY]: kind,
        room: 'acme/doc',
        pod: 'pod-a',
        ts: 1000,
        complete: true,
        total: nodes.length,
        truncated: false,
        scope: 'content',
        ...custom,
      },
    },
    fields: treeFields(nodes),
  });
}

/** A document of about `count` nodes: /root map with `fanout` arrays of maps with a text each. */
export function bigDocument(count: number, fanout = 100): TreeNodeModel[] {
  const out: TreeNodeModel[] = [node('/root', 'Map', { children: fanout })];
  const per = Math.max(1, Math.floor((count - 1 - fanout) / fanout / 2));
  for (let a = 0; a < fanout && out.length < count; a++) {
    const ap = `/root/list${a}`;
    out.push(node(ap, 'Array', { children: per, itemCount: per, size: per }));
    for (let i = 0; i < per && out.length < count; i++) {
      const ip = `${ap}/${i}`;
      out.push(node(ip, 'Map', { children: 1, itemCount: 1 }));
      if (out.length < count) {
        out.push(
          node(`${ip}/title`, 'Text', {
            size: 8,
            itemCount: 1,
            value: `item ${a}.${i}`,
            lastClient: 7,
            lastClock: i,
          })
        );
      }
    }
  }
  return out;
}
