/**
 * Time travel over the dashboard time range: a slider (follows props.timeRange), tick marks for updates,
 * a band over the spans replayed exactly from the pod log, step back/forward through known instants, Live,
 * what the shown state is (exact replay or nearest known state), and a diff base ("compare from here").
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
          onChange={(e) => {
            const t = Number(e.currentTarget.value);
            props.onTravel(t >= to ? null : t);
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
          <Button size="sm" variant="secondary" icon="code-branch" onClick={() => props.onCompare(current)}>
            Compare from here
          </Button>
        ) : (
          <Button size="sm" variant="secondary" icon="times" onClick={() => props.onCompare(null)}>
            Diff from {fmtTimeMs(compareAt, props.timeZone)}
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
  }),
  fill: css({ flex: 1 }),
});
