/** A part of the PostgreSQL store that is not built yet: every call fails with a clear `unavailable`. */
import { HubError } from '../../core/errors.js';

export function notYet<T extends object>(part: string): T {
  return new Proxy({} as T, {
    get(_target, prop) {
      if (prop === 'then') return undefined;
      return () =>
        Promise.reject(
          new HubError(
            'unavailable',
            `The PostgreSQL store does not support ${part} yet (${String(prop)}); use a SQLite file for now`,
          ),
        );
    },
  });
}
