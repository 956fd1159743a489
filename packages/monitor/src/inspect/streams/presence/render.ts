/**
 * The revision-2 fields of a presence user, per scope, from a `PresenceReader` reading: the
 * recognised binding, the document location (the snippet only in content scope), the pointer,
 * activity and the binding's signals; the name (content scope) and colour (content scope as
 * published, metadata scope only when it is a plain CSS colour).
 */
import type { InspectScope, PresenceUser } from '@collabblocks/protocol';
import { plainCssColor } from './recognise/index.js';
import type { Reading } from './locate/index.js';

export type PresenceBindingView = Pick<
  PresenceUser,
  'binding' | 'location' | 'pointer' | 'lastActive' | 'lastEdit' | 'signals' | 'name' | 'color' | 'cursor'
>;

export function presenceFields(r: Reading, scope: InspectScope): PresenceBindingView {
  const rec = r.recognised;
  const out: PresenceBindingView = {
    binding: rec.binding,
    // Older clients read `cursor` as a [0, 1] pointer: only unit pointers go there.
    cursor: rec.pointer?.space === 'unit' ? { x: rec.pointer.x, y: rec.pointer.y } : null,
  };
  if (rec.pointer) out.pointer = rec.pointer;
  else if (r.location) {
    if (scope === 'content' || r.location.snippet === undefined) out.location = r.location;
    else {
      const { snippet: _snippet, ...structure } = r.location;
      out.location = structure;
    }
  }
  if (r.lastActive !== undefined) out.lastActive = r.lastActive;
  if (r.lastEdit !== undefined) out.lastEdit = r.lastEdit;
  if (rec.signals) out.signals = rec.signals;
  if (scope === 'content') {
    if (rec.name !== undefined) out.name = rec.name;
    if (rec.color !== undefined) out.color = rec.color;
  } else {
    const color = plainCssColor(rec.color);
    if (color !== undefined) out.color = color;
  }
  return out;
}
