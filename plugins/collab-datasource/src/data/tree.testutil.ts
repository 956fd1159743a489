import type { TreeNode } from '@collabblocks/protocol';

/** A tree node for tests: a Map at `path` under `parent` (depth and key from the path), overridable. */
export const treeNode = (path: string, parent: string, extra: Partial<TreeNode> = {}): TreeNode => ({
  path,
  parent,
  depth: path.split('/').length - 1,
  key: path.split('/').pop() ?? '',
  type: 'Map',
  size: 0,
  itemCount: 0,
  deleted: 0,
  children: 0,
  ...extra,
});
