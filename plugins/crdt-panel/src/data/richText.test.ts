import { describe, expect, it } from 'vitest';
import { createDataFrame, FieldType } from '@grafana/data';
import { UPDATES_FIELDS as U } from '@collabblocks/protocol';

import { elementTag, marksSummary, markStyle, parseAttrs, parseRuns } from './richText';
import { searchTree } from './search';
import { model, node } from './testing';
import { updatesFromFrame } from './updates';

describe('rich text read as the document it is', () => {
  it('an element by name first, attributes second', () => {
    expect(elementTag('heading', '{"level":2}')).toBe('<heading level=2>');
    expect(elementTag('image', '{"src":"https://x/a.png","alt":null}')).toBe(
      '<image alt=null src="https://x/a.png">'
    );
    expect(elementTag('paragraph', '')).toBe('<paragraph>');
    expect(elementTag('', '{"level":2}')).toBe('');
    // Malformed attributes read as none, never throw.
    expect(elementTag('listItem', '{not json')).toBe('<listItem>');
    expect(parseAttrs('[1,2]')).toEqual([]);
    expect(parseAttrs('{"o":{"x":1},"n":3}')).toEqual([['n', 3]]);
  });

  it('runs with marks: structure in metadata scope, styles for the marks', () => {
    const runs = parseRuns(
      JSON.stringify([
        { length: 5, marks: ['bold'] },
        { length: 6, marks: ['link', 'italic'] },
        { length: 1, embed: 'image' },
        { length: 'x', marks: 'bold' },
        null,
      ])
    );
    expect(runs).toHaveLength(4);
    expect(marksSummary(runs)).toBe('italic 6 · link 6 · bold 5 · 1 embed (image)');
    expect(markStyle(['bold', 'italic', 'link', 'strike', 'code'])).toEqual({
      fontWeight: 700,
      fontStyle: 'italic',
      textDecoration: 'underline line-through',
      fontFamily: 'monospace',
    });
    expect(parseRuns('oops')).toEqual([]);
  });

  it('the filter finds node names, attributes and marks', () => {
    const m = model([
      node('/prosemirror', 'XmlFragment', { binding: 'prosemirror' }),
      node('/prosemirror/0', 'XmlElement', { nodeName: 'heading', attrs: '{"level":2}' }),
      node('/prosemirror/1', 'XmlElement', { nodeName: 'bulletList' }),
      node('/prosemirror/1/0', 'XmlElement', { nodeName: 'listItem' }),
      node('/prosemirror/0/0', 'XmlText', { runs: JSON.stringify([{ length: 4, marks: ['bold'] }]) }),
    ]);
    expect([...searchTree(m, 'listitem').matches]).toEqual(['/prosemirror/1/0']);
    expect([...searchTree(m, 'heading').matches]).toEqual(['/prosemirror/0']);
    expect([...searchTree(m, 'level').matches]).toEqual(['/prosemirror/0']);
    expect([...searchTree(m, 'bold').matches]).toEqual(['/prosemirror/0/0']);
  });

  it('updates say "formatted 12 chars bold" from the formats column', () => {
    const frame = createDataFrame({
      fields: [
        { name: U.time, type: FieldType.time, values: [1, 2, 3] },
        { name: U.id, type: FieldType.string, values: ['a', 'b', 'c'] },
        { name: U.paths, type: FieldType.string, values: ['["/quill"]', '[]', '[]'] },
        {
          name: U.formats,
          type: FieldType.string,
          values: [JSON.stringify([{ path: '/quill', key: 'bold', length: 12 }]), '', '{bad'],
        },
      ],
    });
    expect(updatesFromFrame(frame).map((u) => u.formatted)).toEqual(['formatted 12 chars bold', '', '']);
  });
});
