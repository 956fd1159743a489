/**
 * Who may set or remove an awareness client id in a room (presence integrity).
 *
 * A client id belongs to the connection that first announced it — on this pod or, through the cluster
 * fan-out, on another one. Nobody else may set or remove it; their entries are dropped (and counted by
 * the caller). An owner is named `<pod>/<connection id>` and carries the principal it authenticated as
 * (`userPseudonym`: org + subject, never the subject itself):
 *
 * - A newer claim of the SAME principal takes the id over at once: that is the owner reconnecting (to
 *   this pod or another), possibly before its old socket's close has even been noticed. An older one
 *   (the old connection's claim, re-sent by its pod) does not take it back. Locally only a connection's
 *   first id can take over: another tab of the same user echoes the states it receives, which must not
 *   move them (`check(…, takeover = false)`).
 * - When the owner's state goes (connection closed, state removed or timed out — also the 30 s timeout
 *   of a dead pod's clients) the claim is released but the id stays reserved to the principal for
 *   `reserveMs`: a member who saw the id cannot grab it in the reconnect gap.
 * - Two pods that each saw a different first claimant (both announced while the fan-out was down, or
 *   within its delay) settle on the same winner everywhere: the claim made earlier (its `since`, stamped
 *   by the claimant's pod, never by a client), then the smaller owner name.
 */

/** Who claims a client id. */
export interface Claimant {
  /** `<pod>/<connection id>`. */
  owner: string;
  /** The authenticated principal (pseudonym of org + subject). */
  principal: string;
  /** When the claim was made (epoch ms, the claimant's pod clock). */
  since: number;
}

/** An owner's claim on an awareness client id, as carried between pods. */
export interface PresenceClaim extends Claimant {
  id: number;
}

/**
 * `own`: the claimant holds the id. `claim`: it may take the id now (unclaimed, its own reservation, a
 * reconnect of the owner's principal, or an earlier claim from another pod). `foreign`: refuse.
 */
export type Verdict = 'own' | 'claim' | 'foreign';

export const DEFAULT_PRESENCE_RESERVE_MS = 60_000;

/** True when claim `a` beats claim `b` (made earlier; ties by owner name). */
function beats(a: Claimant, b: Claimant): boolean {
  return a.since < b.since || (a.since === b.since && a.owner < b.owner);
}

export class PresenceOwners {
  private readonly claims = new Map<number, Claimant>();
  /** Released ids, reserved for their last principal until `until` (insertion order = release order). */
  private readonly reserved = new Map<number, { owner: string; principal: string; until: number }>();

  constructor(
    private readonly reserveMs = DEFAULT_PRESENCE_RESERVE_MS,
    private readonly now: () => number = Date.now
  ) {}

  ownerOf(id: number): Claimant | undefined {
    return this.claims.get(id);
  }

  /** The claim on `id`, or — once released — who held it last (for telling other pods). */
  lastClaim(id: number): { owner: string; principal: string; since: number } | undefined {
    const c = this.claims.get(id);
    if (c) return c;
    const r = this.reserved.get(id);
    return r ? { owner: r.owner, principal: r.principal, since: 0 } : undefined;
  }

  /** May `c` set or remove `id`? `takeover`: whether a newer claim of the owner's principal may take it. */
  check(id: number, c: Claimant, takeover = true): Verdict {
    const cur = this.claims.get(id);
    if (cur) {
      if (cur.owner === c.owner) return 'own';
      if (cur.principal === c.principal) return takeover && c.since >= cur.since ? 'claim' : 'foreign';
      return beats(c, cur) ? 'claim' : 'foreign';
    }
    const r = this.reserved.get(id);
    if (r && r.until > this.now() && r.principal !== c.principal) return 'foreign';
    return 'claim';
  }

  /** Records `c` as the owner of `id`; returns the claim it displaced (another owner), if any. */
  take(id: number, c: Claimant): Claimant | undefined {
    const prev = this.claims.get(id);
    this.claims.set(id, c);
    this.reserved.delete(id);
    return prev && prev.owner !== c.owner ? prev : undefined;
  }

  /** The owner's state is gone: release the claim, keep the id reserved to its principal for a while. */
  release(id: number): void {
    const c = this.claims.get(id);
    if (!c) return;
    this.claims.delete(id);
    this.reserved.delete(id);
    this.reserved.set(id, { owner: c.owner, principal: c.principal, until: this.now() + this.reserveMs });
    this.prune();
  }

  /** Drops expired reservations (oldest first; they expire in release order). */
  private prune(): void {
    const now = this.now();
    for (const [id, r] of this.reserved) {
      if (r.until > now) break;
      this.reserved.delete(id);
    }
  }

  get size(): number {
    return this.claims.size;
  }
}
