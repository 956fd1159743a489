// @vitest-environment jsdom
// (the annotation log builds its frame with @grafana/data: it needs a window.)
import { describe, expect, it } from 'vitest';
import { Subject } from 'rxjs';
import type { DataQueryResponse } from '@grafana/data';

import { AnnotationRecorder } from '../src/query/annotationRecorder';
import type { AnnotationLog } from '../../src/query/annotations';

const RANGE = { fromMs: 0, toMs: 10_000 };

function titles(frame: { fields: Array<{ name: string; values: unknown[] }> }): unknown[] {
  return frame.fields.find((f) => f.name === 'title')!.values;
}

describe('AnnotationRecorder', () => {
  it('starts one recording per key, answers from it at once, filtered by the range', () => {
    let t = 1_000;
    const rec = new AnnotationRecorder({ now: () => t });
    let starts = 0;
    let log: AnnotationLog | null = null;
    const start = (l: AnnotationLog) => {
      starts++;
      log = l;
      return new Subject<DataQueryResponse>();
    };
    const f0 = rec.frame('k', start, 'A', RANGE);
    expect(titles(f0)).toEqual([]);
    expect(JSON.stringify(f0.meta?.notices)).toContain('recorded by the datasource');
    log!.push({ time: 2_000, title: 'Join', text: 'x joined', tags: [] });
    log!.push({ time: 20_000, title: 'Leave', text: 'x left', tags: [] });
    t = 3_000;
    const f1 = rec.frame('k', start, 'B', { fromMs: 1_500, toMs: 10_000 });
    expect(starts).toBe(1);
    expect(titles(f1)).toEqual(['Join']);
    expect(f1.refId).toBe('B');
    expect(f1.meta?.notices).toBeUndefined();
  });

  it('ends idle recordings and the least recently asked beyond the cap (their subscriptions closed)', () => {
    let t = 0;
    const rec = new AnnotationRecorder({ now: () => t, idleMs: 1_000, max: 2 });
    const subjects: Subject<DataQueryResponse>[] = [];
    const start = () => {
      const s = new Subject<DataQueryResponse>();
      subjects.push(s);
      return s;
    };
    rec.frame('a', start, 'A', RANGE);
    t = 10;
    rec.frame('b', start, 'A', RANGE);
    t = 20;
    rec.frame('c', start, 'A', RANGE); // evicts a
    expect(rec.size).toBe(2);
    expect(subjects[0]!.observed).toBe(false);
    expect(subjects[1]!.observed).toBe(true);
    t = 5_000;
    rec.sweep();
    expect(rec.size).toBe(0);
    expect(subjects.every((s) => !s.observed)).toBe(true);
    rec.dispose();
  });

  it('a recording that failed says so once and starts afresh on the next query', () => {
    const rec = new AnnotationRecorder();
    let starts = 0;
    const subjects: Subject<DataQueryResponse>[] = [];
    const start = () => {
      starts++;
      const s = new Subject<DataQueryResponse>();
      subjects.push(s);
      return s;
    };
    rec.frame('k', start, 'A', RANGE);
    subjects[0]!.error(new Error('pods unreachable'));
    const f = rec.frame('k', start, 'A', RANGE);
    expect(JSON.stringify(f.meta?.notices)).toContain('pods unreachable');
    rec.frame('k', start, 'A', RANGE);
    expect(starts).toBe(2);
    rec.dispose();
  });
});
