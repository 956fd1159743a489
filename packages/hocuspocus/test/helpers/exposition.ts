/** A small reader of Prometheus text exposition, for comparing hosts' `/metrics` in tests. */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parseExposition(text: string): { samples: Sample[]; families: Set<string> } {
  const samples: Sample[] = [];
  const families = new Set<string>();
  for (const line of text.split('\n')) {
    if (line.startsWith('# TYPE ')) {
      families.add(line.split(' ')[2] ?? '');
      continue;
    }
    if (line === '' || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (!m) throw new Error(`unparsable exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL)) labels[l[1] as string] = l[2] as string;
    samples.push({ name: m[1] as string, labels, value: Number(m[3]) });
  }
  return { samples, families };
}

/** Sum of the samples named `name` whose labels include `match`. */
export function valueOf(
  samples: readonly Sample[],
  name: string,
  match: Record<string, string> = {}
): number {
  let sum = 0;
  for (const s of samples) {
    if (s.name !== name) continue;
    if (Object.entries(match).every(([k, v]) => s.labels[k] === v)) sum += s.value;
  }
  return sum;
}

/** `name → sorted label keys of each series`, e.g. `crdt_ops_total → ["org,pod,room_id,type"]`. */
export function labelShapes(samples: readonly Sample[], names: ReadonlySet<string>): Map<string, string[]> {
  const out = new Map<string, Set<string>>();
  for (const s of samples) {
    if (!names.has(s.name)) continue;
    let set = out.get(s.name);
    if (!set) out.set(s.name, (set = new Set()));
    set.add(Object.keys(s.labels).sort().join(','));
  }
  return new Map([...out].map(([k, v]) => [k, [...v].sort()]));
}

export async function scrape(
  httpUrl: string,
  accept?: string
): Promise<{ contentType: string; text: string }> {
  const res = await fetch(`${httpUrl}/metrics`, accept ? { headers: { accept } } : {});
  if (res.status !== 200) throw new Error(`GET /metrics: ${res.status}`);
  return { contentType: res.headers.get('content-type') ?? '', text: await res.text() };
}

export async function waitFor(
  cond: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string
): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
