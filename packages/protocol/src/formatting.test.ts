import { describe, expect, it } from 'vitest';

import { describeFormats, isPlainCssColor } from './formatting.js';

describe('describeFormats', () => {
  it('sums per mark, largest first, formatted before unformatted', () => {
    expect(
      describeFormats([
        { key: 'bold', length: 12 },
        { key: 'link', length: 3 },
        { key: 'bold', length: 1 },
        { key: 'italic', length: 4, removed: true },
      ])
    ).toBe('formatted 13 chars bold, 3 chars link; unformatted 4 chars italic');
  });
  it('one char, none, bad entries and the limit', () => {
    expect(describeFormats([{ key: 'bold', length: 1 }])).toBe('formatted 1 char bold');
    expect(describeFormats([])).toBe('');
    expect(
      describeFormats([
        { key: 'x', length: NaN },
        { key: 'y', length: -1 },
      ])
    ).toBe('');
    const many = ['a', 'b', 'c', 'd', 'e', 'f'].map((key, i) => ({ key, length: 10 - i }));
    expect(describeFormats(many)).toBe('formatted 10 chars a, 9 chars b, 8 chars c, 7 chars d, +2 more');
  });
});

describe('isPlainCssColor', () => {
  it('accepts hex and functional colours of numbers', () => {
    for (const c of [
      '#f00',
      '#ff0000',
      '#ff000080',
      '#F0F8',
      'rgb(255, 0, 0)',
      'rgba(1,2,3,0.5)',
      'hsl(120 50% 40%)',
      'hsl(120deg, 50%, 40%)',
    ])
      expect(isPlainCssColor(c), c).toBe(true);
  });
  it('refuses names, urls, expressions, long and non-strings', () => {
    for (const c of [
      'red',
      'url(x)',
      'rgb(var(--x),0,0)',
      '#ff00f',
      'expression(alert(1))',
      `#${'f'.repeat(40)}`,
      12,
      null,
    ])
      expect(isPlainCssColor(c), String(c)).toBe(false);
  });
});
