import { describe, expect, it } from 'vitest';
import { anonymousDirectory, type DirectoryView, listingProject, seesProject } from './directory.js';

const all: DirectoryView = { kind: 'all' };
const alpha: DirectoryView = { kind: 'project', project: 'alpha' };
const closed: DirectoryView = { kind: 'closed' };

describe('anonymousDirectory', () => {
  it('follows the bind address when unset: open on loopback, closed elsewhere', () => {
    for (const host of ['127.0.0.1', 'localhost', '::1', '127.0.0.2'])
      expect(anonymousDirectory({ host, auth: {} })).toBe(true);
    for (const host of ['0.0.0.0', '::', '192.168.1.4', 'hub.example.com'])
      expect(anonymousDirectory({ host, auth: {} })).toBe(false);
  });

  it('an explicit setting wins either way', () => {
    expect(anonymousDirectory({ host: '127.0.0.1', auth: { anonymousDirectory: false } })).toBe(false);
    expect(anonymousDirectory({ host: '0.0.0.0', auth: { anonymousDirectory: true } })).toBe(true);
  });
});

describe('listingProject', () => {
  it('every project: the one asked for, or all', () => {
    expect(listingProject(all, undefined)).toBeUndefined();
    expect(listingProject(all, 'beta')).toBe('beta');
  });

  it('one project: that one, asked for or not; another is forbidden, naming the rule', () => {
    expect(listingProject(alpha, undefined)).toBe('alpha');
    expect(listingProject(alpha, 'alpha')).toBe('alpha');
    expect(() => listingProject(alpha, 'beta')).toThrow(
      expect.objectContaining({
        code: 'forbidden',
        message: expect.stringContaining('agents see their own project (alpha) only'),
      }),
    );
  });

  it('a closed directory is a 401 naming the setting', () => {
    expect(() => listingProject(closed, undefined)).toThrow(
      expect.objectContaining({
        code: 'unauthorized',
        message: expect.stringContaining(
          'this hub requires a token for its agent directory (auth.anonymousDirectory)',
        ),
      }),
    );
  });
});

describe('seesProject', () => {
  it('every project, or only its own', () => {
    expect(seesProject(all, 'beta')).toBe(true);
    expect(seesProject(alpha, 'alpha')).toBe(true);
    expect(seesProject(alpha, 'beta')).toBe(false);
    expect(() => seesProject(closed, 'alpha')).toThrow(expect.objectContaining({ code: 'unauthorized' }));
  });
});
