import { describe, expect, it } from 'vitest';
import { REDACTED, redactText, redactUrl } from './redact.js';

const token = `sb_${'a1B2-c_'.repeat(6)}x`;

describe('redactUrl', () => {
  it('drops the query string, the fragment and user:password, keeps the rest', () => {
    expect(redactUrl(`/api/v1/events?token=${token}&since=3`)).toBe(`/api/v1/events?${REDACTED}`);
    expect(redactUrl('https://u:p@mcp.example.com:8443/mcp?api_key=k#frag')).toBe(
      `https://${REDACTED}@mcp.example.com:8443/mcp?${REDACTED}`,
    );
    expect(redactUrl('http://user@host/x')).toBe(`http://${REDACTED}@host/x`);
    expect(redactUrl('http://host/a@b')).toBe('http://host/a@b');
    expect(redactUrl('/health')).toBe('/health');
    expect(redactUrl('ws://127.0.0.1:7700/ws/a')).toBe('ws://127.0.0.1:7700/ws/a');
  });

  it('masks a token in the path too', () => {
    expect(redactUrl(`/x/${token}`)).toBe(`/x/sb_${REDACTED}`);
  });
});

describe('redactText', () => {
  it('redacts URLs and tokens inside prose and JSON, leaves ordinary question marks alone', () => {
    expect(redactText(`GET /ws/a?token=${token} refused`)).toBe(`GET /ws/a?${REDACTED} refused`);
    expect(redactText(`{"url":"http://h/p?k=${token}","msg":"x"}`)).toBe(
      `{"url":"http://h/p?${REDACTED}","msg":"x"}`,
    );
    expect(redactText(`bearer ${token}.`)).toBe(`bearer sb_${REDACTED}.`);
    expect(redactText('Is this safe? yes, really?')).toBe('Is this safe? yes, really?');
    expect(redactText('events?token=abc')).toBe(`events?${REDACTED}`);
    const plain = '{"level":30,"msg":"request","url":"/api/v1/agents"}';
    expect(redactText(plain)).toBe(plain);
  });

  it('takes linear time on long hostile lines', () => {
    const hostile = [
      '/'.repeat(200_000),
      'a://'.repeat(50_000),
      `${'sb_'.repeat(60_000)}?`,
      '?='.repeat(100_000),
    ];
    for (const line of hostile) {
      const started = performance.now();
      redactText(line);
      expect(performance.now() - started).toBeLessThan(500);
    }
  });
});
