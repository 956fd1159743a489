/**
 * Dispatches core events to the registered `CollabExtension`s. Every call is
 * synchronous and isolated: a throwing extension is logged (rate-limited per
 * extension+hook) and the others still run. `wantsFrames` is answered from a
 * precomputed list so the per-frame cost is one length check when no extension
 * taps frames.
 */
import type { CollabExtension, CompactionGrant } from './types.js';
import type { Logger } from '../observability/logger.js';

type HookName = Exclude<keyof CollabExtension, 'name' | 'wantsFrames' | 'acquireCompaction'>;
type HookArg<K extends HookName> = Parameters<NonNullable<CollabExtension[K]>>[0];

export class HookBus {
  private readonly exts: CollabExtension[] = [];
  private frameExts: CollabExtension[] = [];
  private readonly lastErrorLog = new Map<string, number>();

  constructor(private readonly logger: Logger) {}

  add(ext: CollabExtension): void {
    if (typeof ext?.name !== 'string') throw new TypeError('extension must have a name');
    this.exts.push(ext);
    this.frameExts = this.exts.filter((e) => typeof e.onFrame === 'function');
  }

  list(): readonly CollabExtension[] {
    return this.exts;
  }

  emit<K extends HookName>(hook: K, ev: HookArg<K>): void {
    for (const ext of this.exts) {
      const fn = ext[hook] as ((e: HookArg<K>) => void) | undefined;
      if (typeof fn !== 'function') continue;
      try {
        fn.call(ext, ev);
      } catch (err) {
        this.logFailure(ext.name, hook, err);
      }
    }
  }

  /**
   * Asks every extension that gates compaction (`acquireCompaction`): undefined
   * when none does, null when one refuses (grants already taken are released),
   * else one grant with the lowest seq that releases them all.
   */
  async acquireCompaction(room: string, seq: number): Promise<CompactionGrant | null | undefined> {
    const grants: CompactionGrant[] = [];
    const releaseAll = async (): Promise<void> => {
      await Promise.allSettled(grants.map((g) => g.release()));
    };
    for (const ext of this.exts) {
      if (typeof ext.acquireCompaction !== 'function') continue;
      let grant: CompactionGrant | null;
      try {
        grant = await ext.acquireCompaction(room, seq);
      } catch (err) {
        this.logFailure(ext.name, 'acquireCompaction', err);
        grant = null;
      }
      if (grant === null) {
        await releaseAll();
        return null;
      }
      grants.push(grant);
    }
    if (grants.length === 0) return undefined;
    return { seq: Math.min(seq, ...grants.map((g) => g.seq)), release: releaseAll };
  }

  /** Cheap per-frame check: true when some extension taps frames of this room. */
  wantsFrames(room: string): boolean {
    if (this.frameExts.length === 0) return false;
    for (const ext of this.frameExts) {
      if (this.extWants(ext, room)) return true;
    }
    return false;
  }

  emitFrame(ev: HookArg<'onFrame'>): void {
    for (const ext of this.frameExts) {
      if (!this.extWants(ext, ev.room)) continue;
      try {
        ext.onFrame?.(ev);
      } catch (err) {
        this.logFailure(ext.name, 'onFrame', err);
      }
    }
  }

  private extWants(ext: CollabExtension, room: string): boolean {
    if (typeof ext.wantsFrames !== 'function') return true;
    try {
      return ext.wantsFrames(room) === true;
    } catch (err) {
      this.logFailure(ext.name, 'wantsFrames', err);
      return false;
    }
  }

  private logFailure(name: string, hook: string, err: unknown): void {
    const key = `${name}:${hook}`;
    const now = Date.now();
    if (now - (this.lastErrorLog.get(key) ?? 0) < 10_000) return;
    this.lastErrorLog.set(key, now);
    this.logger.error(
      { extension: name, hook, err: (err as Error)?.message ?? String(err) },
      'extension hook threw'
    );
  }
}
