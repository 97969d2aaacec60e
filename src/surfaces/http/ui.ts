/**
 * The dashboard's static files at `/ui/` (built by Vite from `ui/` into `dist/ui/`); `/` and `/ui`
 * redirect there. A request path is decoded, normalised and resolved inside the folder: nothing
 * outside it can be named. The page authenticates with a bearer header, never a cookie, so serving it
 * needs no token; the Host and Origin checks of the server apply as to every route.
 */
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { HubError } from '../../core/errors.js';
import { sendError } from './reply.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.woff2': 'font/woff2',
};

/** The page may load only its own files and talk only to its own hub. */
const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

/** `dist/ui` of the package this file belongs to (run from `src/` by tests or from `dist/src/`). */
export function defaultUiRoot(from = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) return join(from, 'ui');
    dir = up;
  }
  return join(dir, 'dist', 'ui');
}

/**
 * The file a request path names inside root, or undefined when it names none: `..` segments, NUL
 * bytes, backslashes and bad percent-encoding are refused before the path is resolved, and the result
 * must still lie inside root.
 */
export function resolveUiPath(root: string, requestPath: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(requestPath);
  } catch {
    return undefined;
  }
  if (decoded.length > 512 || /[\0\\]/.test(decoded)) return undefined;
  const segments = decoded.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.some((s) => s === '..')) return undefined;
  const base = resolve(root);
  const full = resolve(base, ...(segments.length ? segments : ['index.html']));
  if (full !== base && !full.startsWith(base + sep)) return undefined;
  return full;
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

export function mountUi(app: FastifyInstance, root = defaultUiRoot()): void {
  app.get('/', async (_req, reply) => reply.redirect('/ui/', 302));
  app.get('/ui', async (_req, reply) => reply.redirect('/ui/', 302));
  app.get('/ui/*', async (req, reply) => {
    // The raw path, decoded once here (route params would be decoded already).
    const wildcard = req.url.split('?')[0].slice('/ui/'.length);
    const file = resolveUiPath(root, wildcard);
    if (!file) return sendError(reply, new HubError('not_found', `No dashboard file /ui/${wildcard}`));
    if (!isFile(file)) {
      if (!isFile(join(root, 'index.html'))) return missingBuild(reply, root);
      return sendError(reply, new HubError('not_found', `No dashboard file /ui/${wildcard}`));
    }
    const type = TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
    // Vite names built assets by their content hash: they may be cached for good; index.html never.
    const immutable = file.startsWith(resolve(root, 'assets') + sep);
    reply
      .headers(SECURITY_HEADERS)
      .header('content-type', type)
      .header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
    return reply.send(await readFile(file));
  });
}

function missingBuild(reply: FastifyReply, root: string): FastifyReply {
  return sendError(
    reply,
    new HubError(
      'unavailable',
      `The dashboard is not built (no ${join(root, 'index.html')}); run npm run build in the switchboard package`,
    ),
  );
}
