/** Agent tokens: 256 random bits, shown once, stored only as a SHA-256 hash. */
import { hash, randomBytes, timingSafeEqual } from 'node:crypto';

export const TOKEN_PREFIX = 'sb_';

export const newToken = (): string => TOKEN_PREFIX + randomBytes(32).toString('base64url');

/** A token's SHA-256 (what is stored and looked up), as hex. */
export const hashToken = (token: string): string => hash('sha256', token, 'hex');

/** A token's SHA-256 as bytes: hashToken is its hex. */
export const tokenDigest = (token: string): Buffer => hash('sha256', token, 'buffer');

/** Constant-time comparison of two secrets. */
export function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(tokenDigest(a), tokenDigest(b));
}
