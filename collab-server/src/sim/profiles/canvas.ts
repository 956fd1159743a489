/**
 * Canvases. tldraw (its yjs example): a Y.Array `tl_<room>` of `{key, val}` records (YKeyValue:
 * a change deletes the old entry and pushes the new one) holding a page and geo shapes, plus a
 * `meta` map; awareness `presence` = a TLInstancePresence record in page coordinates. Excalidraw
 * (y-excalidraw): a Y.Array `elements` of Y.Maps `{el, pos}` plus `assets`; awareness `pointer {x, y,
 * tool}`, `button`, `selectedElementIds {id: true}`, `user {name, color, state}` in scene coordinates.
 */
import * as Y from 'yjs';
import type { BotContext, Profile } from './types.js';

const PAGE_SCALE = 2400;
const SCENE_SCALE = 3000;
const MAX_SHAPES = 80;

/** The example's store: `tl_<roomId>` (the room slug without its generation suffix). */
function tlArray(doc: Y.Doc, ctx: BotContext): Y.Array<{ key: string; val: Record<string, unknown> }> {
  const slug = (ctx.room.split('/')[1] ?? 'room').replace(/-v\d+$/, '');
  return doc.getArray(`tl_${slug}`);
}

function shapeId(ctx: BotContext): string {
  return `shape:${ctx.name.replace(/\W/g, '').slice(0, 8)}${ctx.rng.int(1_000_000)}`;
}

export const tldrawProfile: Profile = {
  name: 'tldraw',
  edit(doc, ctx) {
    const arr = tlArray(doc, ctx);
    doc.transact(() => {
      if (arr.length === 0) {
        arr.push([
          {
            key: 'page:page',
            val: { id: 'page:page', typeName: 'page', name: 'Page 1', index: 'a1', meta: {} },
          },
        ]);
        doc.getMap('meta').set('schema', { schemaVersion: 2, sequences: { 'com.tldraw.shape.geo': 9 } });
      }
      const x = Math.round(ctx.point.x * PAGE_SCALE - PAGE_SCALE / 4);
      const y = Math.round(ctx.point.y * PAGE_SCALE - PAGE_SCALE / 4);
      const mine = ctx.caret.selected[0];
      const at = mine === undefined ? -1 : arr.toArray().findIndex((e) => e.key === mine);
      if (at >= 0 && ctx.rng.chance(0.7)) {
        const old = arr.get(at);
        arr.delete(at, 1);
        arr.push([{ key: old.key, val: { ...old.val, x, y } }]);
      } else {
        const id = shapeId(ctx);
        arr.push([
          {
            key: id,
            val: {
              id,
              typeName: 'shape',
              type: 'geo',
              x,
              y,
              rotation: 0,
              index: `a${arr.length + 1}`,
              parentId: 'page:page',
              isLocked: false,
              opacity: 1,
              props: {
                geo: 'rectangle',
                w: 120 + ctx.rng.int(200),
                h: 80 + ctx.rng.int(120),
                color: 'black',
              },
              meta: {},
            },
          },
        ]);
        ctx.caret.selected = [id];
      }
      while (arr.length > MAX_SHAPES) arr.delete(1, 1);
    }, 'sim');
    return 'array';
  },
  awareness(doc, ctx) {
    const x = ctx.point.x * PAGE_SCALE - PAGE_SCALE / 4;
    const y = ctx.point.y * PAGE_SCALE - PAGE_SCALE / 4;
    return {
      presence: {
        id: `instance_presence:${doc.clientID}`,
        typeName: 'instance_presence',
        userId: String(doc.clientID),
        userName: ctx.name,
        lastActivityTimestamp: ctx.status === 'editing' ? ctx.now : ctx.now - 60_000,
        followingUserId: null,
        cursor:
          ctx.status === 'away'
            ? null
            : { x: Math.round(x * 100) / 100, y: Math.round(y * 100) / 100, type: 'default', rotation: 0 },
        color: ctx.color,
        camera: { x: Math.round(-x + 600), y: Math.round(-y + 400), z: 1 },
        screenBounds: { x: 0, y: 0, w: 1280, h: 800 },
        selectedShapeIds: ctx.caret.selected,
        currentPageId: 'page:page',
        brush: null,
        scribbles: [],
        chatMessage: '',
        meta: {},
      },
    };
  },
};

export const excalidrawProfile: Profile = {
  name: 'excalidraw',
  edit(doc, ctx) {
    const elements = doc.getArray<Y.Map<unknown>>('elements');
    doc.transact(() => {
      const mine = ctx.caret.selected[0];
      const x = Math.round(ctx.point.x * SCENE_SCALE);
      const y = Math.round(ctx.point.y * SCENE_SCALE);
      const found =
        mine === undefined
          ? undefined
          : elements.toArray().find((m) => (m.get('el') as { id?: string } | undefined)?.id === mine);
      if (found && ctx.rng.chance(0.7)) {
        const el = found.get('el') as Record<string, unknown>;
        found.set('el', { ...el, x, y, version: Number(el.version ?? 1) + 1 });
      } else {
        const id = `el-${ctx.rng.int(1_000_000_000).toString(36)}`;
        const m = new Y.Map<unknown>();
        elements.push([m]);
        m.set('pos', `a${elements.length}`);
        m.set('el', {
          id,
          type: ctx.rng.chance(0.5) ? 'rectangle' : 'ellipse',
          x,
          y,
          width: 100 + ctx.rng.int(200),
          height: 60 + ctx.rng.int(150),
          angle: 0,
          strokeColor: '#1e1e1e',
          backgroundColor: 'transparent',
          version: 1,
          isDeleted: false,
        });
        ctx.caret.selected = [id];
      }
      while (elements.length > MAX_SHAPES) elements.delete(0, 1);
    }, 'sim');
    return 'array';
  },
  awareness(_doc, ctx) {
    const selectedElementIds: Record<string, true> = {};
    for (const id of ctx.caret.selected) selectedElementIds[id] = true;
    const state = ctx.status === 'editing' ? 'active' : ctx.status;
    return {
      user: { name: ctx.name, color: ctx.color, state },
      pointer: {
        x: Math.round(ctx.point.x * SCENE_SCALE * 100) / 100,
        y: Math.round(ctx.point.y * SCENE_SCALE * 100) / 100,
        tool: 'pointer',
      },
      button: ctx.rng.chance(0.2) ? 'down' : 'up',
      selectedElementIds,
    };
  },
};
