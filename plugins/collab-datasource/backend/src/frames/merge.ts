/**
 * One frame per Live packet. Grafana Live keeps the LAST packet of a channel as the channel's frame (the SDK's
 * `StreamSender.SendFrame` sends one frame), so a live response with several frames — one time series per
 * pod (metrics) — sent as one packet each makes every viewer flicker between single-pod frames. This merges a
 * response's frames into one consistent view:
 * - time series (every frame's first field is time): one time field, the union of every frame's times, and
 *   every frame's value fields side by side (they keep their labels, e.g. `pod`), each row holding each
 *   frame's latest value at or before that time (null before its first sample) — an as-of join, so two pods
 *   that tick a few ms apart do not leave every other cell empty;
 * - frames with the same fields (names and types): their rows one after the other.
 * Anything else is returned as it is (the caller sends it unmerged). Types only from @grafana/data, so the
 * merge runs (and is unit-tested) without Grafana's browser runtime.
 */
import type { DataFrame, Field, QueryResultMeta } from '@grafana/data';

const TIME = 'time';

function isTimeSeries(f: DataFrame): boolean {
  return f.fields.length >= 2 && f.fields[0]!.type === TIME;
}

function sameFields(a: DataFrame, b: DataFrame): boolean {
  return (
    a.fields.length === b.fields.length &&
    a.fields.every((f, i) => f.name === b.fields[i]!.name && f.type === b.fields[i]!.type)
  );
}

function rowsOf(f: DataFrame): number {
  return f.fields.length ? Math.min(...f.fields.map((x) => x.values.length)) : 0;
}

/** The first frame's meta, with every frame's notices (deduplicated) — a pod's error stays visible. */
function mergedMeta(frames: DataFrame[], type?: QueryResultMeta['type']): QueryResultMeta | undefined {
  const base = frames[0]!.meta;
  const seen = new Set<string>();
  const notices = frames
    .flatMap((f) => f.meta?.notices ?? [])
    .filter((n) => {
      const k = `${n.severity}\u0000${n.text}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
  if (!base && !notices.length && !type) return undefined;
  const meta: QueryResultMeta = { ...base, ...(type ? { type } : {}) };
  if (notices.length) meta.notices = notices;
  else delete meta.notices;
  return meta;
}

function asOfJoin(frames: DataFrame[]): DataFrame {
  const times = new Set<number>();
  for (const f of frames) {
    const n = rowsOf(f);
    const t = f.fields[0]!.values;
    for (let i = 0; i < n; i++) {
      const v: unknown = t[i];
      if (typeof v === 'number') times.add(v);
    }
  }
  const sorted = [...times].sort((a, b) => a - b);
  const timeField: Field = { ...frames[0]!.fields[0]!, values: sorted };
  const valueFields: Field[] = [];
  for (const f of frames) {
    const n = rowsOf(f);
    const t = f.fields[0]!.values as unknown[];
    // Row order of a window is time order; sort defensively (a pod's clock may step back).
    const order = Array.from({ length: n }, (_, i) => i)
      .filter((i) => typeof t[i] === 'number')
      .sort((a, b) => (t[a] as number) - (t[b] as number));
    for (const field of f.fields.slice(1)) {
      const out: unknown[] = new Array(sorted.length);
      let k = -1;
      for (let r = 0; r < sorted.length; r++) {
        while (k + 1 < order.length && (t[order[k + 1]!] as number) <= sorted[r]!) k++;
        out[r] = k >= 0 ? (field.values[order[k]!] ?? null) : null;
      }
      valueFields.push({ ...field, values: out });
    }
  }
  const first = frames[0]!;
  const meta = mergedMeta(frames, 'timeseries-wide' as QueryResultMeta['type']);
  return {
    ...(first.refId !== undefined ? { refId: first.refId } : {}),
    ...(meta ? { meta } : {}),
    fields: [timeField, ...valueFields],
    length: sorted.length,
  };
}

function concatRows(frames: DataFrame[]): DataFrame {
  const first = frames[0]!;
  const fields: Field[] = first.fields.map((field, i) => ({
    ...field,
    values: frames.flatMap((f) => {
      const v = f.fields[i]!.values;
      return Array.from({ length: rowsOf(f) }, (_, r): unknown => v[r]);
    }),
  }));
  const meta = mergedMeta(frames);
  return {
    ...(first.name !== undefined ? { name: first.name } : {}),
    ...(first.refId !== undefined ? { refId: first.refId } : {}),
    ...(meta ? { meta } : {}),
    fields,
    length: fields[0]?.values.length ?? 0,
  };
}

/** The frames as one frame when they can be merged (see above); else as they are. */
export function mergeFrames(frames: DataFrame[]): DataFrame[] {
  if (frames.length <= 1) return frames;
  if (frames.every(isTimeSeries)) return [asOfJoin(frames)];
  if (frames.every((f) => sameFields(f, frames[0]!))) return [concatRows(frames)];
  return frames;
}
