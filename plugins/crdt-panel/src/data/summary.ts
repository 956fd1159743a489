import { type TreeDiff } from './diff';
import { subtreeRootOf, type TreeModel } from './model';

export interface SummaryInput {
  model: TreeModel;
  /** The filter's result, when one is applied. */
  search: { matches: ReadonlySet<string> } | null;
  /** Position of the selected node among the matches (-1: none selected). */
  matchIndex: number;
  travelled: { exact: boolean; before?: boolean } | null;
  diff: TreeDiff | null;
}

/**
 * The toolbar's one-line summary: room, subtree scope, node count, matches, how the shown state was
 * obtained, the diff counts and the scope (`acme/doc · subtree /a depth ≤ 2 · 12 nodes · 1 of 3 matches`).
 */
export function panelSummary({ model, search, matchIndex, travelled, diff }: SummaryInput): string {
  const meta = model.meta;
  // A subtree frame (query rootPath / maxDepth): which part of the document is shown.
  const subtree = subtreeRootOf(model);
  const scope = [
    subtree ? `subtree ${subtree}${meta.rootFound === false ? ' not found' : ''}` : '',
    typeof meta.maxDepth === 'number' ? `depth ≤ ${meta.maxDepth}` : '',
  ]
    .filter((x) => x !== '')
    .join(' ');
  let out = '';
  if (meta.room) out += `${meta.room} · `;
  if (scope) out += `${scope} · `;
  out += `${model.nodes.size} nodes`;
  if (meta.truncated) out += ` (of ${meta.total})`;
  if (search) {
    const n = search.matches.size;
    out += ` · ${matchIndex >= 0 ? `${matchIndex + 1} of ` : ''}${n} match${n === 1 ? '' : 'es'}`;
  }
  if (travelled?.exact) out += ' · replayed from pod log';
  if (travelled?.before) out += ' · earliest known state';
  if (diff) out += ` · diff +${diff.added} −${diff.removed} ~${diff.changed}`;
  if (meta.scope === 'metadata') out += ' · metadata only';
  return out;
}
