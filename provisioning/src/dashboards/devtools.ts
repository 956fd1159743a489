/** DevTools dashboard: one live room through the collab datasource (inspect bridge). */
import { CRDT_PANEL_TYPE, PRESENCE_PANEL_TYPE, type CollabQueryModel } from '@collabblocks/protocol';
import { DS } from '../datasources.js';
import { Layout, collabQueryVariable, dashboard, type JsonObject } from './common.js';
import { logsPanel, timeseriesPanel } from './panels.js';

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
    description:
      'Live cursors and selections of everyone in the room (pseudonymous unless content scope); in a text or ' +
      'rich-text document, where edits landed over the time range (live updates and the history of the range).',
    w: 12,
    h: 12,
    datasource: DS.collab,
    // Updates (live) and history (the time range) feed the document view's edit heat.
    targets: [q('presence'), q('updates'), q('history')],
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
  l.add(
    logsPanel({
      title: 'Updates log',
      w: 12,
      h: 10,
      datasource: DS.collab,
      targets: [q('updates')],
      showLabels: false,
      wrapLogMessage: true,
    })
  );
  l.add(
    logsPanel({
      title: 'Traffic log',
      w: 12,
      h: 10,
      datasource: DS.collab,
      targets: [q('traffic')],
      showLabels: true,
      wrapLogMessage: false,
    })
  );
  l.add(
    timeseriesPanel({
      title: 'Live room metrics',
      w: 24,
      h: 8,
      datasource: DS.collab,
      targets: [q('metrics')],
      unit: 'short',
      defaults: { min: 0 },
    })
  );

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
