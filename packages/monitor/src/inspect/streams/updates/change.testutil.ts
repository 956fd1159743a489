import type * as Y from 'yjs';

/** The update `f` makes to `doc` (the document then contains it). */
export function change(doc: Y.Doc, f: () => void): Uint8Array {
  let update: Uint8Array | null = null;
  const on = (u: Uint8Array): void => {
    update = u;
  };
  doc.on('update', on);
  f();
  doc.off('update', on);
  if (!update) throw new Error('no update');
  return update;
}
