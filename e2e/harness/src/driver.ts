// startHarness(): the API every plugin E2E test uses. Starts the host server for a leg, opens one page in
// chromium (a shared browser when HARNESS_BROWSER_WS is set), waits for the host to boot, and wraps the in-page
// API in typed helpers. See e2e/README.md.
import fs from 'node:fs';
import path from 'node:path';

import type { Browser, BrowserContext, Locator, Page, WebSocket as PwWebSocket } from 'playwright-core';

import { BROWSER_WS_ENV, connectBrowser, launchBrowser } from './browser.js';
import { assertLeg, REPO_ROOT } from './server/paths.js';
import { type HostServer, startHostServer } from './server/server.js';
import type {
  DatasourceInstanceInfo,
  DatasourceSpec,
  FrameJSON,
  Leg,
  OrgRole,
  PanelRenderInfo,
  PanelSpec,
  QueryEmission,
  QueryOptions,
  QueryStatus,
  TemplateVariables,
  ThemeMode,
} from './shared/types.js';

export interface StartHarnessOptions {
  /** Default: $HARNESS_LEG or 'grafana-12'. */
  leg?: Leg;
  /** Initial org role of the signed-in user (default 'Admin'). */
  role?: OrgRole;
  /** Page (chrome) theme and default theme of mounts (default 'dark'). */
  theme?: ThemeMode;
  featureToggles?: Record<string, boolean>;
  /** Screenshots go to <artifactsDir>/screenshots/<leg>/ (default $ARTIFACTS_DIR or <repo>/artifacts). */
  artifactsDir?: string;
  /** Connect to this browser server instead of launching (default $HARNESS_BROWSER_WS). */
  browserWSEndpoint?: string;
  viewport?: { width: number; height: number };
  /** Console errors matching one of these are not collected (e.g. an expected failed request). */
  ignoreConsoleErrors?: RegExp[];
  /** Where built plugins are found (default: <repo>/plugins and e2e/harness/fixtures). */
  pluginsDirs?: string[];
  /** Host server port (default 0 = ephemeral; only the sandbox sets one). */
  port?: number;
  /**
   * Keep the raw frames of the page's WebSockets for `webSocketFrames()` (default false: frames are only
   * counted, so runs that do not look at payloads — benches, long presence runs — do not copy and hold them).
   */
  recordWebSocketFrames?: boolean;
}

export interface PanelHandle {
  readonly key: string;
  /** The panel's width × height box. */
  readonly locator: Locator;
  /** Options/changes as of now (builder defaults merged with given options and onOptionsChange calls). */
  info(): Promise<PanelRenderInfo>;
  /** Re-render with new props (frames, size, theme, options merged, timeRange, state). */
  update(change: PanelSpec): Promise<PanelRenderInfo>;
  screenshot(name: string): Promise<string>;
  unmount(): Promise<void>;
}

export interface DatasourceHandle {
  readonly uid: string;
  /** What the browser sees (secure values replaced by secureJsonFields). */
  readonly settings: DatasourceInstanceInfo;
}

export interface QueryHandle {
  readonly id: string;
  status(): Promise<QueryStatus>;
  /** Every emission so far (bounded to the last 2000). */
  emissions(): Promise<QueryEmission[]>;
  /** Resolves once at least `count` emissions arrived (rejects after timeoutMs, default 10 s). */
  waitForEmissions(count: number, timeoutMs?: number): Promise<QueryEmission[]>;
  /** Resolves with the first emission satisfying `predicate` (checked in Node). */
  waitFor(predicate: (e: QueryEmission) => boolean, timeoutMs?: number): Promise<QueryEmission>;
  /** Unsubscribes from the query Observable (the datasource must tear down). */
  unsubscribe(): Promise<QueryStatus>;
}

export interface EditorHandle {
  readonly key: string;
  readonly locator: Locator;
  /** Config editor: `{ options }` (latest onOptionsChange); query editor: `{ queries, runs }`. */
  state(): Promise<{ options?: unknown; queries: unknown[]; runs: number }>;
}

export interface WebSocketRecord {
  /** Position in the order the page opened its sockets (0 first); `webSocketFrames({ fromSocket })` uses it. */
  index: number;
  url: string;
  closed: boolean;
  sent: number;
  received: number;
  /** Frames of this socket no longer kept (over MAX_FRAMES_PER_SOCKET / MAX_FRAME_BYTES_PER_SOCKET). */
  framesDropped: number;
}

