/**
 * Realistic edits on a room document. The shared types a room holds:
 *  - `notes`   Y.Text        words typed at a caret, backspaces, newlines
 *  - `meta`    Y.Map         title, status, assignee, priority, updatedAt
 *  - `tasks`   Y.Array<Y.Map> a task list (append, remove, status changes on nested maps)
 *  - `outline` Y.XmlFragment paragraphs, edited occasionally
 * Every edit is one transaction (one Yjs update on the wire). Documents stay
 * bounded: text, tasks and outline are trimmed from the front past a size.
 */
import * as Y from 'yjs';
import { STATUSES, TASK_TITLES, randomWord } from './names.js';
import type { Rng } from './random.js';

export type EditKind = 'text' | 'map' | 'array' | 'xml';
export const EDIT_KINDS: readonly EditKind[] = ['text', 'map', 'array', 'xml'];

export interface EditLimits {
  maxTextChars: number;
  maxTasks: number;
  maxXmlNodes: number;
}

export const DEFAULT_LIMITS: EditLimits = { maxTextChars: 4000, maxTasks: 40, maxXmlNodes: 30 };

export interface Author {
  name: string;
  /** Where this author types in `notes`; moves as they type. */
  caret: number;
}

export function roomTypes(doc: Y.Doc): {
  notes: Y.Text;
  meta: Y.Map<unknown>;
  tasks: Y.Array<Y.Map<unknown>>;
  outline: Y.XmlFragment;
} {
  return {
    notes: doc.getText('notes'),
    meta: doc.getMap('meta'),
    tasks: doc.getArray<Y.Map<unknown>>('tasks'),
    outline: doc.getXmlFragment('outline'),
  };
}

/** Text most of the time, structured edits sometimes, the XML outline rarely. */
export function chooseEditKind(rng: Rng): EditKind {
  const r = rng.next();
  if (r < 0.55) return 'text';
  if (r < 0.75) return 'map';
  if (r < 0.95) return 'array';
  return 'xml';
}

export function applyEdit(
  doc: Y.Doc,
  kind: EditKind,
  rng: Rng,
  author: Author,
  limits: EditLimits = DEFAULT_LIMITS
): void {
  doc.transact(() => {
    switch (kind) {
      case 'text':
        editText(doc, rng, author, limits);
        break;
      case 'map':
        editMap(doc, rng, author);
        break;
      case 'array':
        editArray(doc, rng, author, limits);
        break;
      case 'xml':
        editXml(doc, rng, limits);
        break;
    }
  }, 'sim');
}

function editText(doc: Y.Doc, rng: Rng, author: Author, limits: EditLimits): void {
  const { notes } = roomTypes(doc);
  let caret = Math.min(Math.max(0, author.caret), notes.length);
  if (notes.length > 0 && rng.chance(0.15)) {
    // Backspace a few characters.
    const n = Math.min(caret, 1 + rng.int(6));
    if (n > 0) notes.delete(caret - n, n);
    caret -= n;
  } else if (rng.chance(0.05)) {
    notes.insert(caret, '\n');
    caret += 1;
  } else {
    if (rng.chance(0.03)) caret = rng.int(notes.length + 1); // click somewhere else
    const word = randomWord(rng) + ' ';
    notes.insert(caret, word);
    caret += word.length;
  }
  if (notes.length > limits.maxTextChars) {
    const cut = notes.length - Math.floor(limits.maxTextChars / 2);
    notes.delete(0, cut);
    caret = Math.max(0, caret - cut);
  }
  author.caret = caret;
}

function editMap(doc: Y.Doc, rng: Rng, author: Author): void {
  const { meta } = roomTypes(doc);
  const r = rng.next();
  if (r < 0.3) meta.set('status', rng.pick(STATUSES));
  else if (r < 0.5) meta.set('assignee', author.name);
  else if (r < 0.65) meta.set('title', `${rng.pick(TASK_TITLES)} (${randomWord(rng)})`);
  else if (r < 0.8) meta.set('priority', 1 + rng.int(4));
  else if (r < 0.9 && meta.has('label')) meta.delete('label');
  else meta.set('label', randomWord(rng));
  meta.set('updatedAt', Date.now());
}

function editArray(doc: Y.Doc, rng: Rng, author: Author, limits: EditLimits): void {
  const { tasks } = roomTypes(doc);
  const r = rng.next();
  if (tasks.length === 0 || r < 0.4) {
    const task = new Y.Map<unknown>();
    task.set('id', Math.floor(rng.next() * 1e9).toString(36));
    task.set('title', rng.pick(TASK_TITLES));
    task.set('status', 'todo');
    task.set('assignee', author.name);
    tasks.push([task]);
  } else if (r < 0.85) {
    const task = tasks.get(rng.int(tasks.length));
    task.set('status', rng.pick(STATUSES));
    if (rng.chance(0.3)) task.set('assignee', author.name);
  } else {
    tasks.delete(rng.int(tasks.length), 1);
  }
  if (tasks.length > limits.maxTasks) tasks.delete(0, tasks.length - limits.maxTasks);
}

function editXml(doc: Y.Doc, rng: Rng, limits: EditLimits): void {
  const { outline } = roomTypes(doc);
  if (outline.length > 0 && rng.chance(0.25)) {
    outline.delete(rng.int(outline.length), 1);
  } else {
    const p = new Y.XmlElement(rng.chance(0.2) ? 'h2' : 'p');
    const t = new Y.XmlText();
    p.insert(0, [t]);
    t.insert(0, `${randomWord(rng)} ${randomWord(rng)} ${randomWord(rng)}`);
    outline.insert(outline.length, [p]);
  }
  if (outline.length > limits.maxXmlNodes) outline.delete(0, outline.length - limits.maxXmlNodes);
}

export interface DocSummary {
  textChars: number;
  metaKeys: number;
  tasks: number;
  xmlNodes: number;
}

export function summarizeDoc(doc: Y.Doc): DocSummary {
  const { notes, meta, tasks, outline } = roomTypes(doc);
  return { textChars: notes.length, metaKeys: meta.size, tasks: tasks.length, xmlNodes: outline.length };
}
