/**
 * graphology's algorithm packages are CommonJS (`module.exports = fn`) with typings that say
 * `export default`; under NodeNext the default import is the function at run time but typed as the
 * module. This picks the function either way.
 */
export function cjsDefault<T>(m: { default: T }): T {
  const d = (m as { default?: T }).default;
  return d === undefined ? (m as unknown as T) : d;
}
