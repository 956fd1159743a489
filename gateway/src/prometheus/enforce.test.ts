import { describe, expect, it } from 'vitest';
import { enforceLabel, enforceSelector, MAX_QUERY_LENGTH, PromqlError } from './enforce.js';

const B = (q: string): string => enforceLabel(q, 'org', 'globex');

describe('enforceLabel', () => {
  it.each([
    ['up', 'up{org="globex"}'],
    ['up{}', 'up{org="globex"}'],
    ['up{job="x"}', 'up{org="globex",job="x"}'],
    ['up{job="x",}', 'up{org="globex",job="x",}'],
    ['{__name__="up"}', '{org="globex",__name__="up"}'],
    ['rate(x[5m] offset 1m)', 'rate(x{org="globex"}[5m] offset 1m)'],
    ['x @ 1700000000', 'x{org="globex"} @ 1700000000'],
    ['max_over_time(x[1h:5m])', 'max_over_time(x{org="globex"}[1h:5m])'],
    ['sum by (org) (x)', 'sum by (org) (x{org="globex"})'],
    ['a or b unless c', 'a{org="globex"} or b{org="globex"} unless c{org="globex"}'],
    ['x / on(org) group_left y', 'x{org="globex"} / on(org) group_left y{org="globex"}'],
    ['1 + 2', '1 + 2'],
  ])('%s', (q, want) => {
    expect(B(q)).toBe(want);
  });

  it('ANDs with a matcher naming another tenant, which then matches nothing', () => {
    expect(B('up{org="acme"}')).toBe('up{org="globex",org="acme"}');
    expect(B('up{org=~".+"}')).toBe('up{org="globex",org=~".+"}');
    expect(B('up{org!="globex"}')).toBe('up{org="globex",org!="globex"}');
  });

  it('restricts selectors inside label_replace, subqueries, absent and count by', () => {
    const q =
      'label_replace(up{org="acme"}, "org", "globex", "", "") or count by (org) (absent(x)) or max_over_time(y[1h:])';
    const out = B(q);
    expect(out).toContain('up{org="globex",org="acme"}');
    expect(out).toContain('absent(x{org="globex"})');
    expect(out).toContain('y{org="globex"}[1h:]');
  });

  it('escapes the tenant value as a PromQL string', () => {
    expect(enforceLabel('up', 'org', 'a"b\\c')).toBe('up{org="a\\"b\\\\c"}');
  });

  it.each(['up{', 'sum(', 'up{org="a"', ')', '', '   ', 'up{job=~}'])('refuses invalid PromQL %j', (q) => {
    expect(() => B(q)).toThrow(PromqlError);
  });

  it('refuses over-long queries and invalid label names', () => {
    expect(() => B('x'.repeat(MAX_QUERY_LENGTH + 1))).toThrow(/longer than/);
    expect(() => enforceLabel('up', 'o-rg', 'x')).toThrow(/invalid label/);
  });
});

describe('enforceSelector', () => {
  it('restricts a selector', () => {
    expect(enforceSelector('up{job="x"}', 'org', 'globex')).toBe('up{org="globex",job="x"}');
    expect(enforceSelector('{__name__=~"collab_.*"}', 'org', 'globex')).toBe(
      '{org="globex",__name__=~"collab_.*"}'
    );
  });
  it('refuses expressions where a selector is required', () => {
    expect(() => enforceSelector('sum(up)', 'org', 'globex')).toThrow(/series selector/);
    expect(() => enforceSelector('up or down', 'org', 'globex')).toThrow(/series selector/);
  });
});
