/* global window, document, performance, requestAnimationFrame, cancelAnimationFrame */
// In-page driver of the presence benchmark (plain JS: evaluated in the harness page as is).
// window.__presenceBench.start(key, cursors, hz) moves `cursors` users at `hz` updates per second each
// (one snapshot frame per tick, like the datasource's presence stream) and records rAF intervals.
(() => {
  const state = {
    timer: 0,
    raf: 0,
    intervals: [],
    updateMs: [],
    ticks: 0,
    lastRaf: 0,
  };
  function rng(seed) {
    let s = seed >>> 0;
    return () => {
      s = (s + 0x6d2b79f5) >>> 0;
      let t = s;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }
  function start(key, cursors, hz, mode) {
    const doc = mode === 'document';
    const BLOCKS = 2000;
    const NAMES = ['paragraph', 'heading', 'listItem', 'codeBlock', 'blockquote'];
    const rand = rng(42);
    const hot = [
      [0.2, 0.3],
      [0.7, 0.6],
      [0.45, 0.8],
    ];
    const users = [];
    for (let i = 0; i < cursors; i++) {
      const h = hot[i % hot.length];
      users.push({
        user: 'anon-' + i.toString(36),
        x: rand(),
        y: rand(),
        tx: h[0] + (rand() - 0.5) * 0.2,
        ty: h[1] + (rand() - 0.5) * 0.2,
        status: i % 10 === 0 ? 'away' : i % 3 === 0 ? 'editing' : 'idle',
        color:
          '#' +
          Math.floor(rand() * 0xffffff)
            .toString(16)
            .padStart(6, '0'),
        sel: i % 7 === 0 ? 12 : 0,
      });
    }
    const tick = () => {
      state.ticks++;
      const n = users.length;
      const room = new Array(n),
        cid = new Array(n),
        user = new Array(n),
        label = new Array(n),
        xs = new Array(n),
        ys = new Array(n),
        st = new Array(n),
        seen = new Array(n),
        cnt = new Array(n),
        color = new Array(n),
        block = new Array(n),
        nodeName = new Array(n),
        sel = new Array(n),
        anchor = new Array(n),
        active = new Array(n);
      const now = Date.now();
      for (let i = 0; i < n; i++) {
        const u = users[i];
        if (rand() < 0.02) {
          const h = hot[Math.floor(rand() * hot.length)];
          u.tx = h[0] + (rand() - 0.5) * 0.2;
          u.ty = h[1] + (rand() - 0.5) * 0.2;
        }
        u.x += (u.tx - u.x) * 0.2 + (rand() - 0.5) * 0.01;
        u.y += (u.ty - u.y) * 0.2 + (rand() - 0.5) * 0.01;
        room[i] = 'bench/room';
        cid[i] = i + 1;
        user[i] = u.user;
        label[i] = u.user;
        xs[i] = Math.min(1, Math.max(0, u.x));
        ys[i] = Math.min(1, Math.max(0, u.y));
        st[i] = u.status;
        seen[i] = now;
        cnt[i] = state.ticks;
        if (doc) {
          // A caret that types (lastActive moves) and drifts through a 2,000-block document.
          const b = Math.min(BLOCKS - 1, Math.max(0, Math.floor(u.y * BLOCKS)));
          color[i] = u.color;
          block[i] = b;
          nodeName[i] = NAMES[b % NAMES.length];
          sel[i] = u.sel;
          anchor[i] = u.sel > 0 ? Math.max(0, b - 3) : null;
          active[i] = now;
        }
      }
      const frame = {
        refId: 'A',
        name: 'presence',
        meta: {
          custom: { collabFrame: 'presence', room: 'bench/room', pod: 'bench', ts: now, scope: 'metadata' },
        },
        fields: [
          { name: 'room', type: 'string', values: room },
          { name: 'clientId', type: 'number', values: cid },
          { name: 'user', type: 'string', values: user },
          { name: 'label', type: 'string', values: label },
          { name: 'x', type: 'number', values: xs },
          { name: 'y', type: 'number', values: ys },
          { name: 'status', type: 'string', values: st },
          { name: 'lastSeen', type: 'time', values: seen },
          { name: 'updateCount', type: 'number', values: cnt },
          ...(doc
            ? [
                { name: 'color', type: 'string', values: color },
                { name: 'binding', type: 'string', values: user.map(() => 'yjs-cursor') },
                { name: 'locState', type: 'string', values: user.map(() => 'resolved') },
                { name: 'root', type: 'string', values: user.map(() => 'prosemirror') },
                { name: 'block', type: 'number', values: block },
                { name: 'blocks', type: 'number', values: user.map(() => BLOCKS) },
                { name: 'nodeName', type: 'string', values: nodeName },
                { name: 'selection', type: 'number', values: sel },
                { name: 'anchorBlock', type: 'number', values: anchor },
                { name: 'lastActive', type: 'time', values: active },
              ]
            : []),
        ],
      };
      if (doc) {
        // Document view: no pointer, only the caret location.
        frame.fields = frame.fields.filter((f) => f.name !== 'x' && f.name !== 'y');
      }
      const t0 = performance.now();
      window.__harness.updatePanel(key, { frames: [frame], state: 'Streaming' });
      pushBounded(state.updateMs, performance.now() - t0);
    };
    state.timer = window.setInterval(tick, 1000 / hz);
    const onRaf = (t) => {
      if (state.lastRaf) pushBounded(state.intervals, t - state.lastRaf);
      state.lastRaf = t;
      state.raf = requestAnimationFrame(onRaf);
    };
    state.raf = requestAnimationFrame(onRaf);
  }
  function pushBounded(arr, v) {
    arr.push(v);
    if (arr.length > 20000) arr.splice(0, arr.length - 20000);
  }
  function pct(arr, p) {
    if (arr.length === 0) return 0;
    const s = arr.slice().sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
  }
  /** Stats since the previous call (windows reset). */
  function sample() {
    const canvas = document.querySelector('[data-testid="presence-room-canvas"]');
    const root = document.querySelector('[data-testid="collabblocks-presence-panel-root"]');
    const out = {
      ticks: state.ticks,
      rafFrames: state.intervals.length,
      rafP50: pct(state.intervals, 50),
      rafP95: pct(state.intervals, 95),
      rafP99: pct(state.intervals, 99),
      rafOver17: state.intervals.filter((v) => v > 17.5).length,
      updateP95: pct(state.updateMs, 95),
      drawP95: Number(canvas?.dataset.frameP95 ?? NaN),
      ingestP95: Number(root?.dataset.ingestP95 ?? NaN),
      cursors: Number(canvas?.dataset.cursors ?? NaN),
      heatCells: Number(canvas?.dataset.heatCells ?? NaN),
      users: Number(root?.dataset.users ?? NaN),
    };
    state.intervals = [];
    state.updateMs = [];
    return out;
  }
  function stop() {
    window.clearInterval(state.timer);
    cancelAnimationFrame(state.raf);
  }
  window.__presenceBench = { start, sample, stop };
})();
