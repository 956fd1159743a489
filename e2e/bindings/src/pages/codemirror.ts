/** CodeMirror 6 + y-codemirror.next (yCollab) as its README sets it up. */
import { EditorState, EditorSelection } from '@codemirror/state';
import { EditorView } from '@codemirror/view';
import { yCollab } from 'y-codemirror.next';
import { connect, editorElement, publish } from './common.js';

const { doc, provider } = connect();
const ytext = doc.getText('codemirror');

function start(): void {
  const view = new EditorView({
    parent: editorElement(),
    state: EditorState.create({ doc: ytext.toString(), extensions: [yCollab(ytext, provider.awareness)] }),
  });
  publish(provider, {
    clientId: doc.clientID,
    focus: () => view.focus(),
    caretAt(block, offset, length = 0) {
      const line = view.state.doc.line(block + 1);
      const from = Math.min(line.from + offset, line.to);
      view.focus();
      view.dispatch({ selection: EditorSelection.single(from, from + length) });
    },
    location() {
      const sel = view.state.selection.main;
      const line = view.state.doc.lineAt(sel.head);
      return {
        block: line.number - 1,
        blocks: view.state.doc.lines,
        line: line.number,
        column: sel.head - line.from,
        offset: sel.head,
        selection: Math.abs(sel.head - sel.anchor),
      };
    },
    command(name, ...args) {
      if (name === 'insert') {
        const at = view.state.selection.main.head;
        view.dispatch({
          changes: { from: at, insert: String(args[0]) },
          selection: { anchor: at + String(args[0]).length },
        });
      } else throw new Error(`unknown command ${name}`);
    },
    text: () => view.state.doc.toString(),
  });
}
// The editor starts from the synced text, as apps do.
if (provider.synced) start();
else provider.once('sync', start);
