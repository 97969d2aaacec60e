/** The dashboard's static handler: paths stay inside the folder; a missing build says how to make it. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultUiRoot, mountUi, resolveUiPath } from './ui.js';

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-ui-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('resolveUiPath', () => {
  it('names files inside the folder only', () => {
    expect(resolveUiPath('/srv/ui', '')).toBe('/srv/ui/index.html');
    expect(resolveUiPath('/srv/ui', 'assets/x.js')).toBe('/srv/ui/assets/x.js');
    expect(resolveUiPath('/srv/ui', './assets//x.js')).toBe('/srv/ui/assets/x.js');
    for (const bad of [
      '../etc/passwd',
      'a/../../etc/passwd',
      '..%2f..%2fetc%2fpasswd',
      '%2e%2e/package.json',
      'a%00.js',
      'x%5c..%5cpackage.json',
      '%zz',
      'a/'.repeat(300),
    ]) {
      expect(resolveUiPath('/srv/ui', bad), bad).toBeUndefined();
    }
  });

  it('finds dist/ui of the package, from src/ or dist/src/', () => {
    const root = tempDir();
    writeFileSync(join(root, 'package.json'), '{}');
    mkdirSync(join(root, 'dist', 'src', 'surfaces', 'http'), { recursive: true });
    expect(defaultUiRoot(join(root, 'dist', 'src', 'surfaces', 'http'))).toBe(join(root, 'dist', 'ui'));
    mkdirSync(join(root, 'src', 'surfaces', 'http'), { recursive: true });
    expect(defaultUiRoot(join(root, 'src', 'surfaces', 'http'))).toBe(join(root, 'dist', 'ui'));
  });
});

describe('mountUi', () => {
  it('serves the built files with their types and caching, and 404s the rest', async () => {
    const root = tempDir();
    mkdirSync(join(root, 'assets'));
    writeFileSync(join(root, 'index.html'), '<!doctype html><title>t</title>');
    writeFileSync(join(root, 'assets', 'app-1234.js'), 'console.log(1)');
    const app = Fastify();
    mountUi(app, root);
    const index = await app.inject('/ui/');
    expect(index.statusCode).toBe(200);
    expect(index.headers['content-type']).toMatch(/^text\/html/);
    expect(index.headers['cache-control']).toBe('no-cache');
    expect(index.headers['x-content-type-options']).toBe('nosniff');
    const asset = await app.inject('/ui/assets/app-1234.js');
    expect(asset.headers['content-type']).toMatch(/^text\/javascript/);
    expect(asset.headers['cache-control']).toMatch(/immutable/);
    expect((await app.inject('/ui/assets/none.js')).statusCode).toBe(404);
    expect((await app.inject('/ui/assets')).statusCode).toBe(404);
    expect((await app.inject('/')).headers.location).toBe('/ui/');
    expect((await app.inject('/ui')).headers.location).toBe('/ui/');
    await app.close();
  });

  it('without a build, answers 503 saying to run npm run build', async () => {
    const app = Fastify();
    mountUi(app, join(tempDir(), 'missing'));
    const res = await app.inject('/ui/');
    expect(res.statusCode).toBe(503);
    expect(res.json().error.message).toMatch(/npm run build/);
    await app.close();
  });
});
