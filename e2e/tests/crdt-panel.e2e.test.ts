// E2E: the crdt panel loaded from dist/module.js in the harness (run per leg: HARNESS_LEG).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { type Harness, startHarness } from '@collabblocks/e2e-harness';

const PLUGIN_ID = 'collabblocks-crdt-panel';

describe(`crdt panel (${process.env.HARNESS_LEG ?? 'grafana-12'})`, () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
  });

  afterEach(async () => {
    await h.reset();
    expect(h.takeConsoleErrors()).toEqual([]);
  });

  afterAll(async () => {
    await h?.close();
  });

  it('renders the themed empty state in dark and light with builder defaults', async () => {
    const backgrounds: string[] = [];
    for (const theme of ['dark', 'light'] as const) {
      const panel = await h.renderPanel(PLUGIN_ID, { theme, width: 480, height: 240 });
      const info = await panel.info();
      expect(typeof info.options.emptyMessage).toBe('string');
      const root = h.page.getByTestId('collabblocks-crdt-panel-root').last();
      await expect.poll(() => root.textContent()).toBe(info.options.emptyMessage);
      backgrounds.push(await root.evaluate((el) => getComputedStyle(el).backgroundColor));
      await panel.screenshot(`crdt-panel-empty-${theme}`);
    }
    expect(backgrounds[0]).not.toBe(backgrounds[1]);
  });

  it('receives data frames and option changes as PanelProps without errors', async () => {
    const panel = await h.renderPanel(PLUGIN_ID, {
      frames: [{ refId: 'A', fields: [{ name: 'time', type: 'time', values: [Date.now()] }] }],
      options: { emptyMessage: 'custom' },
    });
    await expect.poll(async () => (await panel.locator.innerHTML()).length).toBeGreaterThan(0);
    expect((await panel.info()).options.emptyMessage).toBe('custom');
    const info = await panel.update({ frames: [], width: 320, height: 160 });
    expect(info.options.emptyMessage).toBe('custom');
    expect(await panel.locator.evaluate((el) => el.getBoundingClientRect().width)).toBe(320);
  });
});
