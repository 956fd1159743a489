/** DevTools dashboard: one live room through the collab datasource (inspect bridge). */
import { CRDT_PANEL_TYPE, PRESENCE_PANEL_TYPE, type CollabQueryModel } from '@collabblocks/protocol';
import { DS } from '../datasources.js';
import {
  Layout,
  TOOLTIP,
  collabQueryVariable,
  dashboard,
  fieldConfig,
  timeseriesDefaults,
  type JsonObject,
} from './common.js';

const ROOM = '$room';

function q(
  queryType: CollabQueryModel['queryType'],
  extra: Partial<CollabQueryModel> = {}
): Omit<CollabQueryModel, 'refId'> {
  return { queryType, room: ROOM, ...extra };
}

export function devtoolsDashboard(): JsonObject {
  const l = new Layout();

  l.row('Room $room');
  l.add({
    type: PRESENCE_PANEL_TYPE,
    title: 'Presence',
    description: 'Live cursors and selections of everyone in the room (pseudonymous unless content scope).',
    w: 12,
    h: 12,
    datasource: DS.collab,
    targets: [q('presence')],
    options: {},
  });
  l.add({
    type: CRDT_PANEL_TYPE,
    title: 'CRDT document',
    description: 'Yjs document tree, live updates and history of the room.',
    w: 12,
    h: 12,
    datasource: DS.collab,
    targets: [q('tree'), q('updates'), q('history')],
    options: {},
  });
  l.add({
    type: 'logs',
    title: 'Updates log',
    w: 12,
    h: 10,
    datasource: DS.collab,
    targets: [q('updates')],
    options: {
      showTime: true,
      showLabels: false,
      wrapLogMessage: true,
      sortOrder: 'Descending',
      enableLogDetails: true,
      dedupStrategy: 'none',
    },
  });
  l.add({
    type: 'logs',
    title: 'Traffic log',
    w: 12,
    h: 10,
    datasource: DS.collab,
    targets: [q('traffic')],
    options: {
      showTime: true,
      showLabels: true,
      wrapLogMessage: false,
      sortOrder: 'Descending',
      enableLogDetails: true,
      dedupStrategy: 'none',
    },
  });
  l.add({
    type: 'timeseries',
    title: 'Live room metrics',
    w: 24,
    h: 8,
    datasource: DS.collab,
    targets: [q('metrics')],
    fieldConfig: fieldConfig(timeseriesDefaults('short', { min: 0 })),
    options: { legend: { displayMode: 'list', placement: 'bottom', showLegend: true }, tooltip: TOOLTIP },
  });

  return dashboard({
    uid: 'collab-devtools',
    title: 'CollabBlocks / DevTools',
    description: 'Presence, CRDT tree, updates and traffic of one live room, streamed from the pods.',
    tags: ['collabblocks', 'devtools'],
    panels: l.panels,
    time: { from: 'now-15m', to: 'now' },
    refresh: '',
    liveNow: true,
    variables: [collabQueryVariable('room', 'Room', { kind: 'rooms' })],
  });
}
