/**
 * Fast exposition writer for prom-client metrics: Prometheus text 0.0.4 or
 * OpenMetrics 1.0 (with exemplars) from a metric's public `get()` data.
 *
 * Same output semantics as prom-client's `Registry.metrics()`, but cheaper per
 * sample (the scrape of a big pod is thousands of histogram lines): the
 * per-series label string of histograms (their shared labels object, which
 * prom-client keeps for the life of the series) is formatted once and cached,
 * label values are escaped only when they need it, and nothing is renamed in
 * place (prom-client mutates counter names for OpenMetrics).
 */

export type LabelSet = Record<string, string | number | undefined>;

export interface SampleData {
  labels?: LabelSet;
  /** Histogram / summary samples: the series' labels, shared by its buckets. */
  sharedLabels?: LabelSet;
  value: number;
  metricName?: string;
  exemplar?: { labelSet: LabelSet; value: number; timestamp?: number } | null;
}

export interface MetricData {
  name: string;
  help: string;
  type: string;
  values?: SampleData[];
}

/** A prom-client metric as seen by the writer. */
export interface ExposableMetric {
  name: string;
  type?: string;
  get(): Promise<MetricData> | MetricData;
  getForPromString?(): Promise<MetricData> | MetricData;
}

const NEEDS_ESCAPE = /[\\\n"]/;

export function escapeLabelValue(v: string): string {
  return NEEDS_ESCAPE.test(v) ? v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"') : v;
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

function appendLabels(out: string, labels: LabelSet | undefined): string {
  if (!labels) return out;
  for (const key in labels) {
    const v = labels[key];
    if (v === undefined) continue;
    if (out !== '') out += ',';
    out += `${key}="${typeof v === 'string' ? escapeLabelValue(v) : String(v)}"`;
  }
  return out;
}

export class ExpositionWriter {
  private readonly defaults: LabelSet;
  private readonly defaultStr: string;
  private readonly defaultKeys: string[];
  /** Formatted shared labels (histogram series), keyed by prom-client's long-lived labels object. */
  private readonly sharedCache = new WeakMap<object, string>();

  constructor(defaultLabels: Record<string, string>) {
    this.defaults = { ...defaultLabels };
    this.defaultKeys = Object.keys(defaultLabels);
    this.defaultStr = appendLabels('', this.defaults);
  }

  private shared(labels: LabelSet | undefined): string {
    if (!labels) return '';
    let s = this.sharedCache.get(labels);
    if (s === undefined) {
      s = appendLabels('', labels);
      this.sharedCache.set(labels, s);
    }
    return s;
  }

  /** Default labels, minus those the sample sets itself (its own label wins, as in prom-client). */
  private defaultsFor(own: LabelSet | undefined, shared: LabelSet | undefined): string {
    let rest: LabelSet | undefined;
    for (const k of this.defaultKeys) {
      if ((own && own[k] !== undefined) || (shared && shared[k] !== undefined)) {
        rest ??= { ...this.defaults };
        delete rest[k];
      }
    }
    return rest ? appendLabels('', rest) : this.defaultStr;
  }

  /**
   * One metric family. `name` is the metric's original name: prom-client renames counters in place
   * when something renders OpenMetrics through `Registry.metrics()`; this writer never does.
   */
  format(data: MetricData, name: string, openMetrics: boolean): string {
    const f = this.family(data, name, openMetrics);
    const values = data.values ?? [];
    for (let i = 0; i < values.length; i++) f.lines.push(f.line(values[i] as SampleData));
    return f.lines.join('\n');
  }

  /**
   * The same family, formatted piecewise: `lines` holds the HELP / TYPE lines, `line(sample)` formats
   * one sample. `format` is `lines` plus one `line` per value, joined by `\n`; a caller that yields to
   * the event loop between samples of a large family produces the same bytes.
   */
  family(
    data: MetricData,
    name: string,
    openMetrics: boolean
  ): { lines: string[]; line(v: SampleData): string } {
    const counter = data.type === 'counter';
    const family = openMetrics && counter ? name.replace(/_total$/, '') : name;
    const plainSample = openMetrics && counter ? `${family}_total` : family;
    return {
      lines: [`# HELP ${family} ${escapeHelp(data.help)}`, `# TYPE ${family} ${data.type}`],
      line: (v) => this.sampleLine(v, plainSample, openMetrics),
    };
  }

  private sampleLine(v: SampleData, plainSample: string, openMetrics: boolean): string {
    const sample = v.metricName ?? plainSample;
    let labels = appendLabels('', v.labels);
    const defaults = this.defaultsFor(v.labels, v.sharedLabels);
    if (defaults !== '') labels = labels === '' ? defaults : `${labels},${defaults}`;
    const shared = this.shared(v.sharedLabels);
    if (shared !== '') labels = labels === '' ? shared : `${labels},${shared}`;
    let line =
      labels === '' ? `${sample} ${formatValue(v.value)}` : `${sample}{${labels}} ${formatValue(v.value)}`;
    const ex = v.exemplar;
    if (openMetrics && ex && ex.labelSet && Object.keys(ex.labelSet).length > 0) {
      line += ` # {${appendLabels('', ex.labelSet)}} ${formatValue(ex.value)}`;
      if (ex.timestamp !== undefined) line += ` ${ex.timestamp}`;
    }
    return line;
  }
}
