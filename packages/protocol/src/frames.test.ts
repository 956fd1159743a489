import { describe, expect, it } from 'vitest';

import {
  COLLAB_FRAME_KIND_KEY,
  collabFrameKind,
  PRESENCE_FIELDS,
  TREE_FIELDS,
  UPDATES_FIELDS,
} from './frames.js';

describe('frame contracts', () => {
  it('reads the collab frame kind from meta.custom', () => {
    expect(collabFrameKind({ custom: { [COLLAB_FRAME_KIND_KEY]: 'presence' } })).toBe('presence');
    expect(collabFrameKind({ custom: { [COLLAB_FRAME_KIND_KEY]: 'nope' } })).toBeUndefined();
    expect(collabFrameKind({})).toBeUndefined();
    expect(collabFrameKind(undefined)).toBeUndefined();
  });

  it('field names are unique within each contract; updates are log-lines first', () => {
    for (const fields of [PRESENCE_FIELDS, TREE_FIELDS, UPDATES_FIELDS]) {
      const names = Object.values(fields);
      expect(new Set(names).size).toBe(names.length);
    }
    expect(Object.values(UPDATES_FIELDS).slice(0, 4)).toEqual(['timestamp', 'body', 'severity', 'labels']);
  });
});
