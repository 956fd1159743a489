import { render, screen } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { RoomPresence } from '../../data/store';
import type { RenderOptions } from '../../render/PresenceRenderer';
import { fakeContext, type FakeContext } from '../../test/fakeCanvas';
import { TEST_STORE_OPTS, TEST_STYLE as style, userEntry } from '../../test/fixtures';
import { RoomCanvas } from './RoomCanvas';

const opts: RenderOptions = { showLabels: false, labelLimit: 150, stale: { updates: 0, seconds: 0 } };

/** rAF callbacks queued by the component; `flush` runs the ones queued so far (one frame). */
const frames = new Map<number, FrameRequestCallback>();
let nextFrame = 0;
function flush(): void {
  const due = [...frames.entries()];
  frames.clear();
  for (const [, cb] of due) cb(performance.now());
}

/** The IntersectionObserver the component created (its callback drives visibility). */
let observer: { callback: IntersectionObserverCallback; observed: Element[]; disconnected: boolean } | null;
function intersect(isIntersecting: boolean): void {
  observer?.callback([{ isIntersecting } as IntersectionObserverEntry], {} as IntersectionObserver);
}

let fake: FakeContext;
const originalGetContext = HTMLCanvasElement.prototype.getContext;

beforeEach(() => {
  fake = fakeContext();
  HTMLCanvasElement.prototype.getContext = (() => fake.ctx) as unknown as HTMLCanvasElement['getContext'];
  vi.stubGlobal('requestAnimationFrame', (cb: FrameRequestCallback) => {
    frames.set(++nextFrame, cb);
    return nextFrame;
  });
  vi.stubGlobal('cancelAnimationFrame', (id: number) => frames.delete(id));
  vi.stubGlobal(
    'IntersectionObserver',
    class {
      constructor(callback: IntersectionObserverCallback) {
        observer = { callback, observed: [], disconnected: false };
      }
      observe(el: Element) {
        observer?.observed.push(el);
      }
      disconnect() {
        if (observer) observer.disconnected = true;
      }
    }
  );
  vi.stubGlobal('devicePixelRatio', 2);
});

afterEach(() => {
  HTMLCanvasElement.prototype.getContext = originalGetContext;
  vi.unstubAllGlobals();
  frames.clear();
  observer = null;
});

function roomWithCursor(): RoomPresence {
  const room = new RoomPresence('acme/doc', TEST_STORE_OPTS);
  room.list.push(userEntry({ room: 'acme/doc' }));
  return room;
}

describe('RoomCanvas', () => {
  it('sizes the backing store for the CSS size × devicePixelRatio and follows resizes', () => {
    const room = roomWithCursor();
    const { rerender } = render(
      <RoomCanvas room={room} width={200} height={100} style={style} opts={opts} />
    );
    const canvas = screen.getByTestId('presence-canvas') as HTMLCanvasElement;
    expect([canvas.width, canvas.height, canvas.style.width, canvas.style.height]).toEqual([
      400,
      200,
      '200px',
      '100px',
    ]);
    flush();
    const drawn = fake.clears;
    expect(drawn).toBe(1);
    rerender(<RoomCanvas room={room} width={321.6} height={150} style={style} opts={opts} />);
    expect([canvas.width, canvas.height, canvas.style.width]).toEqual([642, 300, '321px']);
    // A resize redraws on the next frame.
    flush();
    expect(fake.clears).toBe(drawn + 1);
  });

  it('pauses while off screen (IntersectionObserver) and resumes when visible again', () => {
    const room = roomWithCursor();
    const { rerender, unmount } = render(
      <RoomCanvas room={room} width={200} height={100} style={style} opts={opts} />
    );
    const wrap = screen.getByTestId('presence-room-canvas');
    expect(observer?.observed).toEqual([wrap]);
    flush();
    expect(fake.clears).toBe(1);
    expect(wrap.dataset.paused).toBe('false');
    intersect(false);
    flush(); // the pending frame sees it is off screen and stops the loop
    expect(wrap.dataset.paused).toBe('true');
    expect(frames.size).toBe(0);
    // New data while off screen: nothing is drawn, no frame is requested.
    room.version++;
    rerender(<RoomCanvas room={room} width={200} height={100} style={style} opts={opts} />);
    flush();
    expect(fake.clears).toBe(1);
    expect(frames.size).toBe(0);
    intersect(true);
    expect(wrap.dataset.paused).toBe('false');
    flush();
    expect(fake.clears).toBe(2);
    unmount();
    expect(observer?.disconnected).toBe(true);
    expect(frames.size).toBe(0);
  });

  it('pauses while the document is hidden', () => {
    const room = roomWithCursor();
    render(<RoomCanvas room={room} width={200} height={100} style={style} opts={opts} />);
    const wrap = screen.getByTestId('presence-room-canvas');
    flush();
    const hidden = vi.spyOn(document, 'hidden', 'get').mockReturnValue(true);
    document.dispatchEvent(new Event('visibilitychange'));
    flush();
    expect(wrap.dataset.paused).toBe('true');
    expect(frames.size).toBe(0);
    hidden.mockReturnValue(false);
    document.dispatchEvent(new Event('visibilitychange'));
    expect(wrap.dataset.paused).toBe('false');
    expect(frames.size).toBe(1);
    hidden.mockRestore();
  });

  it('names the canvas for assistive technology', () => {
    const room = roomWithCursor();
    room.heat.add(0.9, 0.1, 3);
    render(<RoomCanvas room={room} width={200} height={100} style={style} opts={opts} />);
    expect(screen.getByRole('img').getAttribute('aria-label')).toBe(
      'Presence in room acme/doc: 1 user, 1 cursor shown. Most activity: top right.'
    );
  });
});
