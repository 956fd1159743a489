/**
 * Time travel over the dashboard time range: a slider (follows props.timeRange), tick marks for updates,
 * a band over the spans replayed exactly from the pod log, step back/forward through known instants, Live,
 * what the shown state is (exact replay or nearest known state), and a diff base ("compare from here").
 * Keyboard on the slider: ←/↓ and →/↑ step to the previous / next known instant (→ past the last one is
 * Live), PageUp/PageDown 10 at a time, Home the first, End Live; `aria-valuetext` reads the instant.
 */
import React from 'react';
import { css } from '@emotion/css';
import { type GrafanaTheme2, type TimeZone } from '@grafana/data';
import { Button, useStyles2 } from '@grafana/ui';

import { fmtInstant, fmtTimeMs } from '../format';

export interface TimelineProps {
  from: number;
  to: number;
  /** null = live (latest). */
  at: number | null;
  compareAt: number | null;
  /** Sorted instants one can step to (updates and known states). */
  instants: number[];
  /** Update instants drawn as ticks. */
  ticks: number[];
  /** Spans where the document is known exactly (a pod replay), drawn as a band. */
  exactRanges?: Array<[number, number]>;
  /** What the shown state is ("replayed from pod log", "earliest known state", …); null when live. */
  status?: string | null;
  width: number;
  /** The dashboard's time zone. */
  timeZone?: TimeZone;
  onTravel: (t: number | null) => void;
  onCompare: (t: number | null) => void;
}

/** Previous/next instant strictly before/after `t`, or undefined. */
export function stepInstant(instants: number[], t: number, dir: -1 | 1): number | undefined {
  if (dir < 0) {
    for (let i = instants.length - 1; i >= 0; i--) if ((instants[i] as number) < t) return instants[i];
    return undefined;
  }
  for (const x of instants) if (x > t) return x;
  return undefined;
}

const MAX_TICKS = 400;
/** Instants skipped by PageUp / PageDown on the slider. */
const PAGE = 10;
/** Below this width the compare buttons show only their icon. */
const NARROW = 480;

/**
 * Where a key on the slider goes: an instant of `inRange` (sorted), null for Live, undefined when the key
 * does not move (or is not a slider key).
 */
export function sliderKeyTarget(
  key: string,
  inRange: number[],
  at: number | null
): number | null | undefined {
  const n = inRange.length;
  if (n === 0) return undefined;
  // The last instant ≤ the current one (-1: before all; Live: the newest).
  let lastLE = n - 1;
  if (at !== null) {
    lastLE = -1;
    for (let k = 0; k < n; k++) if ((inRange[k] as number) <= at) lastLE = k;
  }
  const exact = at !== null && lastLE >= 0 && inRange[lastLE] === at;
  // Stepping back k: from Live the newest instant is one step; from an instant between two, the one before.
  const slot = at === null ? n : exact ? lastLE : lastLE + 1;
  const back = (k: number) => (slot === 0 ? undefined : inRange[Math.max(0, slot - k)]);
  // Stepping forward k: past the newest instant is Live.
  const forward = (k: number) => (at === null ? undefined : lastLE + k < n ? inRange[lastLE + k] : null);
  switch (key) {
    case 'ArrowLeft':
    case 'ArrowDown':
      return back(1);
    case 'PageDown':
      return back(PAGE);
    case 'ArrowRight':
    case 'ArrowUp':
      return forward(1);
    case 'PageUp':
      return forward(PAGE);
    case 'Home':
      return inRange[0];
    case 'End':
      return at === null ? undefined : null;
    default:
      return undefined;
  }
}

