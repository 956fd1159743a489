/**
 * Time travel on Hocuspocus: the optional MemoryUpdateLog, fed by a real Hocuspocus server from real
 * providers' edits, read back through the monitor's own replay (`rebuildDocAt`, the code the history
 * streams use on every host).
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { HistoryError, rebuildDocAt } from '@collabblocks/monitor';
import { MemoryUpdateLog } from '../src/index.js';
import { connectHocuspocus, startHocuspocus, type HocuspocusHost } from './helpers/hocuspocus.js';
import { waitFor } from './helpers/exposition.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let hp: HocuspocusHost | undefined;
afterEach(async () => {
  await hp?.stop();
  hp = undefined;
});

async function textAt(log: MemoryUpdateLog, room: string, at: number): Promise<string> {
  const { doc } = await rebuildDocAt(log, room, at);
  return doc.getText('t').toString();
}

describe('MemoryUpdateLog on Hocuspocus', () => {
  it('rebuilds the document as it was at each instant, and refuses instants before the load', async () => {
    const log = new MemoryUpdateLog();
    hp = await startHocuspocus({ monitor: { history: log } });
    const beforeLoad = Date.now() - 1;
    const a = connectHocuspocus(hp.wsUrl, 'acme/travel');
    await a.synced;
    const stamps: Array<[number, string]> = [];
    for (const word of ['one ', 'two ', 'three ']) {
      a.doc.getText('t').insert(a.doc.getText('t').length, word);
      const expected = a.doc.getText('t').toString();
      await waitFor(async () => (await log.stats()).some((s) => s.ops === stamps.length + 1), 5000, word);
      await sleep(15);
      stamps.push([Date.now(), expected]);
      await sleep(15);
    }
    for (const [at, text] of stamps) expect(await textAt(log, 'acme/travel', at)).toBe(text);
    const entries = (await log.load('acme/travel')).updates;
    expect(entries.map((u) => u.seq)).toEqual([2, 3, 4]);
    expect(entries.every((u) => u.clientId === a.doc.clientID)).toBe(true);
    await expect(rebuildDocAt(log, 'acme/travel', beforeLoad)).rejects.toMatchObject({
      code: 'history_pruned',
    });
    a.destroy();
  });

  it('starts from the state Hocuspocus loaded from its own storage', async () => {
    const stored = new Y.Doc();
    stored.getText('t').insert(0, 'from storage ');
    const log = new MemoryUpdateLog();
    hp = await startHocuspocus({
      monitor: { history: log },
      extensions: [
        {
          async onLoadDocument({ document }) {
            Y.applyUpdate(document, Y.encodeStateAsUpdate(stored));
          },
        },
      ],
    });
    const a = connectHocuspocus(hp.wsUrl, 'acme/stored');
    await a.synced;
    a.doc.getText('t').insert(a.doc.getText('t').length, 'and live');
    await waitFor(async () => (await log.stats()).some((s) => s.ops === 1), 5000, 'the live edit logged');
    expect(await textAt(log, 'acme/stored', Date.now())).toBe('from storage and live');
    a.destroy();
  });

  it('stays bounded: old entries fold into the base snapshot, newer instants stay exact', async () => {
    let clock = 1_000_000;
    const log = new MemoryUpdateLog({ maxEntriesPerRoom: 20, now: () => clock });
    hp = await startHocuspocus({ monitor: { history: log } });
    const a = connectHocuspocus(hp.wsUrl, 'acme/bounded');
    await a.synced;
    for (let i = 0; i < 50; i++) {
      clock += 10;
      a.doc.getText('t').insert(a.doc.getText('t').length, String(i % 10));
      await waitFor(async () => (await log.stats())[0]?.lastSeq === i + 2, 5000, `edit ${i}`);
    }
    const [stats] = await log.stats();
    expect(stats?.ops).toBeLessThanOrEqual(20);
    expect(await textAt(log, 'acme/bounded', clock)).toBe(a.doc.getText('t').toString());
    // The 45th edit (clock 1_000_450) is still in the log: the text as it was then.
    expect(await textAt(log, 'acme/bounded', 1_000_450)).toBe(a.doc.getText('t').toString().slice(0, 45));
    const early = rebuildDocAt(log, 'acme/bounded', 1_000_050);
    await expect(early).rejects.toBeInstanceOf(HistoryError);
    await expect(early).rejects.toMatchObject({ code: 'history_pruned' });
    a.destroy();
  });

  it('keeps no history for documents outside <org>/<room>', async () => {
    const log = new MemoryUpdateLog();
    hp = await startHocuspocus({ monitor: { history: log } });
    const a = connectHocuspocus(hp.wsUrl, 'Not A Room');
    await a.synced;
    a.doc.getText('t').insert(0, 'x');
    await sleep(100);
    expect(await log.stats()).toEqual([]);
    a.destroy();
  });
});
