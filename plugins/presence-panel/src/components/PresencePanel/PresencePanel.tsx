import { useEffect, useMemo, useRef, useState } from 'react';
import { css } from '@emotion/css';
import type { DataFrame, GrafanaTheme2, PanelProps, SelectableValue } from '@grafana/data';
import { Select, useStyles2, useTheme2 } from '@grafana/ui';

import { buildColorLut, SCHEME_COLOR_NAMES } from '../../data/colorScheme';
import { pickView } from '../../data/docLayout';
import { heatWindowOf } from '../../data/editHeat';
import { FrameTimes } from '../../data/frameTimes';
import { normaliseOptions, storeOptions } from '../../data/options';
import { PresenceStore, type RoomPresence } from '../../data/store';
import type { RenderOptions, RenderStyle } from '../../render/PresenceRenderer';
import type { PresenceOptions } from '../../types';
import { RoomCanvas } from '../RoomCanvas/RoomCanvas';
import { UserList, UserSummary } from '../UserList/UserList';

const HEADER_HEIGHT = 32;
const TITLE_HEIGHT = 18;
/** Small multiples drawn at most (more would be unreadable); the rest is counted in the header. */
export const MAX_MULTIPLES = 16;
/** The user list is shown from this panel width on; narrower panels keep a visually hidden summary. */
export const USER_LIST_MIN_WIDTH = 360;

const getStyles = (theme: GrafanaTheme2) => ({
  root: css({
    display: 'flex',
    flexDirection: 'column',
    overflow: 'hidden',
    color: theme.colors.text.primary,
  }),
  header: css({
    display: 'flex',
    alignItems: 'center',
    gap: theme.spacing(1),
    height: HEADER_HEIGHT,
    flex: '0 0 auto',
    fontSize: theme.typography.bodySmall.fontSize,
    color: theme.colors.text.secondary,
    paddingLeft: theme.spacing(0.5),
  }),
  body: css({ display: 'flex', flex: '1 1 auto', minHeight: 0 }),
  grid: css({ display: 'flex', flexWrap: 'wrap', alignContent: 'flex-start' }),
  multiple: css({ margin: 1, border: `1px solid ${theme.colors.border.weak}` }),
  more: css({ color: theme.colors.warning.text, whiteSpace: 'nowrap' }),
  title: css({
    height: TITLE_HEIGHT,
    fontSize: theme.typography.bodySmall.fontSize,
    color: theme.colors.text.secondary,
    overflow: 'hidden',
    textOverflow: 'ellipsis',
    whiteSpace: 'nowrap',
  }),
  empty: css({
    display: 'flex',
    alignItems: 'center',
    justifyContent: 'center',
    color: theme.colors.text.secondary,
    background: theme.colors.background.secondary,
    borderRadius: theme.shape.radius.default,
    fontSize: theme.typography.bodySmall.fontSize,
  }),
});

/** Re-render tick for time-based staleness in the user list (only while the page is visible). */
function useSecondTick(): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const id = window.setInterval(() => {
      if (!document.hidden) setNow(Date.now());
    }, 1000);
    return () => window.clearInterval(id);
  }, []);
  return now;
}

