/**
 * Documents of a known shape for tests and benches: child maps `item<i>` × 4 keys (a number, a string, a
 * boolean, null) under one Y.Map — 5 tree nodes per child, so 20,000 children + the map = 100,001 nodes.
 */
import * as Y from 'yjs';

/**
 * Adds children `item<from>` … `item<to - 1>` to `map`, `perTransaction` at a time (one Yjs update each
 * when `doc` has an update listener); default: all in one transaction.
 */
export function addItemMaps(
  doc: Y.Doc,
  map: Y.Map<unknown> | Y.Map<Y.Map<unknown>>,
  from: number,
  to: number,
  perTransaction = to - from
): void {
  for (let b = from; b < to; b += Math.max(1, perTransaction)) {
    doc.transact(() => {
      for (let i = b; i < Math.min(to, b + perTransaction); i++) {
        const m = new Y.Map<unknown>();
        (map as Y.Map<unknown>).set(`item${i}`, m);
        m.set('a', i);
        m.set('b', 'x');
        m.set('c', true);
        m.set('d', null);
      }
    });
  }
}
