import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Subject } from 'rxjs';
import type { InspectServerMessage } from '@collabblocks/protocol';

import type { StreamEvent } from '../stream/types';
import { collect, deadlineIn, TimeoutError } from './oneShot';

/**
 * `collect`'s two deadlines on a clock the test owns (fake timers, a Subject for the pod): which deadline fires and
 * what its error says cannot depend on how busy the machine is.
 */
describe('collect: the first-answer and whole-answer deadlines', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const part = (last: boolean): StreamEvent => ({
    type: 'message',
    pod: 'pod-a',
    msg: { type: 'rooms', rooms: [], last } as unknown as InspectServerMessage,
  });
  const run = (source: Subject<StreamEvent>) => {
    const outcome: { value?: unknown; error?: unknown } = {};
    collect(
      source,
      (m) => (m as unknown as { last: boolean }).last,
      (m) => m.type === 'rooms',
      deadlineIn(600),
      new AbortController().signal,
      { firstBy: deadlineIn(150) }
    ).then(
      (v) => (outcome.value = v),
      (e: unknown) => (outcome.error = e)
    );
    return outcome;
  };

  it('a silent pod fails at the first-answer deadline, naming its budget', async () => {
    const source = new Subject<StreamEvent>();
    const outcome = run(source);
    await vi.advanceTimersByTimeAsync(149);
    expect(outcome).toEqual({});
    await vi.advanceTimersByTimeAsync(1);
    expect(outcome.error).toBeInstanceOf(TimeoutError);
    expect((outcome.error as TimeoutError).detail).toBe('no answer within 150 ms');
    expect(source.observed).toBe(false); // unsubscribed
  });

  it('a pod that answered in time but never finishes fails at the whole-answer deadline, with what it received', async () => {
    const source = new Subject<StreamEvent>();
    const outcome = run(source);
    await vi.advanceTimersByTimeAsync(100);
    source.next(part(false));
    source.next(part(false));
    await vi.advanceTimersByTimeAsync(499); // past the first-answer deadline: it must not fire
    expect(outcome).toEqual({});
    await vi.advanceTimersByTimeAsync(1);
    expect((outcome.error as TimeoutError).detail).toBe(
      'answer incomplete after 600 ms (2 messages received)'
    );
  });

  it('the budgets named are the configured ones even when collecting starts late (a busy event loop)', async () => {
    const deadline = deadlineIn(600);
    const firstBy = deadlineIn(150);
    vi.setSystemTime(Date.now() + 7); // the caller set the deadlines; collecting starts 7 ms later
    const source = new Subject<StreamEvent>();
    let error: unknown;
    collect(
      source,
      () => false,
      () => true,
      deadline,
      new AbortController().signal,
      { firstBy }
    ).catch((e: unknown) => (error = e));
    await vi.advanceTimersByTimeAsync(143);
    expect((error as TimeoutError).detail).toBe('no answer within 150 ms');
  });

  it('resolves at the last message and stops both timers', async () => {
    const source = new Subject<StreamEvent>();
    const outcome = run(source);
    source.next(part(false));
    source.next(part(true));
    await vi.advanceTimersByTimeAsync(0);
    expect(outcome.value).toMatchObject({ pod: 'pod-a' });
    expect(vi.getTimerCount()).toBe(0);
  });
});
