/**
 * Tenant label enforcement on PromQL, in the manner of prom-label-proxy: every series selector of a
 * query gets the matcher `<label>="<tenant>"`, so whatever the query does with the selected series
 * (`or`, `unless`, `label_replace`, subqueries, aggregations by the label) it can only ever read that
 * tenant's series.
 *
 * The query is parsed with Prometheus's own PromQL grammar (`@prometheus-io/lezer-promql`, the one
 * Prometheus's UI uses) — never with regular expressions. The matcher is added to each
 * `VectorSelector`'s text in place (the rest of the query is left byte for byte as it was) and ANDed
 * with whatever the selector already says: a selector that names another tenant (`{org="acme"}`)
 * becomes `{org="globex",org="acme"}`, which matches nothing. A query the grammar does not accept is
 * refused rather than forwarded, so Prometheus never parses text this module did not understand; the
 * result is parsed again and every selector checked before it is used.
 */
import { parser } from '@prometheus-io/lezer-promql';
import type { SyntaxNode, Tree } from '@lezer/common';

/** Longest query accepted (characters). Grafana's own queries are far shorter. */
export const MAX_QUERY_LENGTH = 64 * 1024;

export class PromqlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PromqlError';
  }
}

/** `"…"` with the characters PromQL string literals need escaped. */
function quote(value: string): string {
  return JSON.stringify(value);
}

function parse(query: string): Tree {
  if (query.length > MAX_QUERY_LENGTH)
    throw new PromqlError(`query longer than ${MAX_QUERY_LENGTH} characters`);
  if (query.trim() === '') throw new PromqlError('empty query');
  const tree = parser.parse(query);
  let bad: { from: number } | undefined;
  tree.iterate({
    enter(n) {
      if (bad) return false;
      if (n.type.isError) bad = { from: n.from };
      return undefined;
    },
  });
  if (bad) throw new PromqlError(`PromQL syntax error near position ${bad.from + 1}`);
  return tree;
}

function selectors(tree: Tree): SyntaxNode[] {
  const found: SyntaxNode[] = [];
  tree.iterate({
    enter(n) {
      if (n.name === 'VectorSelector') found.push(n.node);
    },
  });
  return found;
}

/** The text edit that adds `matcher` to one selector: inside its braces, or braces after its name. */
function edit(sel: SyntaxNode, matcher: string): { at: number; text: string } {
  const matchers = sel.getChild('LabelMatchers');
  if (!matchers) return { at: sel.to, text: `{${matcher}}` };
  const empty = matchers.firstChild === null;
  // Right after `{`: valid whether the list is empty, has entries, or ends with a trailing comma.
  return { at: matchers.from + 1, text: empty ? matcher : `${matcher},` };
}

/** True when the selector's matchers include exactly `label="value"`. */
function hasMatcher(query: string, sel: SyntaxNode, label: string, value: string): boolean {
  const matchers = sel.getChild('LabelMatchers');
  if (!matchers) return false;
  for (let m = matchers.firstChild; m; m = m.nextSibling) {
    if (m.name !== 'UnquotedLabelMatcher') continue;
    const name = m.getChild('LabelName');
    const op = m.getChild('MatchOp');
    const lit = m.getChild('StringLiteral');
    if (!name || !op || !lit) continue;
    if (query.slice(name.from, name.to) !== label || op.firstChild?.name !== 'EqlSingle') continue;
    try {
      if (JSON.parse(query.slice(lit.from, lit.to)) === value) return true;
    } catch {
      // A single-quoted or backtick literal is not ours.
    }
  }
  return false;
}

/**
 * `query` with `label="value"` on every series selector. Throws PromqlError (with a message fit for
 * the caller) when the query is not valid PromQL or too long.
 */
export function enforceLabel(query: string, label: string, value: string): string {
  if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(label)) throw new PromqlError(`invalid label name ${label}`);
  const matcher = `${label}=${quote(value)}`;
  const tree = parse(query);
  const edits = selectors(tree)
    .map((s) => edit(s, matcher))
    .sort((a, b) => b.at - a.at);
  let out = query;
  for (const e of edits) out = out.slice(0, e.at) + e.text + out.slice(e.at);
  // Defence in depth: the result must parse, and every selector in it must carry the matcher.
  const check = parse(out);
  for (const sel of selectors(check)) {
    if (!hasMatcher(out, sel, label, value)) {
      throw new PromqlError('query could not be restricted to the tenant');
    }
  }
  return out;
}

/**
 * A series selector (`match[]` of /api/v1/series, /labels, /label/<name>/values) restricted to the
 * tenant. It must be a selector alone, not an expression.
 */
export function enforceSelector(selector: string, label: string, value: string): string {
  const tree = parse(selector);
  const top = tree.topNode.firstChild;
  if (!top || top.name !== 'VectorSelector' || top.nextSibling) {
    throw new PromqlError('match[] must be a series selector, e.g. up{job="x"}');
  }
  return enforceLabel(selector, label, value);
}
