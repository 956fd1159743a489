/** Quill 2 + quill-cursors + y-quill (QuillBinding) as its README sets them up. */
import Quill from 'quill';
import QuillCursors from 'quill-cursors';
import { QuillBinding } from 'y-quill';
import { connect, editorElement, publish } from './common.js';

Quill.register('modules/cursors', QuillCursors);
const { doc, provider } = connect();
const ytext = doc.getText('quill');
const quill = new Quill(editorElement(), {
  modules: { cursors: true, toolbar: false, history: { userOnly: true } },
});
new QuillBinding(ytext, quill, provider.awareness);

function lineStart(block: number): number {
  const lines = quill.getLines();
  const line = lines[Math.min(block, lines.length - 1)];
  return line ? quill.getIndex(line) : 0;
}

publish(provider, {
  clientId: doc.clientID,
  focus: () => quill.focus(),
  caretAt(block, offset, length = 0) {
    quill.focus();
    quill.setSelection(lineStart(block) + offset, length, 'user');
  },
  location() {
    const sel = quill.getSelection() ?? { index: 0, length: 0 };
    // Quill selections have no direction; y-quill publishes the selection's end as the awareness `head`.
    const head = sel.index + sel.length;
    const before = quill.getText(0, head);
    const line = before.split('\n').length;
    const lastNl = before.lastIndexOf('\n');
    return {
      block: line - 1,
      blocks: quill.getLines().length,
      line,
      column: head - (lastNl + 1),
      offset: head,
      selection: sel.length,
    };
  },
  command(name, ...args) {
    const sel = quill.getSelection() ?? { index: 0, length: 0 };
    if (name === 'bold') quill.formatText(sel.index, sel.length, 'bold', true, 'user');
    else if (name === 'italic') quill.formatText(sel.index, sel.length, 'italic', true, 'user');
    else if (name === 'link') quill.formatText(sel.index, sel.length, 'link', String(args[0]), 'user');
    else if (name === 'header') quill.formatLine(sel.index, 0, 'header', Number(args[0] ?? 1), 'user');
    else if (name === 'image') quill.insertEmbed(sel.index, 'image', String(args[0]), 'user');
    else throw new Error(`unknown command ${name}`);
  },
  text: () => quill.getText(),
});
