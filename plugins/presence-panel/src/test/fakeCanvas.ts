/**
 * Test helper (jsdom has no canvas): a 2D context that accepts every call and
 * records the ones the tests read (arcs, texts, clears).
 */
export interface FakeContext {
  ctx: CanvasRenderingContext2D;
  arcs: Array<[number, number, number]>;
  texts: Array<[string, number, number]>;
  /** The fillStyle each text was filled with (same order as `texts`). */
  textFills: string[];
  clears: number;
}

export function fakeContext(): FakeContext {
  const rec: FakeContext = {
    ctx: null as unknown as CanvasRenderingContext2D,
    arcs: [],
    texts: [],
    textFills: [],
    clears: 0,
  };
  const props: Record<string | symbol, unknown> = {};
  const methods: Record<string, (...args: unknown[]) => unknown> = {
    arc: (x, y, r) => void rec.arcs.push([x as number, y as number, r as number]),
    fillText: (t, x, y) => {
      rec.texts.push([t as string, x as number, y as number]);
      rec.textFills.push(String(props.fillStyle));
    },
    clearRect: () => void rec.clears++,
    createImageData: (w, h) => ({
      width: w,
      height: h,
      data: new Uint8ClampedArray((w as number) * (h as number) * 4),
    }),
  };
  rec.ctx = new Proxy(props, {
    get: (target, key) => {
      if (typeof key === 'string' && key in methods) return methods[key];
      if (key in target) return target[key];
      return () => undefined;
    },
    set: (target, key, value) => {
      target[key] = value;
      return true;
    },
  }) as unknown as CanvasRenderingContext2D;
  return rec;
}
