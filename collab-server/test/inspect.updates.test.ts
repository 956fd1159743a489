import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { summarizeUpdate } from '@collabblocks/monitor';

describe('update summaries', () => {
  it('counts inserts and deletes, resolves paths against the doc, previews only with content', () => {
    const client = new Y.Doc();
    const pod = new Y.Doc();
    const updates: Uint8Array[] = [];
    client.on('update', (u: Uint8Array) => {
      Y.applyUpdate(pod, u);
      updates.push(u);
    });
    const text = client.getText('notes');
    text.insert(0, 'hello world');
    const task = new Y.Map<unknown>();
    client.getArray<unknown>('tasks').push([task]);
    task.set('title', 'secret title');
    text.delete(0, 6);

    const [u1, , u3, u4] = updates as [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
    const s1 = summarizeUpdate(u1, pod, true);
    expect(s1).toMatchObject({ inserted: 11, deleted: 0, paths: ['/notes'], clientId: client.clientID });
    expect(s1.preview[0]).toMatchObject({ op: 'insert', value: 'hello world', path: '/notes' });

    const s3 = summarizeUpdate(u3, pod, true);
    expect(s3.paths).toEqual(['/tasks/0/title']);
    expect(s3.preview[0]).toMatchObject({ op: 'set', value: 'secret title' });
    const meta = summarizeUpdate(u3, pod, false);
    expect(meta.preview).toEqual([]);
    expect(JSON.stringify(meta)).not.toContain('secret');

    const s4 = summarizeUpdate(u4, pod, true);
    expect(s4).toMatchObject({ inserted: 0, deleted: 6, paths: ['/notes'] });
    expect(s4.preview[0]).toMatchObject({ op: 'delete', length: 6 });
  });

  it('never throws on updates whose parents the doc lacks', () => {
    const a = new Y.Doc();
    a.getMap('m').set('k', 1);
    const inner = new Y.Map<unknown>();
    a.getMap('m').set('inner', inner);
    const sv = Y.encodeStateVector(a);
    inner.set('x', 'y');
    const onlyInner = Y.encodeStateAsUpdate(a, sv);
    const empty = new Y.Doc();
    const s = summarizeUpdate(onlyInner, empty, true);
    expect(s.inserted).toBe(1);
    expect(s.paths[0]).toMatch(/^\/~\d+:\d+$/);
  });
});
