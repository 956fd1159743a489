/**
 * The coordinate space of a canvas view, fitted to the pointers seen. The simulator's unit space is
 * [0, 1] on both axes, as before; tldraw page and Excalidraw scene coordinates are unbounded, so the
 * view covers the pointers seen so far with a margin, rounded out to a "nice" step, growing (never
 * jumping back) as pointers move outside, and keeping the panel's aspect ratio so shapes are not
 * stretched. Pure and allocation-free per observation.
 */

export interface Extent {
  xMin: number;
  xMax: number;
  yMin: number;
  yMax: number;
}

/** Smallest span of a fitted axis (page/scene units): one pointer alone still gets a sensible view. */
export const MIN_SPAN = 200;
/** Margin around the pointers, as a fraction of the span. */
export const MARGIN = 0.1;

export const UNIT_EXTENT: Readonly<Extent> = { xMin: 0, xMax: 1, yMin: 0, yMax: 1 };

/** Rounds a span up to 1, 2 or 5 × 10^k. */
export function niceStep(span: number): number {
  if (!(span > 0) || !Number.isFinite(span)) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(span)));
  const m = span / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

export class CanvasFit {
  /** '' (unit) or the pointer space of the room (`page`, `scene`, `configured`). */
  space = '';
  /** Raw bounds of the pointers seen (NaN before the first). */
  private seen: Extent = { xMin: NaN, xMax: NaN, yMin: NaN, yMax: NaN };
  /** The fitted extent drawn (unit space: [0, 1]). */
  extent: Extent = { ...UNIT_EXTENT };
  /** Bumped when the extent changes (heat sampled in the old extent is reset). */
  version = 0;
  private aspect = 1;
  /** The extent was computed from pointers (not the unit default). */
  private fitted = false;

  /** Width / height of the view the extent is drawn in (the fit keeps it). */
  setAspect(width: number, height: number): void {
    const a = width > 0 && height > 0 ? width / height : 1;
    if (Math.abs(a - this.aspect) > 1e-3) {
      this.aspect = a;
      this.refit();
    }
  }

  /** A pointer in `space` ('' = unit). Another space than the room's so far starts over. */
  observe(x: number, y: number, space: string): void {
    if (!Number.isFinite(x) || !Number.isFinite(y)) return;
    if (space !== this.space) {
      this.space = space;
      this.seen = { xMin: NaN, xMax: NaN, yMin: NaN, yMax: NaN };
      this.refit();
    }
    if (space === '') return;
    const s = this.seen;
    if (x >= s.xMin && x <= s.xMax && y >= s.yMin && y <= s.yMax) return;
    s.xMin = Number.isNaN(s.xMin) ? x : Math.min(s.xMin, x);
    s.xMax = Number.isNaN(s.xMax) ? x : Math.max(s.xMax, x);
    s.yMin = Number.isNaN(s.yMin) ? y : Math.min(s.yMin, y);
    s.yMax = Number.isNaN(s.yMax) ? y : Math.max(s.yMax, y);
    const e = this.extent;
    // Inside the drawn extent already: nothing moves (no jitter while people work in view).
    if (this.fitted && x >= e.xMin && x <= e.xMax && y >= e.yMin && y <= e.yMax) return;
    this.refit();
  }

  private refit(): void {
    const prev = this.extent;
    let next: Extent;
    const s = this.seen;
    this.fitted = this.space !== '' && !Number.isNaN(s.xMin);
    if (!this.fitted) next = { ...UNIT_EXTENT };
    else {
      let w = Math.max(MIN_SPAN, (s.xMax - s.xMin) * (1 + 2 * MARGIN));
      let h = Math.max(MIN_SPAN, (s.yMax - s.yMin) * (1 + 2 * MARGIN));
      // Keep the view's aspect ratio: widen the narrower axis.
      if (w / h < this.aspect) w = h * this.aspect;
      else h = w / this.aspect;
      const step = niceStep(Math.max(w, h)) / 10;
      const cx = (s.xMin + s.xMax) / 2;
      const cy = (s.yMin + s.yMax) / 2;
      const x0 = Math.floor((cx - w / 2) / step) * step;
      const y0 = Math.floor((cy - h / 2) / step) * step;
      next = {
        xMin: x0,
        xMax: Math.max(Math.ceil((cx + w / 2) / step) * step, x0 + step),
        yMin: y0,
        yMax: Math.max(Math.ceil((cy + h / 2) / step) * step, y0 + step),
      };
    }
    if (
      next.xMin !== prev.xMin ||
      next.xMax !== prev.xMax ||
      next.yMin !== prev.yMin ||
      next.yMax !== prev.yMax ||
      this.version === 0
    ) {
      this.extent = next;
      this.version++;
    }
  }

  /** x in the extent → [0, 1] (outside values clamped to the edge). */
  normX(x: number): number {
    const e = this.extent;
    const v = (x - e.xMin) / (e.xMax - e.xMin || 1);
    return v < 0 ? 0 : v > 1 ? 1 : v;
  }

  normY(y: number): number {
    const e = this.extent;
    const v = (y - e.yMin) / (e.yMax - e.yMin || 1);
    return v < 0 ? 0 : v > 1 ? 1 : v;
  }
}
