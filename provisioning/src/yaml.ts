/**
 * A deliberately small YAML emitter for the provisioning files we generate:
 * block maps and sequences, scalars written as JSON (JSON strings are valid
 * YAML double-quoted strings). Prettier then normalises the layout, so the
 * committed files are stable and readable.
 */
export type YamlValue =
  string | number | boolean | null | YamlValue[] | { [key: string]: YamlValue | undefined };

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

function scalar(v: string | number | boolean | null): string {
  if (typeof v === 'number' && !Number.isFinite(v)) throw new Error(`yaml: non-finite number ${v}`);
  return JSON.stringify(v);
}

function key(k: string): string {
  return PLAIN_KEY.test(k) ? k : JSON.stringify(k);
}

function isEmptyCollection(v: YamlValue): boolean {
  if (Array.isArray(v)) return v.length === 0;
  if (v !== null && typeof v === 'object') return Object.values(v).every((x) => x === undefined);
  return false;
}

function emit(v: YamlValue, indent: string): string[] {
  if (Array.isArray(v)) {
    if (v.length === 0) return ['[]'];
    const out: string[] = [];
    for (const item of v) {
      if (item !== null && typeof item === 'object' && !isEmptyCollection(item)) {
        const lines = emit(item, indent + '  ');
        out.push(`${indent}- ${lines[0]!.trimStart()}`, ...lines.slice(1));
      } else {
        out.push(`${indent}- ${emitInline(item)}`);
      }
    }
    return out;
  }
  if (v !== null && typeof v === 'object') {
    const out: string[] = [];
    for (const [k, val] of Object.entries(v)) {
      if (val === undefined) continue;
      if (val !== null && typeof val === 'object' && !isEmptyCollection(val)) {
        out.push(`${indent}${key(k)}:`, ...emit(val, indent + '  '));
      } else {
        out.push(`${indent}${key(k)}: ${emitInline(val)}`);
      }
    }
    return out.length ? out : ['{}'];
  }
  return [indent + scalar(v)];
}

function emitInline(v: YamlValue): string {
  if (Array.isArray(v)) return '[]';
  if (v !== null && typeof v === 'object') return '{}';
  return scalar(v);
}

/** Serialises `doc` as YAML with an optional leading comment block. */
export function toYaml(doc: YamlValue, header?: string): string {
  const head = header
    ? header
        .split('\n')
        .map((l) => `# ${l}`.trimEnd())
        .join('\n') + '\n'
    : '';
  return head + emit(doc, '').join('\n') + '\n';
}