export function PresencePanel({
  data,
  options: rawOptions,
  width,
  height,
  timeRange,
}: PanelProps<PresenceOptions>) {
  const theme = useTheme2();
  const styles = useStyles2(getStyles);
  const options = useMemo(() => normaliseOptions(rawOptions), [rawOptions]);
  const palette = useMemo(
    () => theme.visualization.palette.map((c) => theme.visualization.getColorByName(c)),
    [theme]
  );
  const sOpts = storeOptions(options, palette.length);
  const storeRef = useRef<PresenceStore | null>(null);
  if (!storeRef.current) storeRef.current = new PresenceStore(sOpts);
  const store = storeRef.current;
  const optsKey = JSON.stringify(sOpts);
  const appliedKey = useRef(optsKey);
  if (appliedKey.current !== optsKey) {
    appliedKey.current = optsKey;
    store.configure(sOpts);
  }

  // Fold each new response once (guarded by identity, so a re-render never double counts).
  const ingested = useRef<DataFrame[] | null>(null);
  const ingestTimes = useRef(new FrameTimes(200));
  if (ingested.current !== data.series) {
    ingested.current = data.series;
    const t0 = performance.now();
    const at = Date.now();
    // Edit heat over the dashboard's time range (a relative range evaluated now).
    store.ingest(data.series, at, heatWindowOf(timeRange, at));
    ingestTimes.current.push(performance.now() - t0);
  }

  const tickNow = useSecondTick();
  const now = Math.max(tickNow, Date.now());
  // Rooms gone from the data leave the selector after a short grace even when no new data arrives.
  store.expire(now);
  const [picked, setPicked] = useState<string>('');
  const names = store.roomNames();
  const selected =
    (picked && names.includes(picked) && picked) ||
    (options.room && names.includes(options.room) && options.room) ||
    names[0] ||
    '';

  const style: RenderStyle = useMemo(
    () => ({
      palette,
      lut: buildColorLut(
        SCHEME_COLOR_NAMES[options.colorScheme].map((n) => theme.visualization.getColorByName(n))
      ),
      text: theme.colors.text.primary,
      textOutline: theme.colors.background.primary,
      staleStroke: theme.colors.warning.main,
      font: `11px ${theme.typography.fontFamily}`,
      blockFill: theme.colors.action.selected,
      blockStrong: theme.colors.action.focus,
    }),
    [palette, options.colorScheme, theme]
  );
  const renderOpts: RenderOptions = useMemo(
    () => ({
      showLabels: options.showLabels,
      labelLimit: 150,
      stale: { updates: options.staleUpdates, seconds: options.staleSeconds },
    }),
    [options.showLabels, options.staleUpdates, options.staleSeconds]
  );

  const hasPresence = names.length > 0;
  if (!hasPresence) {
    return (
      <div
        className={styles.empty}
        style={{ width, height }}
        data-testid="collabblocks-presence-panel-root"
        data-rooms={0}
        data-users={0}
        data-stale-users={0}
      >
        {options.emptyMessage}
      </div>
    );
  }

  const multiples = options.roomMode === 'multiples';
  const shownRooms: RoomPresence[] = multiples
    ? names.slice(0, MAX_MULTIPLES).map((n) => store.rooms.get(n) as RoomPresence)
    : [store.rooms.get(selected) as RoomPresence];
  const hiddenRooms = multiples ? Math.max(0, names.length - MAX_MULTIPLES) : 0;
  const listWidth =
    options.showUserList && width >= USER_LIST_MIN_WIDTH ? Math.min(260, Math.floor(width * 0.35)) : 0;
  const bodyHeight = Math.max(1, height - HEADER_HEIGHT);
  const areaWidth = Math.max(1, width - listWidth);
  const listUsers = multiples ? shownRooms.flatMap((r) => r.list) : (shownRooms[0]?.list ?? []);
  const totalUsers = shownRooms.reduce((n, r) => n + r.list.length, 0);
  const staleUsers = shownRooms.reduce((n, r) => n + r.staleCount(now, renderOpts.stale), 0);
  const dropped = shownRooms.reduce((n, r) => n + r.dropped, 0);

  let cells: Array<{ room: RoomPresence; w: number; h: number }>;
  if (multiples) {
    const cols = Math.ceil(Math.sqrt(shownRooms.length));
    const rows = Math.ceil(shownRooms.length / cols);
    const w = Math.max(1, Math.floor(areaWidth / cols) - 4);
    const h = Math.max(1, Math.floor(bodyHeight / rows) - TITLE_HEIGHT - 4);
    cells = shownRooms.map((room) => ({ room, w, h }));
  } else {
    cells = shownRooms.map((room) => ({ room, w: areaWidth, h: bodyHeight }));
  }

  const listKey = `${tickNow}:${selected}:${multiples}:${shownRooms.length}:${totalUsers}:${staleUsers}`;
  const roomOptions: Array<SelectableValue<string>> = names.map((n) => ({ label: n, value: n }));
  return (
    <div
      className={styles.root}
      style={{ width, height }}
      data-testid="collabblocks-presence-panel-root"
      data-rooms={names.length}
      data-users={totalUsers}
      data-stale-users={staleUsers}
      data-ingest-p95={ingestTimes.current.percentile(95).toFixed(3)}
    >
      <div className={styles.header}>
        {!multiples && names.length > 1 && (
          <div style={{ width: Math.min(260, Math.floor(width / 2)) }} data-testid="presence-room-select">
            <Select
              options={roomOptions}
              value={selected}
              onChange={(v) => setPicked(v.value ?? '')}
              aria-label="Room"
            />
          </div>
        )}
        {!multiples && names.length <= 1 && <span>{selected}</span>}
        <span data-testid="presence-summary">
          {totalUsers} {totalUsers === 1 ? 'user' : 'users'}
          {staleUsers > 0 ? ` · ${staleUsers} stale` : ''}
          {dropped > 0 ? ` · ${dropped} not shown (limit ${options.maxUsers})` : ''}
        </span>
        {hiddenRooms > 0 && (
          <span
            className={styles.more}
            data-testid="presence-more-rooms"
            title={`Small multiples show the first ${MAX_MULTIPLES} rooms (by name). Set the Rooms option to Selector to pick any room.`}
          >
            +{hiddenRooms} more {hiddenRooms === 1 ? 'room' : 'rooms'} (Rooms: Selector shows all)
          </span>
        )}
      </div>
      <div className={styles.body}>
        <div className={styles.grid} style={{ width: areaWidth, height: bodyHeight }}>
          {cells.map(({ room, w, h }) => (
            <div key={room.name} className={multiples ? styles.multiple : undefined}>
              {multiples && <div className={styles.title}>{room.name}</div>}
              <RoomCanvas
                room={room}
                width={w}
                height={h}
                style={style}
                opts={renderOpts}
                view={pickView(room.list, options.view)}
              />
            </div>
          ))}
        </div>
        {listWidth > 0 ? (
          <div style={{ width: listWidth }}>
            <UserList
              users={listUsers}
              palette={palette}
              now={now}
              rules={renderOpts.stale}
              height={bodyHeight}
              showRoom={multiples}
              renderKey={`${listKey}:${listWidth}:${theme.name}`}
            />
          </div>
        ) : (
          <UserSummary
            users={listUsers}
            now={now}
            rules={renderOpts.stale}
            showRoom={multiples}
            renderKey={listKey}
          />
        )}
      </div>
    </div>
  );
}
