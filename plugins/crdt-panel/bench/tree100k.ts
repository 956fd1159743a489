/**
 * CRDT panel benchmark in headless Chromium through the E2E harness (the built dist/module.js with the
 * leg's real @grafana packages). A document of N nodes (default 100,000: /root map → 100 arrays → maps
 * with a Text each) as one tree frame (contract TREE_FIELDS), fully expanded by default (worst case:
 * every node is a row of the flattened list).
 *
 *  - first render: empty panel → updatePanel(frame of N nodes) → tree rows in the DOM, and → next frame;
 *  - live patch: a new snapshot frame in which one visible node changed (the datasource emits full
 *    snapshots) → the row shows the new value (DOM), and → next frame; repeated, p50/p95;
 *  - scrolling: the tree scrolled by `--scroll-px` per animation frame for `--scroll-sec`; rAF interval
 *    p50/p95/p99 and frames over 16.7 ms;
 *  - replay (`--replay-steps`, default 5000, 0 = skip): a fresh panel given a historyTree frame of the same
 *    document plus a treeSteps frame of that many updates (one text value each, every 10th also inserts an
 *    array item) → first render; then *Step forward* clicks, slider jumps to random steps and *Step back*
 *    clicks, each timed to the state shown (`data-state-ts`) and → next frame; p50/p95.
 *
 *   npx tsx plugins/crdt-panel/bench/tree100k.ts [--nodes 100000] [--expand 20] [--leg grafana-12]
 *     [--patches 30] [--scroll-sec 5] [--scroll-px 120] [--replay-steps 5000] [--moves 20]
 *     [--out artifacts/crdt-bench.json]
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { startHarness } from '@collabblocks/e2e-harness';

function num(v: string | undefined, name: string, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a non-negative number, got ${v}`);
  return n;
}

const pct = (xs: number[], p: number): number => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] as number;
};
const r1 = (x: number) => Math.round(x * 10) / 10;

/** Runs in the page: builds the frame JSON and the timing helpers (window.__crdtBench). */
const IN_PAGE = `
(() => {
  const api = window.__harness;
  function build(n) {
    const path = [], parent = [], depth = [], key = [], type = [], size = [], itemCount = [], deleted = [],
      children = [], lastClient = [], lastClock = [], lastTime = [], valueType = [], nodeName = [], value = [];
    const push = (p, par, d, k, t, v, kids) => {
      path.push(p); parent.push(par); depth.push(d); key.push(k); type.push(t); size.push(v.length);
      itemCount.push(kids); deleted.push(0); children.push(kids); lastClient.push(7); lastClock.push(path.length);
      lastTime.push(1767261600000); valueType.push(v ? 'string' : ''); nodeName.push(''); value.push(v);
    };
    const fan = 100, per = Math.max(1, Math.floor((n - 1 - fan) / fan / 2));
    push('/root', '', 0, 'root', 'Map', '', fan);
    for (let a = 0; a < fan && path.length < n; a++) {
      const ap = '/root/list' + a;
      push(ap, '/root', 1, 'list' + a, 'Array', '', per);
      for (let i = 0; i < per && path.length < n; i++) {
        const ip = ap + '/' + i;
        push(ip, ap, 2, String(i), 'Map', '', 1);
        if (path.length < n) push(ip + '/title', ip, 3, 'title', 'Text', 'item ' + a + '.' + i, 0);
      }
    }
    const f = (name, t, values) => ({ name, type: t, values });
    return {
      refId: 'A', name: 'tree',
      meta: { custom: { collabFrame: 'tree', room: 'bench/doc', pod: 'pod-a', ts: 1767261600000, complete: true,
        total: path.length, truncated: false, scope: 'content' } },
      fields: [f('path','string',path), f('parentPath','string',parent), f('depth','number',depth), f('key','string',key),
        f('type','string',type), f('size','number',size), f('itemCount','number',itemCount), f('deleted','number',deleted),
        f('children','number',children), f('lastClient','number',lastClient), f('lastClock','number',lastClock),
        f('lastTime','time',lastTime), f('valueType','string',valueType), f('nodeName','string',nodeName),
        f('value','string',value)],
    };
  }
  const nextFrame = () => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
  async function waitFor(pred, timeoutMs = 30000) {
    const t0 = performance.now();
    while (!pred()) {
      if (performance.now() - t0 > timeoutMs) throw new Error('timeout');
      await new Promise((r) => setTimeout(r, 0));
    }
  }
  function buildSteps(doc, n, t0) {
    const P = doc.fields[0].values;
    const titles = [];
    for (let i = 0; i < P.length; i++) if (P[i].endsWith('/title')) titles.push(i);
    const col = (name) => doc.fields.find((f) => f.name === name).values;
    const names = doc.fields.map((f) => f.name);
    const cols = {}; for (const nm of names) cols[nm] = [];
    const time = [], seq = [], client = [], op = [];
    const row = (ts, s, o, r) => {
      time.push(ts); seq.push(s); client.push(7); op.push(o);
      for (const nm of names) cols[nm].push(r[nm]);
    };
    const nodeRow = (i) => { const r = {}; for (const nm of names) r[nm] = col(nm)[i]; return r; };
    for (let i = 0; i < n; i++) {
      const ts = t0 + (i + 1) * 100;
      const ti = titles[(i * 7919) % titles.length];
      const r = nodeRow(ti); r.value = 'step ' + i; r.lastClock = 2e6 + i; r.size = r.value.length;
      row(ts, i + 1, 'changed', r);
      if (i % 10 === 9) {
        const a = '/root/list' + (i % 100);
        row(ts, i + 1, 'added', { path: a + '/' + (100000 + i), parentPath: a, depth: 2, key: String(100000 + i),
          type: 'value', size: 1, itemCount: 1, deleted: 0, children: 0, lastClient: 7, lastClock: 3e6 + i,
          lastTime: ts, valueType: 'number', nodeName: '', value: String(i) });
      }
    }
    const f = (name, t, values) => ({ name, type: t, values });
    return {
      refId: 'A', name: 'tree steps',
      meta: { custom: { collabFrame: 'treeSteps', room: 'bench/doc', pod: 'pod-a', from: t0, to: t0 + (n + 1) * 100,
        steps: n, truncated: false, scope: 'content' } },
      fields: [f('timestamp', 'time', time), f('seq', 'number', seq), f('clientId', 'number', client),
        f('op', 'string', op), ...doc.fields.map((x) => f(x.name, x.type, cols[x.name]))],
    };
  }
  const stateTs = () =>
    Number(document.querySelector('[data-testid="collabblocks-crdt-panel-root"]')?.getAttribute('data-state-ts'));
  async function timed(act, expectTs) {
    const t0 = performance.now();
    act();
    try {
      await waitFor(() => stateTs() === expectTs);
    } catch {
      throw new Error('state ' + stateTs() + ' never became ' + expectTs);
    }
    const dom = performance.now() - t0;
    await nextFrame();
    return { dom, frame: performance.now() - t0 };
  }
  let frame = null;
  window.__crdtBench = {
    async replay(key, nodes, n, t0, moves) {
      const doc = build(nodes);
      doc.meta = { custom: { ...doc.meta.custom, collabFrame: 'historyTree', ts: t0 } };
      const steps = buildSteps(doc, n, t0);
      const ts = (i) => t0 + (i + 1) * 100;
      const t1 = performance.now();
      api.updatePanel(key, { frames: [doc, steps] });
      await waitFor(() => document.querySelector('[data-testid="crdt-tree"] [role="treeitem"]') && stateTs() === ts(n - 1));
      const firstDom = performance.now() - t1;
      await nextFrame();
      const first = { dom: firstDom, frame: performance.now() - t1,
        ingestMs: Number(document.querySelector('[data-testid="collabblocks-crdt-panel-root"]').getAttribute('data-ingest-ms')) };
      const slider = document.querySelector('[data-testid="crdt-timeline-slider"]');
      const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
      const slide = (t) => { setter.call(slider, String(t)); slider.dispatchEvent(new Event('input', { bubbles: true })); };
      const button = (label) => document.querySelector('button[aria-label="' + label + '"]');
      // Enter time travel at step 0, then step forward, jump around, step back.
      await timed(() => slide(ts(0) + 50), ts(0));
      const forward = [], jumps = [], back = [];
      for (let i = 1; i <= moves; i++) forward.push(await timed(() => button('Step forward').click(), ts(i)));
      let seed = 12345;
      const rnd = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
      for (let k = 0; k < moves; k++) {
        const i = Math.floor(rnd() * n);
        if (stateTs() === ts(i)) continue;
        jumps.push(await timed(() => slide(ts(i)), ts(i)));
      }
      const at = stateTs();
      let i = (at - t0) / 100 - 1;
      for (let k = 0; k < moves && i > 0; k++, i--) back.push(await timed(() => button('Step back').click(), ts(i - 1)));
      return { first, forward, jumps, back, exact: document.querySelector('[data-testid="collabblocks-crdt-panel-root"]').getAttribute('data-exact') };
    },
    async first(key, n) {
      frame = build(n);
      const t0 = performance.now();
      api.updatePanel(key, { frames: [frame] });
      await waitFor(() => document.querySelector('[data-testid="crdt-tree"] [role="treeitem"]'));
      const dom = performance.now() - t0;
      await nextFrame();
      const root = document.querySelector('[data-testid="collabblocks-crdt-panel-root"]');
      return { dom, frame: performance.now() - t0, nodes: frame.fields[0].values.length,
        ingestMs: Number(root.getAttribute('data-ingest-ms')), flattenMs: Number(root.getAttribute('data-flatten-ms')),
        rows: Number(document.querySelector('[data-testid="crdt-tree"]').getAttribute('data-rows')),
        rowsInDom: document.querySelectorAll('[role="treeitem"]').length };
    },
    async patch(key, i) {
      // Change the value of a node visible whatever the expand depth (row 2: /root/list0).
      const vf = frame.fields.find((f) => f.name === 'value');
      const cf = frame.fields.find((f) => f.name === 'lastClock');
      const idx = 1;
      const text = 'patched ' + i;
      const values = vf.values.slice(); values[idx] = text;
      const clocks = cf.values.slice(); clocks[idx] = 1e6 + i;
      frame = { ...frame, fields: frame.fields.map((f) => f === vf ? { ...f, values } : f === cf ? { ...f, values: clocks } : f) };
      const sel = '[role="treeitem"][data-path="' + frame.fields[0].values[idx] + '"]';
      const t0 = performance.now();
      api.updatePanel(key, { frames: [frame] });
      await waitFor(() => (document.querySelector(sel)?.textContent ?? '').includes(text));
      const dom = performance.now() - t0;
      await nextFrame();
      const root = document.querySelector('[data-testid="collabblocks-crdt-panel-root"]');
      return { dom, frame: performance.now() - t0, ingest: Number(root.getAttribute('data-ingest-ms')) };
    },
    async scroll(sec, px) {
      const el = document.querySelector('[data-testid="crdt-tree"]');
      const intervals = [];
      let last = performance.now();
      const end = last + sec * 1000;
      let dir = 1;
      await new Promise((resolve) => {
        const tick = (t) => {
          intervals.push(t - last); last = t;
          if (el.scrollTop + el.clientHeight >= el.scrollHeight - px) dir = -1;
          if (el.scrollTop <= 0) dir = 1;
          el.scrollTop += dir * px;
          if (t < end) requestAnimationFrame(tick); else resolve();
        };
        requestAnimationFrame((t) => { last = t; requestAnimationFrame(tick); });
      });
      return intervals;
    },
  };
})();
`;

