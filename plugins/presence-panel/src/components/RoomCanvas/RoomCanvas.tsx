import { useEffect, useRef } from 'react';

import { describeRoom } from '../../data/describe';
import type { PresenceView } from '../../data/docLayout';
import { FrameTimes } from '../../data/frameTimes';
import type { RoomPresence } from '../../data/store';
import { DocumentRenderer } from '../../render/DocumentRenderer';
import { PresenceRenderer, type RenderOptions, type RenderStyle } from '../../render/PresenceRenderer';

export interface RoomCanvasProps {
  room: RoomPresence;
  width: number;
  height: number;
  style: RenderStyle;
  opts: RenderOptions;
  /** Document minimap or 2D canvas. */
  view?: PresenceView;
}

type Renderer = PresenceRenderer | DocumentRenderer;

/** Attribute updates (test/bench hooks) at most this often. */
const ATTR_INTERVAL_MS = 200;
/** Without changes, redraw this often anyway (time-based staleness). */
const IDLE_REDRAW_MS = 1000;
/** While only the heatmap fades (no new data), redraw at most this often (~15 fps). */
const FADE_REDRAW_MS = 66;

/**
 * One room's canvas with its own rAF loop. The loop pauses while the canvas is
 * off screen (IntersectionObserver) or the document is hidden, and only draws
 * when the room changed, the heatmap is fading, or a second passed.
 * Exposes `data-*` counters on its wrapper for tests and the benchmark. The
 * canvas is an image for assistive technology, named by `describeRoom` (room,
 * users, stale presences and where the heatmap is hottest).
 */
export function RoomCanvas({ room, width, height, style, opts, view = 'canvas' }: RoomCanvasProps) {
  const wrapRef = useRef<HTMLDivElement>(null);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const rendererRef = useRef<Renderer | null>(null);
  const latest = useRef({ room, style, opts, dirty: true });
  latest.current.room = room;
  latest.current.style = style;
  latest.current.opts = opts;
  latest.current.dirty = true;

  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas) return;
    const renderer = view === 'document' ? new DocumentRenderer(canvas) : new PresenceRenderer(canvas);
    renderer.resize(width, height, window.devicePixelRatio || 1);
    rendererRef.current = renderer;
    latest.current.dirty = true;
    return () => {
      rendererRef.current = null;
    };
    // A new renderer per view; size changes are applied below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [view]);

  useEffect(() => {
    rendererRef.current?.resize(width, height, window.devicePixelRatio || 1);
    room.fit.setAspect(width, height);
    latest.current.dirty = true;
  }, [width, height, room]);

  useEffect(() => {
    const wrap = wrapRef.current;
    if (!wrap) return;
    const times = new FrameTimes(600);
    let raf = 0;
    let intersecting = true;
    let lastVersion = -1;
    let lastRoom: RoomPresence | null = null;
    let lastDraw = 0;
    let lastAttrs = 0;
    let frames = 0;

    const running = () => intersecting && !document.hidden;
    const writeAttrs = (now: number) => {
      const r = rendererRef.current;
      if (!r) return;
      lastAttrs = now;
      wrap.dataset.cursors = String(r.stats.cursors);
      wrap.dataset.stale = String(r.stats.stale);
      wrap.dataset.heatCells = String(r.stats.heatCells);
      wrap.dataset.heatTotal = r.stats.heatTotal.toFixed(2);
      wrap.dataset.editCells = String(r.stats.editCells);
      wrap.dataset.editTotal = String(r.stats.editTotal);
      wrap.dataset.frames = String(frames);
      wrap.dataset.frameP95 = times.percentile(95).toFixed(3);
    };
    const tick = () => {
      raf = 0;
      if (!running()) {
        wrap.dataset.paused = 'true';
        return;
      }
      raf = requestAnimationFrame(tick);
      const r = rendererRef.current;
      if (!r) return;
      const { room: rm, style: st, opts: op } = latest.current;
      const now = Date.now();
      const changed = latest.current.dirty || rm.version !== lastVersion || rm !== lastRoom;
      if (!changed && now - lastDraw < (rm.heat.max > 0 ? FADE_REDRAW_MS : IDLE_REDRAW_MS)) return;
      const t0 = performance.now();
      // Same clock as ingest (epoch ms); ingest already decays before adding samples, and the grid's
      // clock never moves backwards, so a draw only fades what is older than its last update.
      rm.heat.decay(now);
      rm.blockHeat.decay(now);
      r.draw(rm, now, st, op);
      times.push(performance.now() - t0);
      frames++;
      latest.current.dirty = false;
      lastVersion = rm.version;
      lastRoom = rm;
      lastDraw = now;
      if (now - lastAttrs >= ATTR_INTERVAL_MS) writeAttrs(now);
    };
    const resume = () => {
      if (raf === 0 && running()) {
        wrap.dataset.paused = 'false';
        raf = requestAnimationFrame(tick);
      }
    };
    const onVisibility = () => resume();
    document.addEventListener('visibilitychange', onVisibility);
    let observer: IntersectionObserver | null = null;
    if (typeof IntersectionObserver !== 'undefined') {
      observer = new IntersectionObserver((entries) => {
        for (const e of entries) intersecting = e.isIntersecting;
        resume();
      });
      observer.observe(wrap);
    }
    resume();
    return () => {
      if (raf) cancelAnimationFrame(raf);
      document.removeEventListener('visibilitychange', onVisibility);
      observer?.disconnect();
    };
  }, []);

  return (
    <div
      ref={wrapRef}
      data-testid="presence-room-canvas"
      data-room={room.name}
      data-view={view}
      data-space={view === 'canvas' ? room.fit.space || 'unit' : undefined}
      data-extent={
        view === 'canvas'
          ? [room.fit.extent.xMin, room.fit.extent.xMax, room.fit.extent.yMin, room.fit.extent.yMax].join(',')
          : undefined
      }
      data-blocks={view === 'document' ? room.docBlocks : undefined}
      data-root={view === 'document' ? room.docRoot : undefined}
      style={{ position: 'relative', width, height }}
    >
      <canvas
        ref={canvasRef}
        role="img"
        aria-label={describeRoom(room, Date.now(), opts.stale, view)}
        data-testid="presence-canvas"
        style={{ display: 'block', width, height }}
      />
    </div>
  );
}