/** One raw WebSocket frame as it crossed the wire (before any plugin code saw it). */
export interface WebSocketFrame {
  /** WebSocketRecord.index of its socket. */
  socket: number;
  url: string;
  direction: 'sent' | 'received';
  /** ms since epoch. */
  at: number;
  /** Text frames as sent; binary frames decoded as UTF-8 (so text inside them can be searched too). */
  payload: string;
}

export interface WebSocketFrameFilter {
  /** Only sockets with index >= this (take `webSockets().length` before opening the ones you want). */
  fromSocket?: number;
  /** Only sockets whose URL contains this (e.g. '/inspect'). */
  urlIncludes?: string;
  direction?: 'sent' | 'received';
}

/** Raw frames kept per socket (the oldest are dropped beyond either bound; framesDropped counts them). */
export const MAX_FRAMES_PER_SOCKET = 20_000;
export const MAX_FRAME_BYTES_PER_SOCKET = 32 * 1024 * 1024;

export interface Harness {
  readonly leg: Leg;
  readonly page: Page;
  readonly server: HostServer;
  readonly baseUrl: string;
  renderPanel(pluginId: string, spec?: PanelSpec): Promise<PanelHandle>;
  createDatasource(pluginId: string, spec?: DatasourceSpec): Promise<DatasourceHandle>;
  runQuery(
    dsUid: string,
    queries: Array<Record<string, unknown>>,
    options?: QueryOptions
  ): Promise<QueryHandle>;
  /**
   * Feeds a running query into a panel the way Grafana's query runner does: the newest response per
   * response `key` is kept and the concatenated frames are passed to the panel every `intervalMs`.
   * Returns a function that stops the feed (reset() stops all feeds too, by reloading state).
   */
  connectQueryToPanel(
    query: QueryHandle,
    panel: PanelHandle,
    intervalMs?: number
  ): Promise<() => Promise<void>>;
  testDatasource(dsUid: string): Promise<{ status?: string; message?: string; [k: string]: unknown }>;
  metricFindQuery(
    dsUid: string,
    query: unknown,
    options?: QueryOptions
  ): Promise<Array<{ text: string; value?: unknown }>>;
  runAnnotationQuery(
    dsUid: string,
    annotation: Record<string, unknown>,
    options?: QueryOptions
  ): Promise<{ frames: QueryEmission['frames']; events?: unknown }>;
  /**
   * Runs a query variable the way Grafana's variable runner does (custom variable support: the stored query —
   * any shape, a legacy string too — as the one target of `variables.query()`; else legacy metricFindQuery).
   * `support`: 'custom' | 'legacy'; a response error comes back as `error`.
   */
  runVariableQuery(
    dsUid: string,
    query: unknown,
    options?: QueryOptions
  ): Promise<{ support: string; values: Array<{ text: string; value: string }>; error?: string }>;
  /** Renders the datasource's variable query editor with a stored variable query (as saved, any shape). */
  renderVariableEditor(dsUid: string, query: unknown, options?: { theme?: ThemeMode }): Promise<EditorHandle>;
  renderConfigEditor(dsUid: string, options?: { theme?: ThemeMode }): Promise<EditorHandle>;
  renderQueryEditor(
    dsUid: string,
    query: Record<string, unknown>,
    options?: { theme?: ThemeMode; range?: QueryOptions['range'] }
  ): Promise<EditorHandle>;
  setTemplateVariables(vars: TemplateVariables): Promise<void>;
  /** Changes the user's org role for the proxy's reqRole checks and config.bootData.user in the page. */
  setUserRole(role: OrgRole): Promise<void>;
  setPageTheme(mode: ThemeMode): Promise<void>;
  /**
   * Screenshot of the page, of `target`, or of the smallest box holding every locator of a list (e.g. an editor
   * and its open dropdown menu, which Grafana renders in a portal) to <artifacts>/screenshots/<leg>/<name>.png;
   * returns the path.
   */
  screenshot(name: string, target?: Locator | Locator[]): Promise<string>;
  /** Console errors and uncaught page errors collected so far. */
  consoleErrors(): string[];
  /** Returns and clears the collected console errors. */
  takeConsoleErrors(): string[];
  /** WebSockets the page opened (live connections go browser → pod directly). */
  webSockets(): WebSocketRecord[];
  /**
   * The raw frames of the page's WebSockets, oldest first (bounded per socket, see framesDropped): what a pod
   * really sent, before the plugin parsed, filtered or blanked anything — for assertions on what never
   * reaches the browser. Sent frames include the inspect token: assert on them, never print them.
   * Needs `startHarness({ recordWebSocketFrames: true })`.
   */
  webSocketFrames(filter?: WebSocketFrameFilter): WebSocketFrame[];
  /** Stops all queries and unmounts everything (keeps the page, datasources and collected errors). */
  reset(): Promise<void>;
  close(): Promise<void>;
}

