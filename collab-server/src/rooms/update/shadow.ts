/**
 * Second half of validation: the update is applied to a shadow copy of the
 * doc before it is persisted, so an update that decodes but cannot be applied
 * to the current state (crafted or buggy client) never reaches storage.
 *
 * The shadow receives every accepted update in the same order as the doc
 * (possibly ahead of it by the updates still being persisted). It is rebuilt
 * from the doc after a refused or failed update.
 */
import * as Y from 'yjs';

export class ShadowValidator {
  private shadow: Y.Doc | null = null;
  private dirty = false;
  /** The shadow was rebuilt while updates were in flight: rebuild again once they are applied. */
  private lagging = false;

  /**
   * @param enabled `RoomOptions.shadowValidation !== false`; when disabled every update passes.
   * @param pendingDurable updates appended but not yet applied to `doc`.
   */
  constructor(
    private readonly doc: Y.Doc,
    private readonly enabled: boolean,
    private readonly pendingDurable: () => number
  ) {}

  /** Applies `update` to the shadow doc; false (and the shadow is rebuilt next time) when it throws. */
  validate(update: Uint8Array): boolean {
    if (!this.enabled) return true;
    if (!this.shadow || this.dirty) this.rebuild();
    try {
      Y.applyUpdate(this.shadow as Y.Doc, update);
      return true;
    } catch {
      // A throwing apply may leave a partial integration behind: start again from the doc.
      this.dirty = true;
      return false;
    }
  }

  /** Rebuilds the shadow from the doc (load, or after a refused / failed update). */
  rebuild(): void {
    this.shadow?.destroy();
    const shadow = new Y.Doc({ gc: true });
    Y.applyUpdate(shadow, Y.encodeStateAsUpdate(this.doc));
    this.shadow = shadow;
    this.dirty = false;
    this.lagging = this.pendingDurable() > 0;
  }

  /**
   * The doc updates are checked against: the shadow (ahead of the doc by the updates in flight)
   * when enabled, else the doc itself.
   */
  reference(): Y.Doc {
    if (!this.enabled) return this.doc;
    if (!this.shadow || this.dirty) this.rebuild();
    return this.shadow as Y.Doc;
  }

  /** Builds the first shadow (room load), when enabled. */
  init(): void {
    if (this.enabled) this.rebuild();
  }

  /** The shadow no longer matches the doc plus the in-flight updates: resync it before the next validation. */
  markDirty(): void {
    this.dirty = true;
  }

  /** Keeps the shadow in step with an update applied to the doc outside the write path (another pod's). */
  follow(update: Uint8Array): void {
    if (this.shadow && !this.dirty) {
      try {
        Y.applyUpdate(this.shadow, update);
      } catch {
        this.dirty = true;
      }
    }
  }

  /** An update reached the doc: a shadow rebuilt while updates were in flight is resynced once none are. */
  settled(): void {
    if (this.lagging && this.pendingDurable() === 0) this.dirty = true;
  }

  destroy(): void {
    this.shadow?.destroy();
    this.shadow = null;
  }
}
