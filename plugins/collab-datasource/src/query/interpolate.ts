/**
 * Template variables in a stored query, replaced in the browser (Grafana's template service lives there) before
 * the query goes to the backend — the one implementation the datasource (`applyTemplateVariables`) and the
 * runner test driver use. A single-valued field (room, pod, root path) holding a multi-value or All variable
 * is an error that says so, instead of a `{a,b}` glob the backend would fail to parse with a puzzling message.
 */
import type { ScopedVars } from '@grafana/data';
import type { TemplateSrv } from '@grafana/runtime';

import type { CollabQuery } from '../types';
import { runnerOf } from './runners';

export type Interpolated = { ok: true; query: CollabQuery } | { ok: false; error: string };

/** The query with every text field's variables replaced, or the reason it cannot run as one query. */
export function interpolateQuery(
  tpl: Pick<TemplateSrv, 'replace'>,
  t: CollabQuery,
  scopedVars: ScopedVars
): Interpolated {
  const room = interpolateSingle(tpl, t.room ?? '', scopedVars);
  const pod = interpolateSingle(tpl, t.pod ?? '', scopedVars);
  if (pod.values) {
    return {
      ok: false,
      error: `pod "${t.pod ?? ''}" has several values (${listValues(pod.values)}): a query reads one pod or all of them — pick one value, or leave the field empty for every pod`,
    };
  }
  if (room.values) {
    return {
      ok: false,
      error: `room "${t.room ?? ''}" has several values (${listValues(room.values)}): use one room per query — pick one value, or repeat the panel by the variable (Panel options → Repeat options)`,
    };
  }
  const subtree = runnerOf(t.queryType)?.subtree === true;
  const rootPath = subtree ? interpolateSingle(tpl, t.rootPath ?? '', scopedVars) : null;
  if (rootPath?.values) {
    return {
      ok: false,
      error: `root path "${t.rootPath ?? ''}" has several values (${listValues(rootPath.values)}): use one subtree per query`,
    };
  }
  const depth: unknown = t.maxDepth;
  const query: CollabQuery = {
    ...t,
    room: room.value,
    pod: pod.value,
    ...(t.at !== undefined ? { at: tpl.replace(t.at, scopedVars) } : {}),
    ...(t.through !== undefined ? { through: tpl.replace(t.through, scopedVars) } : {}),
    ...(t.filter !== undefined ? { filter: tpl.replace(t.filter, scopedVars).trim() } : {}),
    ...(rootPath ? { rootPath: rootPath.value } : {}),
    // A variable in Max depth (typed as a number in the model, stored as text when it holds a variable).
    ...(typeof depth === 'string'
      ? ({ maxDepth: tpl.replace(depth, scopedVars) } as unknown as { maxDepth?: number })
      : {}),
  };
  return { ok: true, query };
}

/**
 * Interpolates a single-valued field. A multi-value or All variable would come out as `{a,b}` (the
 * default glob format) and then fail parsing with a puzzling message; the values are reported instead.
 */
export function interpolateSingle(
  tpl: Pick<TemplateSrv, 'replace'>,
  text: string,
  scopedVars: ScopedVars
): { value: string; values: string[] | null } {
  let values: string[] | null = null;
  const value = tpl
    .replace(text, scopedVars, (v: unknown) => {
      if (Array.isArray(v)) {
        const list = v.map((x) => String(x));
        if (list.length > 1) values = [...(values ?? []), ...list];
        return list.join(',');
      }
      return v === undefined || v === null ? '' : String(v);
    })
    .trim();
  // A template service that ignores the format function (or a value typed as a glob) still gives `{a,b}`.
  if (!values) {
    const glob = /^\{([^{}]*,[^{}]*)\}$/.exec(value);
    if (glob) values = (glob[1] ?? '').split(',');
  }
  return { value, values };
}

function listValues(values: string[]): string {
  const shown = values.slice(0, 5).join(', ');
  return values.length > 5 ? `${shown}, … ${values.length} in all` : shown;
}