const READY_TIMEOUT_MS = 30_000;

function sanitizeName(name: string): string {
  const clean = name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '');
  if (!clean) throw new Error(`invalid screenshot name ${JSON.stringify(name)}`);
  return clean;
}

export async function startHarness(options: StartHarnessOptions = {}): Promise<Harness> {
  const leg = assertLeg(options.leg ?? process.env.HARNESS_LEG ?? 'grafana-12');
  const theme = options.theme ?? 'dark';
  const server = await startHostServer({
    leg,
    role: options.role ?? 'Admin',
    theme,
    ...(options.featureToggles ? { featureToggles: options.featureToggles } : {}),
    ...(options.pluginsDirs ? { pluginsDirs: options.pluginsDirs } : {}),
    ...(options.port !== undefined ? { port: options.port } : {}),
  });
  const wsEndpoint = options.browserWSEndpoint ?? process.env[BROWSER_WS_ENV];
  let browser: Browser | undefined;
  let context: BrowserContext | undefined;
  try {
    browser = wsEndpoint ? await connectBrowser(wsEndpoint) : await launchBrowser();
    context = await browser.newContext({ viewport: options.viewport ?? { width: 1280, height: 900 } });
    const page = await context.newPage();
    const errors: string[] = [];
    const ignore = options.ignoreConsoleErrors ?? [];
    const record = (text: string) => {
      if (!ignore.some((re) => re.test(text))) errors.push(text);
    };
    page.on('console', (msg) => {
      if (msg.type() === 'error') {
        const loc = msg.location();
        record(`${msg.text()}${loc.url ? ` (${loc.url}:${loc.lineNumber})` : ''}`);
      }
    });
    page.on('pageerror', (err) => record(`uncaught: ${err.message}`));
    const sockets: Array<WebSocketRecord & { ws: PwWebSocket; frames: WebSocketFrame[]; bytes: number }> = [];
    page.on('websocket', (ws) => {
      const rec = {
        ws,
        index: sockets.length,
        url: ws.url(),
        closed: false,
        sent: 0,
        received: 0,
        framesDropped: 0,
        frames: [] as WebSocketFrame[],
        bytes: 0,
      };
      sockets.push(rec);
      const keep = (direction: WebSocketFrame['direction'], payload: string | Buffer) => {
        if (!options.recordWebSocketFrames) return;
        const text = typeof payload === 'string' ? payload : payload.toString('utf8');
        rec.frames.push({ socket: rec.index, url: rec.url, direction, at: Date.now(), payload: text });
        rec.bytes += text.length;
        while (
          rec.frames.length > MAX_FRAMES_PER_SOCKET ||
          (rec.bytes > MAX_FRAME_BYTES_PER_SOCKET && rec.frames.length > 1)
        ) {
          rec.bytes -= rec.frames.shift()!.payload.length;
          rec.framesDropped += 1;
        }
      };
      ws.on('framesent', (f) => {
        rec.sent += 1;
        keep('sent', f.payload);
      });
      ws.on('framereceived', (f) => {
        rec.received += 1;
        keep('received', f.payload);
      });
      ws.on('close', () => (rec.closed = true));
    });

    await page.goto(server.url, { waitUntil: 'load' });
    await page.waitForFunction(() => document.body.dataset.harnessReady === 'true', undefined, {
      timeout: READY_TIMEOUT_MS,
    });

    const screenshotsDir = path.join(
      options.artifactsDir ?? process.env.ARTIFACTS_DIR ?? path.join(REPO_ROOT, 'artifacts'),
      'screenshots',
      leg
    );
    const shoot = async (name: string, target?: Locator | Locator[]) => {
      fs.mkdirSync(screenshotsDir, { recursive: true });
      const file = path.join(screenshotsDir, `${sanitizeName(name)}.png`);
      if (Array.isArray(target)) {
        const boxes = (await Promise.all(target.map((l) => l.boundingBox()))).filter(
          (b): b is NonNullable<typeof b> => b !== null
        );
        if (boxes.length === 0) throw new Error(`screenshot ${name}: none of the locators is visible`);
        const scroll = await page.evaluate(() => ({ x: window.scrollX, y: window.scrollY }));
        const x = Math.min(...boxes.map((b) => b.x));
        const y = Math.min(...boxes.map((b) => b.y));
        const clip = {
          x: x + scroll.x,
          y: y + scroll.y,
          width: Math.max(...boxes.map((b) => b.x + b.width)) - x,
          height: Math.max(...boxes.map((b) => b.y + b.height)) - y,
        };
        await page.screenshot({ path: file, fullPage: true, clip, animations: 'disabled' });
      } else if (target) await target.screenshot({ path: file, animations: 'disabled' });
      else await page.screenshot({ path: file, fullPage: true, animations: 'disabled' });
      return file;
    };

    const harness: Harness = {
      leg,
      page,
      server,
      baseUrl: server.url,

      async renderPanel(pluginId, spec = {}) {
        const info = await page.evaluate(([id, s]) => window.__harness!.renderPanel(id, s), [
          pluginId,
          spec,
        ] as const);
        const locator = page.locator(info.selector);
        await locator.waitFor({ state: 'attached' });
        return {
          key: info.key,
          locator,
          info: () => page.evaluate((k) => window.__harness!.panelInfo(k), info.key),
          update: (change) =>
            page.evaluate(([k, c]) => window.__harness!.updatePanel(k, c), [info.key, change] as const),
          screenshot: (name) => shoot(name, page.locator(`[data-harness-mount="${info.key}"]`)),
          unmount: () => page.evaluate((k) => window.__harness!.unmountPanel(k), info.key),
        };
      },

      async createDatasource(pluginId, spec = {}) {
        const settings = server.registerDatasource(pluginId, spec);
        await page.evaluate((s) => window.__harness!.createDatasource(s), settings);
        return { uid: settings.uid, settings };
      },

      async runQuery(dsUid, queries, queryOptions = {}) {
        const targets = queries.map((q, i) => ({ refId: String.fromCharCode(65 + (i % 26)), ...q }));
        const id = await page.evaluate(([uid, t, o]) => window.__harness!.startQuery(uid, t as never, o), [
          dsUid,
          targets,
          queryOptions,
        ] as const);
        const status = () => page.evaluate((qid) => window.__harness!.queryStatus(qid), id);
        const waitFor = async (predicate: (e: QueryEmission) => boolean, timeoutMs = 10_000) => {
          const deadline = Date.now() + timeoutMs;
          let seen = 0;
          for (;;) {
            const s = await page.evaluate(([qid, since]) => window.__harness!.queryStatus(qid, since), [
              id,
              seen,
            ] as const);
            for (const e of s.emissions) if (predicate(e)) return e;
            seen = s.total ?? seen + s.emissions.length;
            if (s.error) throw new Error(`query ${id} errored: ${s.error}`);
            if (s.completed) throw new Error(`query ${id} completed without a matching emission`);
            if (Date.now() > deadline)
              throw new Error(`query ${id}: no matching emission within ${timeoutMs} ms`);
            await new Promise((r) => setTimeout(r, 50));
          }
        };
        return {
          id,
          status,
          emissions: async () => (await status()).emissions,
          async waitForEmissions(count, timeoutMs = 10_000) {
            const deadline = Date.now() + timeoutMs;
            for (;;) {
              const s = await status();
              if (s.emissions.length >= count) return s.emissions;
              if (s.error) throw new Error(`query ${id} errored: ${s.error}`);
              if (s.completed)
                throw new Error(`query ${id} completed after ${s.emissions.length} < ${count} emissions`);
              if (Date.now() > deadline) {
                throw new Error(
                  `query ${id}: ${s.emissions.length} of ${count} emissions within ${timeoutMs} ms`
                );
              }
              await new Promise((r) => setTimeout(r, 50));
            }
          },
          waitFor,
          unsubscribe: () => page.evaluate((qid) => window.__harness!.stopQuery(qid), id),
        };
      },

      async connectQueryToPanel(query, panel, intervalMs = 150) {
        const timer = await page.evaluate(
          ([qid, key, ms]) => {
            const api = window.__harness!;
            const latest = new Map<string, FrameJSON[]>();
            let since = 0;
            const feeds = ((window as unknown as { __harnessFeeds?: Set<number> }).__harnessFeeds ??=
              new Set<number>());
            const id = window.setInterval(() => {
              const s = api.queryStatus(qid, since);
              since = s.total ?? since + s.emissions.length;
              if (s.emissions.length === 0) return;
              for (const e of s.emissions) if (e.frames.length > 0) latest.set(e.key ?? '', e.frames);
              api.updatePanel(key, { frames: [...latest.values()].flat() });
            }, ms);
            feeds.add(id);
            return id;
          },
          [query.id, panel.key, intervalMs] as const
        );
        return async () => {
          await page.evaluate((id) => {
            window.clearInterval(id);
            (window as unknown as { __harnessFeeds?: Set<number> }).__harnessFeeds?.delete(id);
          }, timer);
        };
      },

      testDatasource: (uid) =>
        page.evaluate((u) => window.__harness!.testDatasource(u), uid) as Promise<{
          status?: string;
          message?: string;
        }>,
      metricFindQuery: (uid, query, o = {}) =>
        page.evaluate(([u, q, opts]) => window.__harness!.metricFindQuery(u, q, opts), [
          uid,
          query,
          o,
        ] as const) as Promise<Array<{ text: string; value?: unknown }>>,
      runAnnotationQuery: (uid, annotation, o = {}) =>
        page.evaluate(([u, a, opts]) => window.__harness!.runAnnotationQuery(u, a, opts), [
          uid,
          annotation,
          o,
        ] as const),

      runVariableQuery: (uid, query, o = {}) =>
        page.evaluate(([u, q, opts]) => window.__harness!.runVariableQuery(u, q, opts), [
          uid,
          query,
          o,
        ] as const),
      async renderVariableEditor(uid, query, o = {}) {
        const key = await page.evaluate(
          ([u, q, t]) => window.__harness!.renderQueryEditor(u, q as never, t, {}, 'variable'),
          [uid, query, o.theme] as const
        );
        const locator = page.locator(`[data-harness-mount="${key}"]`);
        return { key, locator, state: () => page.evaluate((k) => window.__harness!.editorState(k), key) };
      },
      async renderConfigEditor(uid, o = {}) {
        const key = await page.evaluate(([u, t]) => window.__harness!.renderConfigEditor(u, t), [
          uid,
          o.theme,
        ] as const);
        const locator = page.locator(`[data-harness-mount="${key}"]`);
        return { key, locator, state: () => page.evaluate((k) => window.__harness!.editorState(k), key) };
      },
      async renderQueryEditor(uid, query, o = {}) {
        const key = await page.evaluate(
          ([u, q, t, r]) => window.__harness!.renderQueryEditor(u, q as never, t, r ? { range: r } : {}),
          [uid, { refId: 'A', ...query }, o.theme, o.range] as const
        );
        const locator = page.locator(`[data-harness-mount="${key}"]`);
        return { key, locator, state: () => page.evaluate((k) => window.__harness!.editorState(k), key) };
      },

      setTemplateVariables: (vars) => page.evaluate((v) => window.__harness!.setTemplateVariables(v), vars),
      async setUserRole(role) {
        server.role = role;
        await page.evaluate((r) => window.__harness!.setUserRole(r), role);
      },
      setPageTheme: (mode) => page.evaluate((m) => window.__harness!.setPageTheme(m), mode),
      screenshot: shoot,
      consoleErrors: () => [...errors],
      takeConsoleErrors: () => errors.splice(0, errors.length),
      webSockets: () =>
        sockets.map(({ index, url, closed, sent, received, framesDropped }) => ({
          index,
          url,
          closed,
          sent,
          received,
          framesDropped,
        })),
      webSocketFrames: (f = {}) => {
        if (!options.recordWebSocketFrames)
          throw new Error('webSocketFrames() needs startHarness({ recordWebSocketFrames: true })');
        return sockets
          .filter((s) => s.index >= (f.fromSocket ?? 0) && (!f.urlIncludes || s.url.includes(f.urlIncludes)))
          .flatMap((s) => s.frames)
          .filter((fr) => !f.direction || fr.direction === f.direction)
          .sort((a, b) => a.at - b.at || a.socket - b.socket);
      },
      reset: () => page.evaluate(() => window.__harness!.reset()),
      async close() {
        await context?.close().catch(() => undefined);
        if (!wsEndpoint) await browser?.close().catch(() => undefined);
        else await browser?.close().catch(() => undefined);
        await server.close();
      },
    };
    return harness;
  } catch (err) {
    await context?.close().catch(() => undefined);
    await browser?.close().catch(() => undefined);
    await server.close();
    throw err;
  }
}
