/**
 * The colour each client publishes (`user.color` in its awareness state), read from presence frames the
 * panel gets next to the tree (a `presence` query on the same room), so the update list draws each writer
 * in the colour their own editor gives their caret. Only plain CSS colours pass (`isPlainCssColor` of the
 * protocol: hex or rgb()/hsl() of numbers); anything else is dropped, never put into a style. Bounded:
 * clients who left keep their colour (their updates stay listed) until MAX_CLIENTS newer ones push them out.
 */
import type { DataFrame } from '@grafana/data';
import { collabFrameKind, isPlainCssColor, PRESENCE_FIELDS as P } from '@collabblocks/protocol';

export const MAX_CLIENTS = 2000;

export class UserColors {
  private readonly byClient = new Map<number, string>();
  /** Bumped when a colour changed (memoised views re-render). */
  version = 0;

  get size(): number {
    return this.byClient.size;
  }

  /** The colour client `clientId` publishes, '' when unknown. */
  of(clientId: number | null): string {
    return clientId === null ? '' : (this.byClient.get(clientId) ?? '');
  }

  /** Folds the presence frames of `room` ('' any room) in `series`. */
  ingest(series: readonly DataFrame[], room: string): void {
    for (const frame of series) {
      if (collabFrameKind(frame.meta as { custom?: Record<string, unknown> } | undefined) !== 'presence')
        continue;
      const col = (n: string): ArrayLike<unknown> | undefined =>
        frame.fields.find((f) => f.name === n)?.values;
      const ids = col(P.clientId);
      const colors = col(P.color);
      const rooms = col(P.room);
      if (!ids || !colors) continue;
      const frameRoom = (frame.meta?.custom as { room?: unknown } | undefined)?.room;
      for (let i = 0; i < ids.length; i++) {
        const id = ids[i];
        const color = colors[i];
        const r = rooms?.[i] ?? frameRoom;
        if (room !== '' && typeof r === 'string' && r !== room) continue;
        if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0) continue;
        if (!isPlainCssColor(color)) continue;
        this.set(id, color);
      }
    }
  }

  clear(): void {
    if (this.byClient.size > 0) this.version++;
    this.byClient.clear();
  }

  private set(id: number, color: string): void {
    const had = this.byClient.get(id);
    if (had === color) return;
    // Re-inserted last: the Map's order is the eviction order (oldest change first).
    this.byClient.delete(id);
    this.byClient.set(id, color);
    this.version++;
    if (this.byClient.size > MAX_CLIENTS) {
      const oldest = this.byClient.keys().next();
      if (!oldest.done) this.byClient.delete(oldest.value);
    }
  }
}
