import { describe, expect, it } from 'vitest';

import { formatVariableValue, HarnessTemplateSrv } from '../src/host/services.js';

describe('harness templateSrv', () => {
  it('interpolates $var, ${var}, ${var:fmt}, [[var]] and scoped vars; leaves unknown variables', () => {
    const t = new HarnessTemplateSrv();
    t.setVariables({ room: 'acme/design', pods: ['p1', 'p2'] });
    expect(t.replace('$room|${room}|[[room]]|$unknown')).toBe('acme/design|acme/design|acme/design|$unknown');
    expect(t.replace('${pods:csv} ${pods:pipe} ${pods:regex} $pods')).toBe('p1,p2 p1|p2 (p1|p2) {p1,p2}');
    expect(t.replace('$room', { room: { text: 'x', value: 'scoped' } })).toBe('scoped');
    expect(t.replace('${pods:queryparam}')).toBe('var-pods=p1&var-pods=p2');
    expect(t.containsTemplate('a $room b')).toBe(true);
    expect(t.containsTemplate('a $nope b')).toBe(false);
  });

  it('formats values like Grafana', () => {
    expect(formatVariableValue('a.b', 'regex', 'v')).toBe('a\\.b');
    expect(formatVariableValue(['a', 'b'], 'json', 'v')).toBe('["a","b"]');
    expect(formatVariableValue("o'k", 'sqlstring', 'v')).toBe("'o''k'");
  });
});
