import { describe, expect, it } from 'vitest';
import { channelServers, channelTurn, permissionRequestId } from './channel-text.js';

describe('channelTurn', () => {
  it('renders the event as Claude Code shows it: source, then meta in order, values escaped', () => {
    const t = channelTurn('switchboard', {
      content: 'deploy <now> & tell me',
      meta: { from: 'alice', message_id: 'msg_1', subject: 'say "hi" <b> & co' },
    });
    expect(t.text).toBe(
      '<channel source="switchboard" from="alice" message_id="msg_1" subject="say &quot;hi&quot; &lt;b&gt; &amp; co">\n' +
        'deploy <now> & tell me\n</channel>',
    );
    expect(t.meta).toEqual({ from: 'alice', message_id: 'msg_1', subject: 'say "hi" <b> & co' });
  });

  it('drops meta keys that are not identifiers, a spoofed source, and values that are not scalars', () => {
    const t = channelTurn('chan', {
      content: 'x',
      meta: { 'bad-key': '1', 'a b': '2', source: 'spoof', n: 3, ok: true, obj: { a: 1 }, _k9: 'v' },
    });
    expect(t.meta).toEqual({ n: '3', ok: 'true', _k9: 'v' });
    expect(t.text).toBe('<channel source="chan" n="3" ok="true" _k9="v">\nx\n</channel>');
    expect(channelTurn('chan', { content: 'y' }).text).toBe('<channel source="chan">\ny\n</channel>');
  });
});

describe('channelServers', () => {
  it('takes server:<name> entries of the config and warns about the rest', () => {
    const r = channelServers(
      '--channels',
      ['server:a', 'server:nope', 'plugin:telegram@claude-plugins-official', 'a', 'server:a'],
      ['a', 'b'],
    );
    expect(r.servers).toEqual(['a']);
    expect(r.warnings).toEqual([
      '--channels ignored (server:nope): no MCP server named nope in --mcp-config',
      '--channels ignored (plugin:telegram@claude-plugins-official): plugins are not loaded by the scripted agent',
      '--channels ignored (a): entries are server:<name> or plugin:<name>@<marketplace>',
    ]);
  });
});

describe('permissionRequestId', () => {
  it('is five lower-case letters without l', () => {
    for (let i = 0; i < 200; i++) expect(permissionRequestId()).toMatch(/^[a-km-z]{5}$/);
    expect(permissionRequestId(() => 0)).toBe('aaaaa');
    expect(permissionRequestId(() => 11)).toBe('mmmmm');
  });
});
