/** The contract between a binding page (browser) and the test (Node). */
export interface BindingPageConfig {
  /** Pod WebSocket base, e.g. ws://127.0.0.1:1234 */
  url: string;
  /** `<org>/<room>` */
  room: string;
  token: string;
  name: string;
  color: string;
}

/** Where the editor itself says its caret is (the editor's own model, not the pod's). */
export interface EditorLocation {
  /** Top-level block (ProseMirror: index in the doc; CodeMirror / Quill: 0-based line). */
  block: number;
  blocks: number;
  /** CodeMirror / Quill: 1-based line, characters before the caret on it. */
  line?: number;
  column?: number;
  /** ProseMirror: node names from the top-level block down to the caret's textblock. */
  path?: string[];
  nodeName?: string;
  /** Offset in the caret's textblock (ProseMirror) or document (CodeMirror, Quill). */
  offset: number;
  /** Characters selected. */
  selection: number;
}

export interface BindingApi {
  clientId: number;
  focus(): void;
  /** Caret (or selection to `length` further chars) at character `offset` of top-level block / line `block`. */
  caretAt(block: number, offset: number, length?: number): void;
  location(): EditorLocation;
  /** Editor-specific commands (heading, bold, list…), by name, through the editor's own API. */
  command(name: string, ...args: unknown[]): void;
  text(): string;
}
