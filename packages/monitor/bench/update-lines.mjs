/**
 * Cost of the Y.Text line index in update summaries (src/inspect/streams/updates/lineIndex.ts): a
 * 2,000-line CodeMirror-shaped document edited by 4 replicas in 20,000 one-character inserts at
 * random places (a text of ~35,000 items), then summaries of its last updates read against it, with
 * lines and without (a LineIndex bounded to 0 items: the baseline, measured in the same run).
 * Prints medians of 10 runs: a batch of 2,000 updates (one index for the batch) and batches of one
 * update (the usual flush: a walk to the text's start). Run: `npm run build -w @collabblocks/monitor
 * && node packages/monitor/bench/update-lines.mjs`. State the load average with the figures.
 */
import { performance } from 'node:perf_hooks';
import * as Y from 'yjs';
import { LineIndex, summarizeUpdate } from '../dist/index.js';

const doc = new Y.Doc();
const text = doc.getText('codemirror');
text.insert(0, Array.from({ length: 2000 }, (_, i) => `line ${i} of some code here`).join('\n'));
const editors = [0, 1, 2, 3].map(() => new Y.Doc());
for (const e of editors) Y.applyUpdate(e, Y.encodeStateAsUpdate(doc));
const updates = [];
for (let k = 0; k < 20_000; k++) {
  const e = editors[k % 4];
  const t = e.getText('codemirror');
  let u = null;
  const on = (x) => {
    u = x;
  };
  e.on('update', on);
  t.insert(Math.floor(Math.random() * t.length), 'x');
  e.off('update', on);
  Y.applyUpdate(doc, u);
  for (const o of editors) if (o !== e) Y.applyUpdate(o, u);
  updates.push(u);
}
let items = 0;
for (let it = text._start; it; it = it.right) items++;

const batch = updates.slice(-2000);
const median = (f) => {
  for (let i = 0; i < 3; i++) f();
  const runs = Array.from({ length: 10 }, f).sort((a, b) => a - b);
  return runs[5];
};
const batchRun = (maxItems) => () => {
  const t0 = performance.now();
  const index = new LineIndex(maxItems);
  for (const u of batch) summarizeUpdate(u, doc, false, index);
  return performance.now() - t0;
};
const singleRun = (maxItems) => () => {
  const t0 = performance.now();
  for (const u of batch.slice(0, 200)) summarizeUpdate(u, doc, false, new LineIndex(maxItems));
  return ((performance.now() - t0) / 200) * 1000;
};
const [b0, b1] = [median(batchRun(0)), median(batchRun(undefined))];
const [s0, s1] = [median(singleRun(0)), median(singleRun(undefined))];
console.log(`text: ${items} items, ${text.toString().split('\n').length} lines`);
console.log(
  `batch of 2,000 updates: ${b0.toFixed(1)} ms without lines, ${b1.toFixed(1)} ms with (×${(b1 / b0).toFixed(1)})`
);
console.log(
  `batch of 1 update: ${s0.toFixed(0)} µs without lines, ${s1.toFixed(0)} µs with (×${(s1 / s0).toFixed(0)})`
);
