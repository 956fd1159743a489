import { expect } from 'vitest';
import { type DataFrame } from '@grafana/data';

/**
 * Grafana's reader of a `heatmap-cells` frame, restated from its source (not exported by
 * @grafana/data): public/app/features/transformers/calculateHeatmap/heatmap.ts `isHeatmapCellsDense`
 * (dense = exactly one of y|yMin|yMax; else sparse, which reads fields[0..3] as xMax, yMin, yMax, count)
 * and public/app/plugins/panel/heatmap/fields.ts `getDenseHeatmapData` + utils.ts `heatmapPathsDense`
 * (facets = the fields in order: xs = fields[0], ys = fields[1], counts = fields[2]; y buckets =
 * dlen - ys.lastIndexOf(ys[0]), x buckets = dlen / yBuckets, sizes ys[1]-ys[0] and xs[yBuckets]-xs[0];
 * cell i is drawn at column xs[floor(i / yBuckets) * yBuckets], row ys[i % yBuckets]).
 */
export function readLikeGrafana(frame: DataFrame) {
  const yNames = frame.fields.filter((f) => ['y', 'yMin', 'yMax'].includes(f.name));
  const dense = yNames.length === 1;
  const xs = Array.from(frame.fields[0]?.values ?? []) as number[];
  const ys = Array.from(frame.fields[1]?.values ?? []) as number[];
  const counts = Array.from(frame.fields[2]?.values ?? []) as number[];
  const dlen = xs.length;
  const yBuckets = dlen - ys.lastIndexOf(ys[0] as number);
  const xBuckets = dlen / yBuckets;
  const ySize = (ys[1] as number) - (ys[0] as number);
  const xSize = (xs[yBuckets] as number) - (xs[0] as number);
  const yLayout =
    frame.fields[1]?.name === 'yMin' ? 'ge' : frame.fields[1]?.name === 'yMax' ? 'le' : 'unknown';
  const xLayout =
    frame.fields[0]?.name === 'xMin' ? 'ge' : frame.fields[0]?.name === 'xMax' ? 'le' : 'unknown';
  /** The count Grafana draws in the cell holding (x, y) (ge layout: a cell spans [min, min + size)). */
  const countAt = (x: number, y: number): number => {
    const col = Math.min(xBuckets - 1, Math.floor((x - (xs[0] as number)) / xSize));
    const row = Math.min(yBuckets - 1, Math.floor((y - (ys[0] as number)) / ySize));
    const i = col * yBuckets + row;
    // The position Grafana derives for index i must be that cell.
    expect(xs[Math.floor(i / yBuckets) * yBuckets]).toBeCloseTo((xs[0] as number) + col * xSize);
    expect(ys[i % yBuckets]).toBeCloseTo((ys[0] as number) + row * ySize);
    return counts[i] as number;
  };
  return { dense, yBuckets, xBuckets, xSize, ySize, xLayout, yLayout, countAt };
}
