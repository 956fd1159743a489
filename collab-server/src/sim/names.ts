/**
 * Obviously fake but believable names: org slugs, room slugs, bot display
 * names and cursor colours. Everything here is public fiction; no real person.
 */
import { isSlug } from '@collabblocks/protocol';
import type { Rng } from './random.js';

export const ORG_SLUGS = [
  'acme',
  'globex',
  'initech',
  'umbrella',
  'hooli',
  'stark',
  'wayne',
  'tyrell',
  'cyberdyne',
  'wonka',
] as const;

export const ROOM_SLUGS = [
  'roadmap-2026',
  'design-review',
  'incident-retro',
  'sprint-planning',
  'okr-draft',
  'onboarding-guide',
  'api-spec',
  'release-notes',
  'oncall-handbook',
  'budget-q3',
  'hiring-plan',
  'architecture-adr',
  'customer-feedback',
  'launch-checklist',
  'weekly-sync',
  'brainstorm',
  'runbook-db',
  'postmortem-outage',
  'style-guide',
  'team-charter',
  'capacity-plan',
  'security-review',
  'migration-plan',
  'demo-script',
] as const;

const BOT_FIRST_NAMES = [
  'Ada',
  'Linus',
  'Grace',
  'Alan',
  'Barbara',
  'Ken',
  'Margaret',
  'Dennis',
  'Radia',
  'Edsger',
  'Frances',
  'Tim',
  'Hedy',
  'Donald',
  'Sophie',
  'Guido',
  'Katherine',
  'Bjarne',
  'Annie',
  'John',
] as const;

export const CURSOR_COLORS = [
  '#F2495C',
  '#FF9830',
  '#FADE2A',
  '#73BF69',
  '#5794F2',
  '#B877D9',
  '#8AB8FF',
  '#FF7383',
  '#96D98D',
  '#CA95E5',
] as const;

export const TASK_TITLES = [
  'Write the spec',
  'Review the PR',
  'Update dashboards',
  'Fix flaky test',
  'Draft the announcement',
  'Benchmark the pod',
  'Rotate secrets',
  'Triage bugs',
  'Plan the demo',
  'Clean up alerts',
] as const;

export const STATUSES = ['todo', 'in-progress', 'review', 'done', 'blocked'] as const;

export const WORDS = [
  'the',
  'pod',
  'room',
  'latency',
  'update',
  'presence',
  'cursor',
  'dashboard',
  'panel',
  'metric',
  'trace',
  'sync',
  'document',
  'release',
  'review',
  'budget',
  'deadline',
  'owner',
  'risk',
  'milestone',
  'and',
  'with',
  'for',
  'we',
  'should',
  'ship',
  'measure',
  'improve',
  'quickly',
  'carefully',
] as const;

/** `n` org slugs: the well-known ones first, then `org-11`, `org-12`, ... */
export function orgSlugs(n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(ORG_SLUGS[i] ?? `org-${i + 1}`);
  return out;
}

/** `n` room slugs: realistic ones first, then numbered variants (`roadmap-2026-2`). */
export function roomSlugs(n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const base = ROOM_SLUGS[i % ROOM_SLUGS.length] as string;
    const round = Math.floor(i / ROOM_SLUGS.length);
    const slug = round === 0 ? base : `${base}-${round + 1}`;
    if (!isSlug(slug)) throw new Error(`generated room slug is invalid: ${slug}`);
    out.push(slug);
  }
  return out;
}

/** "Bot Ada", "Bot Linus", ... then "Bot Ada 2" when the list wraps. */
export function botName(index: number): string {
  const first = BOT_FIRST_NAMES[index % BOT_FIRST_NAMES.length] as string;
  const round = Math.floor(index / BOT_FIRST_NAMES.length);
  return round === 0 ? `Bot ${first}` : `Bot ${first} ${round + 1}`;
}

export function botColor(index: number): string {
  return CURSOR_COLORS[index % CURSOR_COLORS.length] as string;
}

export function randomWord(rng: Rng): string {
  return rng.pick(WORDS);
}
