import * as Y from 'yjs';

type PositionedType = Parameters<typeof Y.createRelativePositionFromTypeIndex>[0];

/** A relative position as bindings publish it in awareness (Yjs JSON of `createRelativePositionFromTypeIndex`). */
export function relPosJSON(type: PositionedType, index: number): unknown {
  return Y.relativePositionToJSON(Y.createRelativePositionFromTypeIndex(type, index));
}
