import { Counter, Gauge, Histogram, Registry, Summary, type RegistryContentType } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { escapeLabelValue, ExpositionWriter, formatValue, type ExposableMetric } from '@collabblocks/monitor';

/** Lines with their label pairs sorted, so label order does not matter. */
function normalise(body: string): string[] {
  return body
    .split('\n')
    .filter((l) => l !== '' && l !== '# EOF')
    .map((l) => {
      const m = /^([^{ ]+)\{(.*)\}( .*)$/.exec(l);
      if (!m) return l;
      const pairs = (m[2] ?? '').match(/[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*"/g) ?? [];
      return `${m[1]}{${[...pairs].sort().join(',')}}${m[3]}`;
    })
    .sort();
}

async function renderWith(registry: Registry<RegistryContentType>, openMetrics: boolean): Promise<string> {
  const writer = new ExpositionWriter({ pod: 'pod-x' });
  const parts: string[] = [];
  for (const m of registry.getMetricsAsArray() as unknown as ExposableMetric[]) {
    const data = await (m.getForPromString ? m.getForPromString() : m.get());
    parts.push(writer.format(data, m.name, openMetrics));
  }
  return openMetrics ? `${parts.join('\n')}\n# EOF\n` : `${parts.join('\n\n')}\n`;
}

function populate(registry: Registry<RegistryContentType>): void {
  const registers = [registry];
  const c = new Counter({
    name: 'x_ops_total',
    help: 'ops with a \\ backslash\nand newline',
    labelNames: ['org', 'room_id'],
    registers,
  });
  c.inc({ org: 'acme', room_id: 'a"b\\c\nd' }, 3);
  c.inc({ org: 'beta', room_id: 'plain' });
  const g = new Gauge({ name: 'x_gauge', help: 'g', labelNames: ['org'], registers });
  g.set({ org: 'acme' }, 1.5);
  g.set({ org: 'nan' }, Number.NaN);
  g.set({ org: 'inf' }, Number.POSITIVE_INFINITY);
  new Gauge({ name: 'x_nolabels', help: 'n', registers }).set(7);
  // A metric that sets the default label itself: its own value wins.
  new Gauge({ name: 'x_own_pod', help: 'p', labelNames: ['pod'], registers }).set({ pod: 'other' }, 2);
  const h = new Histogram({ name: 'x_ms', help: 'h', labelNames: ['org'], buckets: [1, 10], registers });
  h.observe({ org: 'acme' }, 0.5);
  h.observe({ org: 'acme' }, 5);
  h.observe({ org: 'beta' }, 50);
  const s = new Summary({ name: 'x_summary', help: 's', percentiles: [0.5], registers });
  s.observe(3);
}

describe('exposition writer', () => {
  it('matches prom-client text output (same samples, labels and values)', async () => {
    const registry = new Registry<RegistryContentType>();
    registry.setDefaultLabels({ pod: 'pod-x' });
    populate(registry);
    const theirs = await registry.metrics();
    const ours = await renderWith(registry, false);
    expect(normalise(ours.replace(/ NaN$/m, ' Nan'))).toEqual(normalise(theirs));
    expect(ours).toContain('x_gauge{org="nan",pod="pod-x"} NaN');
    expect(ours).toContain('room_id="a\\"b\\\\c\\nd"');
    expect(ours).toContain('# HELP x_ops_total ops with a \\\\ backslash\\nand newline');
    expect(ours).toMatch(/^x_own_pod\{pod="other"\} 2$/m);
  });

  it('matches prom-client OpenMetrics output, exemplars included', async () => {
    const registry = new Registry<RegistryContentType>();
    registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    registry.setDefaultLabels({ pod: 'pod-x' });
    populate(registry);
    const h = new Histogram({
      name: 'x_rtt_ms',
      help: 'e',
      labelNames: ['org'],
      buckets: [10, 50],
      enableExemplars: true,
      registers: [registry],
    });
    h.observe({
      labels: { org: 'acme' },
      value: 42,
      exemplarLabels: { trace_id: 'abc' } as unknown as { org: string },
    });
    const ours = await renderWith(registry, true); // before prom-client renames counters in place
    const theirs = await registry.metrics();
    expect(normalise(ours.replace(/ NaN$/m, ' Nan'))).toEqual(normalise(theirs));
    expect(ours).toMatch(/^# TYPE x_ops counter$/m);
    expect(ours).toMatch(
      /^x_rtt_ms_bucket\{le="50",pod="pod-x",org="acme"\} 1 # \{trace_id="abc"\} 42 \d+(\.\d+)?$/m
    );
    expect(ours.endsWith('# EOF\n')).toBe(true);
  });

  it('formats values and escapes label values', () => {
    expect(formatValue(1)).toBe('1');
    expect(formatValue(0.25)).toBe('0.25');
    expect(formatValue(Number.NEGATIVE_INFINITY)).toBe('-Inf');
    expect(escapeLabelValue('plain')).toBe('plain');
    expect(escapeLabelValue('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd');
  });
});
