import { CircularDataFrame, DataFrameType, FieldType } from '@grafana/data';
import { METRICS_FIELDS as M, type MetricsMessage } from '@collabblocks/protocol';

import { collabMeta } from './common';

const SERIES: Array<[Exclude<keyof typeof M, 'time'>, string | undefined]> = [
  ['opsPerSec', 'ops'],
  ['connections', 'short'],
  ['presence', 'short'],
  ['bytesIn', 'decbytes'],
  ['bytesOut', 'decbytes'],
  ['framesIn', 'short'],
  ['framesOut', 'short'],
  ['docBytes', 'decbytes'],
];

/** Live metrics of one room on one pod: a time series window (CircularDataFrame). */
export class MetricsWindow {
  readonly frame: CircularDataFrame;

  constructor(opts: { refId: string; room: string; pod: string; capacity: number }) {
    this.frame = new CircularDataFrame({ append: 'tail', capacity: opts.capacity });
    this.frame.refId = opts.refId;
    this.frame.name = `${opts.pod} ${opts.room}`;
    this.frame.meta = collabMeta(
      'metrics',
      { room: opts.room, pod: opts.pod },
      { type: DataFrameType.TimeSeriesMulti }
    );
    this.frame.addField({ name: M.time, type: FieldType.time });
    for (const [key, unit] of SERIES) {
      this.frame.addField({
        name: M[key],
        type: FieldType.number,
        labels: { pod: opts.pod, room: opts.room },
        config: unit ? { unit } : {},
      });
    }
  }

  add(msg: MetricsMessage): void {
    const row: Record<string, number> = { [M.time]: msg.ts };
    for (const [key] of SERIES) row[M[key]] = msg[key];
    this.frame.add(row);
  }
}
