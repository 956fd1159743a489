import { useMemo, useState } from 'react';

import { diffTrees } from '../../../data/diff';
import { type TreeModel } from '../../../data/model';
import { fmtTimeMs } from '../../format';
import { type PanelStore } from '../ingest';
import { useRoomChange } from './useRoomChange';

/**
 * Time travel and compare: the instant shown (null: live), the pinned instant the diff is taken against,
 * the model shown, and what the timeline draws (instants, ticks, exactly replayable ranges, status).
 */
export function useTimeTravel(s: PanelStore, timeZone: string) {
  const [travelAt, setTravelAt] = useState<number | null>(null);
  const [compareAt, setCompareAt] = useState<number | null>(null);
  useRoomChange(s.epoch, () => {
    setTravelAt(null);
    setCompareAt(null);
  });

  const live = s.current();
  const liveVersion = live?.version ?? 0;
  const travelled = useMemo(
    () => (travelAt === null ? null : s.history.stateAt(travelAt, { view: true })),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [travelAt, s, s.history.revision, liveVersion]
  );
  const model: TreeModel | null = travelled ? travelled.model : live;
  const version = travelled ? `t${travelled.ts}` : `v${liveVersion}`;

  const compareState = useMemo(
    () => (compareAt === null ? null : s.history.stateAt(compareAt)),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [compareAt, s, s.history.revision]
  );
  const diff = useMemo(
    () => (compareState && model ? diffTrees(compareState.model, model) : null),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [compareState, model, version]
  );

  const historyInstants = useMemo(
    () => s.history.instants(),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [s, s.history.revision]
  );
  const instants = useMemo(
    () => [...new Set([...historyInstants, ...s.updates.map((u) => u.ts)])].sort((a, b) => a - b),
    [historyInstants, s.updates]
  );
  // Ticks: the update list's updates and the replayed steps (a dashboard may have no history query).
  const ticks = useMemo(
    () => {
      const steps = s.history.replayInstants();
      return steps.length === 0 ? s.updates.map((u) => u.ts) : instantsUnion(steps, s.updates);
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [s, s.history.revision, s.updates]
  );
  const exactRanges = useMemo(
    () => s.history.exactRanges(),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [s, s.history.revision]
  );
  const travelStatus = !travelled
    ? null
    : travelled.exact
      ? `replayed from pod log${travelled.model.meta.seq !== undefined ? ` · seq ${travelled.model.meta.seq}` : ''}`
      : travelled.before
        ? 'earliest known state'
        : travelled.source === 'keyframe'
          ? `pod state at ${fmtTimeMs(travelled.ts, timeZone)}`
          : 'watched live';

  return {
    travelAt,
    setTravelAt,
    compareAt,
    setCompareAt,
    travelled,
    model,
    version,
    compareState,
    diff,
    instants,
    ticks,
    exactRanges,
    travelStatus,
  };
}

function instantsUnion(steps: number[], updates: Array<{ ts: number }>): number[] {
  const all = new Set(steps);
  for (const u of updates) all.add(u.ts);
  return [...all].sort((a, b) => a - b);
}
