import { describe, expect, it } from 'vitest';
import { createTheme } from '@grafana/data';

import { colorForUser, hashString, paletteIndex, parseColor } from './colors';
import { buildColorLut, COLOR_SCHEMES, SCHEME_COLOR_NAMES } from './colorScheme';

describe('per-user colour', () => {
  it('is stable: the same id always maps to the same palette index (fixed FNV-1a values)', () => {
    expect(hashString('')).toBe(0x811c9dc5);
    expect(hashString('a')).toBe(0xe40c292c);
    expect(hashString('foobar')).toBe(0xbf9cf968);
    const ids = Array.from({ length: 50 }, (_, i) => `u-${i}-pseudonym`);
    const first = ids.map((id) => paletteIndex(id, 33));
    const again = ids.map((id) => paletteIndex(id, 33));
    expect(again).toEqual(first);
  });

  it('spreads users over the palette', () => {
    const used = new Set(Array.from({ length: 400 }, (_, i) => paletteIndex(`user-${i}`, 20)));
    expect(used.size).toBe(20);
  });

  it('gives the same palette slot in dark and light themes (same colour name)', () => {
    const dark = createTheme({ colors: { mode: 'dark' } });
    const light = createTheme({ colors: { mode: 'light' } });
    expect(dark.visualization.palette).toEqual(light.visualization.palette);
    const name = colorForUser('anon-7f3a', dark.visualization.palette);
    expect(colorForUser('anon-7f3a', light.visualization.palette)).toBe(name);
  });

  it('rejects an empty palette with a clear error', () => {
    expect(() => paletteIndex('x', 0)).toThrow(/palette size/);
    expect(() => colorForUser('x', [])).toThrow(/palette/);
  });
});

describe('colour parsing and heatmap lookup tables', () => {
  it('parses hex and rgb(a) colours', () => {
    expect(parseColor('#f00')).toEqual({ r: 255, g: 0, b: 0, a: 1 });
    expect(parseColor('#00ff0080')?.a).toBeCloseTo(0.5, 2);
    expect(parseColor('rgb(1, 2, 3)')).toEqual({ r: 1, g: 2, b: 3, a: 1 });
    expect(parseColor('rgba(1, 2, 3, 0.25)')?.a).toBe(0.25);
    expect(parseColor('hsl(1, 2%, 3%)')).toBeUndefined();
    expect(parseColor('#12')).toBeUndefined();
  });

  it('builds a 256-entry table from every scheme of the Grafana theme, transparent at zero', () => {
    const theme = createTheme({ colors: { mode: 'dark' } });
    for (const scheme of COLOR_SCHEMES) {
      const lut = buildColorLut(SCHEME_COLOR_NAMES[scheme].map((n) => theme.visualization.getColorByName(n)));
      expect(lut.length).toBe(1024);
      expect(lut[3]).toBe(0);
      expect(lut[255 * 4 + 3]).toBeGreaterThan(200);
      const last = theme.visualization.getColorByName(SCHEME_COLOR_NAMES[scheme].at(-1) ?? '');
      const c = parseColor(last);
      expect([lut[1020], lut[1021], lut[1022]]).toEqual([c?.r, c?.g, c?.b]);
    }
    expect(() => buildColorLut(['nonsense'])).toThrow(/no parseable colour/);
  });
});
