/**
 * Starts a real editor binding in a headless Chromium page against a pod and returns handles to
 * drive it (keyboard, the editor's own selection and commands) and to read where the editor itself
 * says the caret is. Reusable by any suite (pod-level assertions here, panel screenshots later).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { BindingApi, BindingPageConfig, EditorLocation } from './api.js';

export type { BindingPageConfig, EditorLocation } from './api.js';

export const BINDING_KINDS = ['prosemirror', 'codemirror', 'quill'] as const;
export type BindingKind = (typeof BINDING_KINDS)[number];

/** Root type each page binds (as the bindings' READMEs name them). */
export const BINDING_ROOTS: Record<BindingKind, string> = {
  prosemirror: 'prosemirror',
  codemirror: 'codemirror',
  quill: 'quill',
};

const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

/** The page bundle of `kind` (built with esbuild when missing or older than the page sources). */
export function bindingBundle(kind: BindingKind): string {
  const out = path.join(ROOT, 'dist', `${kind}.js`);
  const srcDir = path.join(ROOT, 'src');
  const newest = Math.max(
    ...fs
      .readdirSync(path.join(srcDir, 'pages'))
      .map((f) => fs.statSync(path.join(srcDir, 'pages', f)).mtimeMs),
    fs.statSync(path.join(srcDir, 'api.ts')).mtimeMs
  );
  if (!fs.existsSync(out) || fs.statSync(out).mtimeMs < newest)
    execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'build.mjs')], { stdio: 'inherit' });
  return fs.readFileSync(out, 'utf8');
}

export interface BindingPage {
  kind: BindingKind;
  page: Page;
  /** The Yjs client id (= awareness client id) of the page's document. */
  clientId: number;
  /** Types through the keyboard into the focused editor. */
  type(text: string): Promise<void>;
  press(key: string): Promise<void>;
  /** Caret (or `length` chars selected) at `offset` in top-level block / line `block`, via the editor's API. */
  caretAt(block: number, offset: number, length?: number): Promise<void>;
  command(name: string, ...args: unknown[]): Promise<void>;
  /** Where the editor itself says the caret is. */
  location(): Promise<EditorLocation>;
  text(): Promise<string>;
  /** Browser console errors and page errors seen so far. */
  errors: string[];
  close(): Promise<void>;
}

export interface StartBindingOptions extends BindingPageConfig {
  kind: BindingKind;
  /** Ready within this (default 15 s). */
  timeoutMs?: number;
}

export async function startBindingPage(browser: Browser, opts: StartBindingOptions): Promise<BindingPage> {
  const context: BrowserContext = await browser.newContext({ viewport: { width: 900, height: 600 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  const cfg: BindingPageConfig = {
    url: opts.url,
    room: opts.room,
    token: opts.token,
    name: opts.name,
    color: opts.color,
  };
  await page.setContent(
    '<!doctype html><html><body><div id="editor" style="min-height:300px"></div></body></html>'
  );
  await page.evaluate((c) => {
    (window as unknown as { __bindingConfig: BindingPageConfig }).__bindingConfig = c;
  }, cfg);
  await page.addScriptTag({ content: bindingBundle(opts.kind) });
  await page.waitForFunction(
    () => (window as unknown as { __binding?: unknown }).__binding !== undefined,
    undefined,
    {
      timeout: opts.timeoutMs ?? 15_000,
    }
  );
  await page.bringToFront();
  type W = { __binding: BindingApi };
  const clientId = await page.evaluate(() => (window as unknown as W).__binding.clientId);
  const focus = (): Promise<void> => page.evaluate(() => (window as unknown as W).__binding.focus());
  return {
    kind: opts.kind,
    page,
    clientId,
    errors,
    async type(text) {
      await focus();
      await page.keyboard.type(text, { delay: 5 });
    },
    async press(key) {
      await page.keyboard.press(key);
    },
    async caretAt(block, offset, length = 0) {
      await page.evaluate(([b, o, l]) => (window as unknown as W).__binding.caretAt(b, o, l), [
        block,
        offset,
        length,
      ] as const);
    },
    async command(name, ...args) {
      await page.evaluate(([n, a]) => (window as unknown as W).__binding.command(n, ...a), [
        name,
        args,
      ] as const);
    },
    location: () => page.evaluate(() => (window as unknown as W).__binding.location()),
    text: () => page.evaluate(() => (window as unknown as W).__binding.text()),
    async close() {
      await context.close();
    },
  };
}
