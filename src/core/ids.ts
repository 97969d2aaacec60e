/** Sortable ids (ULID) and the rules for ids that clients may choose themselves. */
import { randomBytes } from 'node:crypto';
import { monotonicFactory } from 'ulid';

/** Random numbers in [0, 1) drawn from a pooled crypto buffer: one system call per 1,024 numbers. */
function pooledRandom(): () => number {
  let pool = randomBytes(4096);
  let offset = 0;
  return () => {
    if (offset >= pool.length) {
      pool = randomBytes(4096);
      offset = 0;
    }
    const value = pool.readUInt32LE(offset) / 0x1_0000_0000;
    offset += 4;
    return value;
  };
}

const ulid = monotonicFactory(pooledRandom());

/** A new sortable id with a short type prefix, e.g. `msg_01JB...`. */
export function newId(prefix: string): string {
  return `${prefix}_${ulid()}`;
}

/** Client-chosen ids: letters, digits, `.`, `_`, `-`; 1 to 64 characters; starts with a letter or digit. */
export const CLIENT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** A readable agent id from its name: `beta-01tyei4m` (slug of the name plus 8 random characters). */
export function agentIdFromName(name: string): string {
  const slug = name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40);
  const tail = ulid().slice(-8).toLowerCase();
  return slug ? `${slug}-${tail}` : `agent-${tail}`;
}
