// E2E: the presence panel loaded from dist/module.js in the harness (run per leg: HARNESS_LEG).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { type Harness, startHarness } from '@collabblocks/e2e-harness';

const PLUGIN_ID = 'collabblocks-presence-panel';

describe(`presence panel (${process.env.HARNESS_LEG ?? 'grafana-12'})`, () => {
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
      const root = h.page.getByTestId('collabblocks-presence-panel-root').last();
      await expect.poll(() => root.textContent()).toBe(info.options.emptyMessage);
      backgrounds.push(await root.evaluate((el) => getComputedStyle(el).backgroundColor));
      await panel.screenshot(`presence-panel-empty-${theme}`);
    }
    expect(backgrounds[0]).not.toBe(backgrounds[1]);
  });

  it('receives data frames and updated options as PanelProps', async () => {
    const panel = await h.renderPanel(PLUGIN_ID, {
      frames: [{ refId: 'A', fields: [{ name: 'time', type: 'time', values: [Date.now()] }] }],
      options: { emptyMessage: 'custom' },
    });
    const root = h.page.getByTestId('collabblocks-presence-panel-root').last();
    await expect.poll(() => root.textContent()).toBe('1 frame(s)');
    const info = await panel.update({ frames: [] });
    expect(info.options.emptyMessage).toBe('custom');
    await expect.poll(() => root.textContent()).toBe('custom');
  });
});
