/** The hub.pid format: the pid on the first line, then key=value lines; garbled files name nobody. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatPidFile, parsePidFile, readPidFile, removePidFile, writePidFile } from './pid-file.js';

const dir = mkdtempSync(join(tmpdir(), 'switchboard-pidfile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const holder = {
  pid: 4242,
  url: 'http://127.0.0.1:7700',
  startedAt: '2026-12-06T10:00:00.000Z',
  home: '/home/me/.switchboard',
  db: '/home/me/.switchboard/switchboard.db',
};

describe('hub.pid', () => {
  it('starts with the pid alone on its line and reads back what it wrote', () => {
    const text = formatPidFile(holder);
    expect(text.split('\n')[0]).toBe('4242');
    expect(text).toContain('url=http://127.0.0.1:7700\n');
    expect(parsePidFile(text)).toEqual(holder);
    expect(parsePidFile('4242\n')).toEqual({ pid: 4242 });
  });

  it('names nobody when the first line is not a pid', () => {
    for (const text of ['', '\n', 'abc\nurl=x', '-3\n', '0\n', '12.5\n'])
      expect(parsePidFile(text)).toBeUndefined();
    expect(readPidFile(join(dir, 'missing.pid'))).toBeUndefined();
  });

  it('ignores unknown keys and lines without a value', () => {
    expect(parsePidFile('7\nflavour=mint\nurl=\nnot a pair\nurl=http://h:1\n')).toEqual({
      pid: 7,
      url: 'http://h:1',
    });
  });

  it('is removed only while it still names the same hub', () => {
    const file = join(dir, 'hub.pid');
    writePidFile(file, holder);
    expect(readPidFile(file)).toEqual(holder);
    removePidFile(file, { ...holder, startedAt: '2026-12-06T11:00:00.000Z' });
    expect(readFileSync(file, 'utf8')).toBe(formatPidFile(holder));
    removePidFile(file, holder);
    expect(readPidFile(file)).toBeUndefined();
    writeFileSync(file, 'garbage');
    removePidFile(file, holder);
    expect(readPidFile(file)).toBeUndefined();
  });
});
