import { describe, expect, it } from 'vitest';

import { sliderKeyTarget } from './Timeline';

describe('time slider keys', () => {
  const xs = [10, 20, 30, 40];
  it('steps to the previous / next known instant, Live past the newest', () => {
    expect(sliderKeyTarget('ArrowLeft', xs, null)).toBe(40);
    expect(sliderKeyTarget('ArrowLeft', xs, 30)).toBe(20);
    expect(sliderKeyTarget('ArrowDown', xs, 25)).toBe(20);
    expect(sliderKeyTarget('ArrowLeft', xs, 10)).toBeUndefined();
    expect(sliderKeyTarget('ArrowLeft', xs, 5)).toBeUndefined();
    expect(sliderKeyTarget('ArrowRight', xs, 5)).toBe(10);
    expect(sliderKeyTarget('ArrowRight', xs, 25)).toBe(30);
    expect(sliderKeyTarget('ArrowUp', xs, 30)).toBe(40);
    expect(sliderKeyTarget('ArrowRight', xs, 40)).toBeNull();
    expect(sliderKeyTarget('ArrowRight', xs, null)).toBeUndefined();
  });

  it('pages by 10 (clamped), Home / End, other keys and no instants do nothing', () => {
    const many = Array.from({ length: 25 }, (_, i) => (i + 1) * 100);
    expect(sliderKeyTarget('PageDown', many, null)).toBe(1600);
    expect(sliderKeyTarget('PageDown', many, 500)).toBe(100);
    expect(sliderKeyTarget('PageUp', many, 500)).toBe(1500);
    expect(sliderKeyTarget('PageUp', many, 2000)).toBeNull();
    expect(sliderKeyTarget('Home', many, null)).toBe(100);
    expect(sliderKeyTarget('End', many, 300)).toBeNull();
    expect(sliderKeyTarget('End', many, null)).toBeUndefined();
    expect(sliderKeyTarget('a', many, 300)).toBeUndefined();
    expect(sliderKeyTarget('ArrowLeft', [], 300)).toBeUndefined();
  });
});