export function Timeline(props: TimelineProps) {
  const { from, to, at, compareAt, instants, width } = props;
  const styles = useStyles2(getStyles);
  const span = Math.max(1, to - from);
  const current = at ?? to;
  const inRange = instants.filter((t) => t >= from && t <= to);
  const prev = stepInstant(inRange, current, -1);
  const next = at === null ? undefined : stepInstant(inRange, current, 1);
  const ticks = props.ticks.filter((t) => t >= from && t <= to);
  const stride = Math.max(1, Math.ceil(ticks.length / MAX_TICKS));
  const trackW = Math.max(40, width - 16);
  const narrow = width < NARROW;
  const pos = at === null ? -1 : inRange.indexOf(at);
  const valueText =
    at === null
      ? 'Live: the current document'
      : `${fmtInstant(at, props.timeZone)}${pos >= 0 ? `, step ${pos + 1} of ${inRange.length}` : ''}${
          props.status ? `, ${props.status}` : ''
        }`;
  const diffLabel = compareAt === null ? '' : `Diff from ${fmtTimeMs(compareAt, props.timeZone)}`;
  return (
    <div
      className={styles.root}
      data-testid="crdt-timeline"
      data-at={at ?? 'live'}
      data-compare={compareAt ?? ''}
    >
      <div className={styles.track} style={{ width: trackW }}>
        {(props.exactRanges ?? [])
          .map(([a, b]) => [Math.max(from, a), Math.min(to, b)] as const)
          .filter(([a, b]) => a <= b)
          .map(([a, b]) => (
            <span
              key={`x${a}-${b}`}
              className={styles.exact}
              data-testid="crdt-timeline-exact"
              style={{
                left: ((a - from) / span) * trackW,
                width: Math.max(1, ((b - a) / span) * trackW),
              }}
              title="replayed exactly from the pod log"
            />
          ))}
        {ticks
          .filter((_, i) => i % stride === 0)
          .map((t, i) => (
            <span key={`${t}-${i}`} className={styles.tick} style={{ left: ((t - from) / span) * trackW }} />
          ))}
        {compareAt !== null && compareAt >= from && compareAt <= to && (
          <span
            className={styles.compare}
            style={{ left: ((compareAt - from) / span) * trackW }}
            title="diff base"
          />
        )}
        <input
          type="range"
          aria-label="Time travel"
          data-testid="crdt-timeline-slider"
          className={styles.slider}
          min={from}
          max={to}
          step={1}
          value={Math.min(to, Math.max(from, current))}
          aria-valuetext={valueText}
          onChange={(e) => {
            const t = Number(e.currentTarget.value);
            props.onTravel(t >= to ? null : t);
          }}
          onKeyDown={(e) => {
            // Keys step between known instants (updates, states), not 1 ms at a time.
            if (
              ![
                'ArrowLeft',
                'ArrowRight',
                'ArrowUp',
                'ArrowDown',
                'PageUp',
                'PageDown',
                'Home',
                'End',
              ].includes(e.key)
            ) {
              return;
            }
            e.preventDefault();
            const t = sliderKeyTarget(e.key, inRange, at);
            if (t !== undefined) props.onTravel(t);
          }}
        />
      </div>
      <div className={styles.controls}>
        <Button
          size="sm"
          variant="secondary"
          icon="step-backward"
          aria-label="Step back"
          disabled={prev === undefined}
          onClick={() => prev !== undefined && props.onTravel(prev)}
        />
        <Button
          size="sm"
          variant="secondary"
          icon="forward"
          aria-label="Step forward"
          disabled={next === undefined}
          onClick={() => next !== undefined && props.onTravel(next)}
        />
        <Button
          size="sm"
          variant={at === null ? 'primary' : 'secondary'}
          onClick={() => props.onTravel(null)}
        >
          Live
        </Button>
        <span className={styles.label} data-testid="crdt-instant">
          {at === null ? 'live' : fmtInstant(at, props.timeZone)}
        </span>
        {at !== null && props.status && (
          <span className={styles.status} data-testid="crdt-state-status">
            {props.status}
          </span>
        )}
        <span className={styles.fill} />
        {compareAt === null ? (
          <Button
            size="sm"
            variant="secondary"
            icon="code-branch"
            aria-label={narrow ? 'Compare from here' : undefined}
            tooltip={narrow ? 'Compare from here' : undefined}
            onClick={() => props.onCompare(current)}
          >
            {narrow ? null : 'Compare from here'}
          </Button>
        ) : (
          <Button
            size="sm"
            variant="secondary"
            icon="times"
            aria-label={narrow ? diffLabel : undefined}
            tooltip={narrow ? diffLabel : undefined}
            onClick={() => props.onCompare(null)}
          >
            {narrow ? null : diffLabel}
          </Button>
        )}
      </div>
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  root: css({
    display: 'flex',
    flexDirection: 'column',
    gap: 2,
    padding: theme.spacing(0.5, 1),
    borderTop: `1px solid ${theme.colors.border.weak}`,
  }),
  track: css({ position: 'relative', height: 18 }),
  tick: css({
    position: 'absolute',
    top: 2,
    width: 1,
    height: 6,
    background: theme.colors.text.disabled,
    pointerEvents: 'none',
  }),
  exact: css({
    position: 'absolute',
    top: 0,
    height: 2,
    background: theme.colors.success.main,
    opacity: 0.6,
    pointerEvents: 'none',
  }),
  status: css({
    color: theme.colors.text.secondary,
    fontSize: theme.typography.bodySmall.fontSize,
    whiteSpace: 'nowrap',
    overflow: 'hidden',
    textOverflow: 'ellipsis',
    minWidth: 0,
  }),
  compare: css({
    position: 'absolute',
    top: 0,
    width: 2,
    height: 18,
    background: theme.colors.warning.main,
    pointerEvents: 'none',
  }),
  slider: css({ position: 'absolute', left: 0, right: 0, top: 4, width: '100%', margin: 0 }),
  controls: css({ display: 'flex', alignItems: 'center', gap: theme.spacing(0.5), height: 26 }),
  label: css({
    fontFamily: theme.typography.fontFamilyMonospace,
    fontSize: theme.typography.bodySmall.fontSize,
    whiteSpace: 'nowrap',
    overflow: 'hidden',
    textOverflow: 'ellipsis',
    minWidth: 0,
  }),
  fill: css({ flex: 1 }),
});
