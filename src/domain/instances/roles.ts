/** Role presets: prompt files `roles/<name>.md` shipped with the package, and custom ones in `<home>/roles/`. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../agents/package-root.js';
import { HubError } from '../../core/errors.js';

export const ROLE_NAME = /^[a-z][a-z0-9_-]{0,63}$/;

const dirs = (home: string) => [join(home, 'roles'), join(packageRoot(), 'roles')];

/** The role's prompt; a custom role in the data directory wins over a shipped one of the same name. */
export function rolePrompt(home: string, role: string): string {
  if (!ROLE_NAME.test(role)) {
    throw new HubError(
      'invalid_input',
      `role: "${role}" is not a role name (lower-case letters, digits, _ or -)`,
    );
  }
  for (const dir of dirs(home)) {
    const file = join(dir, `${role}.md`);
    if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  }
  throw new HubError(
    'invalid_input',
    `role: no role "${role}"; known roles: ${listRoles(home).join(', ')} (add your own as ${join(home, 'roles', `${role}.md`)})`,
  );
}

export function listRoles(home: string): string[] {
  const names = new Set<string>();
  for (const dir of dirs(home)) {
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir)) if (f.endsWith('.md')) names.add(f.slice(0, -3));
  }
  return [...names].sort();
}

/** Every role with where it comes from and its prompt's first line. */
export function describeRoles(
  home: string,
): Array<{ name: string; source: 'shipped' | 'custom'; summary: string }> {
  return listRoles(home).map((name) => {
    const custom = existsSync(join(home, 'roles', `${name}.md`));
    const text = rolePrompt(home, name);
    const first = text.split('\n').find((l) => l.trim()) ?? '';
    return {
      name,
      source: custom ? 'custom' : 'shipped',
      summary: first.replace(/^#+\s*/, '').slice(0, 300),
    };
  });
}
