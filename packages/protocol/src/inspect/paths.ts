/**
 * Tree paths of the inspect `tree` stream: JSON-Pointer style (RFC 6901).
 * The document itself is `''`, a root type is `/<name>`, a Map key is
 * `<parent>/<key>`, an Array/XmlFragment/XmlElement child is `<parent>/<index>`.
 * `~` is escaped as `~0` and `/` as `~1` inside a segment, so any key is safe.
 */
export function escapePathSegment(segment: string): string {
  if (segment.indexOf('~') === -1 && segment.indexOf('/') === -1) return segment;
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

export function unescapePathSegment(segment: string): string {
  return segment.replace(/~1/g, '/').replace(/~0/g, '~');
}

export function joinPath(parent: string, segment: string | number): string {
  return `${parent}/${escapePathSegment(String(segment))}`;
}

/** Splits a path into unescaped segments (`''` → `[]`). Throws on a path not starting with `/`. */
export function splitPath(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw new Error(`inspect path must be '' or start with '/': ${path}`);
  return path.slice(1).split('/').map(unescapePathSegment);
}

/** Parent of a path (`'/a/b'` → `'/a'`, `'/a'` → `''`), or null for the document itself. */
export function parentPath(path: string): string | null {
  if (path === '') return null;
  const i = path.lastIndexOf('/');
  return i <= 0 ? '' : path.slice(0, i);
}

/** True when `path` equals `ancestor` or lies below it. */
export function isPathWithin(path: string, ancestor: string): boolean {
  return path === ancestor || path.startsWith(ancestor + '/');
}
