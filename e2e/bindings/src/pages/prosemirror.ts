/** ProseMirror + y-prosemirror (ySyncPlugin, yCursorPlugin) as their README sets them up. */
import { EditorState, TextSelection } from 'prosemirror-state';
import { EditorView } from 'prosemirror-view';
import { Schema } from 'prosemirror-model';
import { schema as basic } from 'prosemirror-schema-basic';
import { addListNodes, wrapInList } from 'prosemirror-schema-list';
import { baseKeymap, setBlockType, toggleMark } from 'prosemirror-commands';
import { keymap } from 'prosemirror-keymap';
import { ySyncPlugin, yCursorPlugin } from 'y-prosemirror';
import { connect, editorElement, publish } from './common.js';

const schema = new Schema({
  nodes: addListNodes(basic.spec.nodes, 'paragraph block*', 'block'),
  marks: basic.spec.marks,
});

const { doc, provider } = connect();
const type = doc.getXmlFragment('prosemirror');
const view = new EditorView(editorElement(), {
  state: EditorState.create({
    schema,
    plugins: [ySyncPlugin(type), yCursorPlugin(provider.awareness), keymap(baseKeymap)],
  }),
});

/** Position of character `offset` in the first textblock of top-level block `block`. */
function posAt(block: number, offset: number): number {
  let pos = 0;
  for (let i = 0; i < block; i++) pos += view.state.doc.child(i).nodeSize;
  let node = view.state.doc.child(block);
  pos += 1;
  while (!node.isTextblock && node.firstChild) {
    node = node.firstChild;
    pos += 1;
  }
  return pos + Math.min(offset, node.content.size);
}

publish(provider, {
  clientId: doc.clientID,
  focus: () => view.focus(),
  caretAt(block, offset, length = 0) {
    const from = posAt(block, offset);
    view.dispatch(view.state.tr.setSelection(TextSelection.create(view.state.doc, from, from + length)));
    view.focus();
  },
  location() {
    const { $head, anchor, head } = view.state.selection;
    const path: string[] = [];
    for (let d = 1; d <= $head.depth; d++) path.push($head.node(d).type.name);
    return {
      block: $head.index(0),
      blocks: view.state.doc.childCount,
      path,
      nodeName: $head.parent.type.name,
      offset: $head.parentOffset,
      selection: Math.abs(head - anchor),
    };
  },
  command(name, ...args) {
    const s = view.state;
    if (name === 'heading')
      setBlockType(schema.nodes.heading!, { level: Number(args[0] ?? 1) })(s, view.dispatch);
    else if (name === 'bold') toggleMark(schema.marks.strong!)(s, view.dispatch);
    else if (name === 'italic') toggleMark(schema.marks.em!)(s, view.dispatch);
    else if (name === 'link') toggleMark(schema.marks.link!, { href: String(args[0]) })(s, view.dispatch);
    else if (name === 'bulletList') wrapInList(schema.nodes.bullet_list!)(s, view.dispatch);
    else throw new Error(`unknown command ${name}`);
  },
  text: () => view.state.doc.textContent,
});