const REPLAY_T0 = 1767261600000;

interface ReplayResult {
  first: { dom: number; frame: number; ingestMs: number };
  forward: Array<{ dom: number; frame: number }>;
  jumps: Array<{ dom: number; frame: number }>;
  back: Array<{ dom: number; frame: number }>;
  exact: string | null;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      nodes: { type: 'string' },
      expand: { type: 'string' },
      leg: { type: 'string' },
      patches: { type: 'string' },
      'scroll-sec': { type: 'string' },
      'scroll-px': { type: 'string' },
      out: { type: 'string' },
      'replay-steps': { type: 'string' },
      moves: { type: 'string' },
    },
  });
  const replaySteps = Math.round(num(values['replay-steps'], 'replay-steps', 5_000));
  const moves = Math.round(num(values.moves, 'moves', 20));
  const nodes = Math.round(num(values.nodes, 'nodes', 100_000));
  const expand = Math.round(num(values.expand, 'expand', 20));
  const patches = Math.round(num(values.patches, 'patches', 30));
  const scrollSec = num(values['scroll-sec'], 'scroll-sec', 5);
  const scrollPx = num(values['scroll-px'], 'scroll-px', 120);
  const leg = values.leg ?? process.env.HARNESS_LEG ?? 'grafana-12';
  if (leg !== 'grafana-12' && leg !== 'grafana-13') throw new Error('--leg must be grafana-12 or grafana-13');

  const h = await startHarness({ leg });
  try {
    const panel = await h.renderPanel('collabblocks-crdt-panel', {
      width: 1000,
      height: 600,
      state: 'Streaming',
      timeRange: { from: 1767261000000, to: 1767262200000 },
      options: { expandDepth: expand, flashMs: 1200 },
    });
    await h.page.evaluate(IN_PAGE);
    const first = (await h.page.evaluate(
      `window.__crdtBench.first(${JSON.stringify(panel.key)}, ${nodes})`
    )) as {
      dom: number;
      frame: number;
      nodes: number;
      ingestMs: number;
      flattenMs: number;
      rows: number;
      rowsInDom: number;
    };
    const dom: number[] = [];
    const frame: number[] = [];
    const ingest: number[] = [];
    for (let i = 0; i < patches; i++) {
      const p = (await h.page.evaluate(`window.__crdtBench.patch(${JSON.stringify(panel.key)}, ${i})`)) as {
        dom: number;
        frame: number;
        ingest: number;
      };
      // The first patch builds the live history (base copy): reported, excluded from the percentiles.
      if (i > 0) {
        dom.push(p.dom);
        frame.push(p.frame);
        ingest.push(p.ingest);
      } else
        console.log(`first patch (history base copy): dom ${r1(p.dom)} ms, next frame ${r1(p.frame)} ms`);
    }
    const intervals = (await h.page.evaluate(
      `window.__crdtBench.scroll(${scrollSec}, ${scrollPx})`
    )) as number[];
    let replay: ReplayResult | null = null;
    if (replaySteps > 0) {
      await panel.unmount();
      const rp = await h.renderPanel('collabblocks-crdt-panel', {
        width: 1000,
        height: 600,
        state: 'Done',
        timeRange: { from: REPLAY_T0 - 1000, to: REPLAY_T0 + (replaySteps + 2) * 100 },
        options: { expandDepth: expand, flashMs: 1200 },
      });
      replay = (await h.page.evaluate(
        `window.__crdtBench.replay(${JSON.stringify(rp.key)}, ${nodes}, ${replaySteps}, ${REPLAY_T0}, ${moves})`
      )) as ReplayResult;
    }
    const series = (xs: Array<{ dom: number; frame: number }>) => ({
      samples: xs.length,
      domP50: r1(
        pct(
          xs.map((x) => x.dom),
          50
        )
      ),
      domP95: r1(
        pct(
          xs.map((x) => x.dom),
          95
        )
      ),
      nextFrameP95: r1(
        pct(
          xs.map((x) => x.frame),
          95
        )
      ),
    });
    const result = {
      leg,
      nodes: first.nodes,
      rowsFlattened: first.rows,
      rowsInDom: first.rowsInDom,
      firstRender: {
        domMs: r1(first.dom),
        nextFrameMs: r1(first.frame),
        panelIngestMs: r1(first.ingestMs),
        panelFlattenMs: r1(first.flattenMs),
      },
      livePatch: {
        samples: dom.length,
        domP50: r1(pct(dom, 50)),
        domP95: r1(pct(dom, 95)),
        nextFrameP50: r1(pct(frame, 50)),
        nextFrameP95: r1(pct(frame, 95)),
        panelIngestP50: r1(pct(ingest, 50)),
        panelIngestP95: r1(pct(ingest, 95)),
      },
      scroll: {
        frames: intervals.length,
        p50: r1(pct(intervals, 50)),
        p95: r1(pct(intervals, 95)),
        p99: r1(pct(intervals, 99)),
        over16_7: intervals.filter((x) => x > 16.7).length,
      },
      replay: replay && {
        steps: replaySteps,
        firstRender: {
          domMs: r1(replay.first.dom),
          nextFrameMs: r1(replay.first.frame),
          panelIngestMs: r1(replay.first.ingestMs),
        },
        stepForward: series(replay.forward),
        sliderJump: series(replay.jumps),
        stepBack: series(replay.back),
        exact: replay.exact,
      },
    };
    console.log(JSON.stringify(result, null, 2));
    if (values.out) {
      fs.mkdirSync(path.dirname(values.out), { recursive: true });
      fs.writeFileSync(values.out, JSON.stringify(result, null, 2));
    }
    expectNoErrors(h.takeConsoleErrors());
  } finally {
    await h.close();
  }
}

function expectNoErrors(errors: string[]): void {
  if (errors.length > 0) console.log(`browser console errors: ${errors.join(' | ')}`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
