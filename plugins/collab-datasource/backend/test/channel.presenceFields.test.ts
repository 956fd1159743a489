// @vitest-environment jsdom
// (channel.ts reads the runner table, which imports @grafana/data: it needs a window.)
/**
 * Live channel paths carry a presence query's field paths: they are part of the channel (the key one
 * upstream pod subscription is shared by), read back validated, and refused with a named reason.
 */
import { describe, expect, it } from 'vitest';

import { type Channel, channelPath, MAX_CHANNEL_PATH, parseChannelPath } from '../src/stream/channel';

const base: Channel = {
  scope: 'metadata',
  kind: 'presence',
  params: { room: 'acme/app', pod: '', gridSize: 20, filter: '', rootPath: '' },
};

function withFields(presenceFields: Record<string, string>): Channel {
  return { ...base, params: { ...base.params, presenceFields } };
}

/** A channel path with raw JSON parameters (what a hand-made subscription could send). */
function rawPath(params: unknown): string {
  return `metadata/presence/${Buffer.from(JSON.stringify(params)).toString('base64url')}`;
}

describe('channel paths: presenceFields', () => {
  it('round-trips, and different field sets are different channels; the same set in any key order is one', () => {
    const a = withFields({ head: 'me.sel.to', anchor: 'me.sel.from' });
    const path = channelPath(a);
    expect(parseChannelPath(path).params.presenceFields).toEqual({
      head: 'me.sel.to',
      anchor: 'me.sel.from',
    });
    expect(channelPath(withFields({ anchor: 'me.sel.from', head: 'me.sel.to' }))).toBe(path);
    expect(channelPath(withFields({ head: 'other.to' }))).not.toBe(path);
    expect(channelPath(base)).not.toBe(path);
    expect(parseChannelPath(channelPath(base)).params.presenceFields).toBeUndefined();
  });

  it('refuses bad paths in a channel with the parameter named', () => {
    expect(() => parseChannelPath(rawPath({ room: 'acme/app', presenceFields: { head: 'a..b' } }))).toThrow(
      /^channel parameter presenceFields\.head: /
    );
    expect(() => parseChannelPath(rawPath({ room: 'acme/app', presenceFields: { x: 'p.x' } }))).toThrow(
      'channel parameter presenceFields.y: x and y go together'
    );
    expect(() => parseChannelPath(rawPath({ room: 'acme/app', presenceFields: 'head' }))).toThrow(
      /^channel parameter presenceFields: /
    );
    // Longest legal paths fit no channel: refused as too long (the query answers it first, see queryData).
    const long = 'a'.repeat(120);
    const huge = withFields({ anchor: long, head: long, name: long, color: long, x: long, y: long });
    expect(channelPath(huge).length).toBeGreaterThan(MAX_CHANNEL_PATH);
    expect(() => parseChannelPath(channelPath(huge))).toThrow('channel path too long');
  });
});
