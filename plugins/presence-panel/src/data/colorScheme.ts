/**
 * Heatmap colour schemes built from Grafana's visualization colours, turned
 * into a 256-entry RGBA lookup table (the renderer indexes it per cell, no
 * string work in the draw loop).
 */
import { parseColor, type Rgba } from './colors';

export const COLOR_SCHEMES = ['blue', 'green', 'orange', 'red', 'purple', 'spectral'] as const;
export type ColorSchemeName = (typeof COLOR_SCHEMES)[number];

/** Grafana visualization colour names per scheme, low → high density. */
export const SCHEME_COLOR_NAMES: Record<ColorSchemeName, readonly string[]> = {
  blue: ['super-light-blue', 'light-blue', 'blue', 'semi-dark-blue', 'dark-blue'],
  green: ['super-light-green', 'light-green', 'green', 'semi-dark-green', 'dark-green'],
  orange: ['super-light-orange', 'light-orange', 'orange', 'semi-dark-orange', 'dark-orange'],
  red: ['super-light-red', 'light-red', 'red', 'semi-dark-red', 'dark-red'],
  purple: ['super-light-purple', 'light-purple', 'purple', 'semi-dark-purple', 'dark-purple'],
  spectral: ['blue', 'green', 'yellow', 'orange', 'red'],
};

export function isColorScheme(v: unknown): v is ColorSchemeName {
  return typeof v === 'string' && (COLOR_SCHEMES as readonly string[]).includes(v);
}

/**
 * A 256 × RGBA lookup table interpolating the stops. Alpha ramps from 0 at
 * zero density to `maxAlpha` so the panel background shows through cold cells.
 */
export function buildColorLut(stops: readonly string[], maxAlpha = 0.85): Uint8ClampedArray {
  const parsed = stops.map(parseColor).filter((c): c is Rgba => c !== undefined);
  if (parsed.length === 0) throw new Error('colour scheme has no parseable colour');
  const lut = new Uint8ClampedArray(256 * 4);
  for (let i = 0; i < 256; i++) {
    const t = i / 255;
    const pos = t * (parsed.length - 1);
    const lo = Math.floor(pos);
    const hi = Math.min(parsed.length - 1, lo + 1);
    const f = pos - lo;
    const a = parsed[lo] as Rgba;
    const b = parsed[hi] as Rgba;
    lut[i * 4] = a.r + (b.r - a.r) * f;
    lut[i * 4 + 1] = a.g + (b.g - a.g) * f;
    lut[i * 4 + 2] = a.b + (b.b - a.b) * f;
    lut[i * 4 + 3] = i === 0 ? 0 : 255 * maxAlpha * Math.min(1, 0.25 + t);
  }
  return lut;
}
