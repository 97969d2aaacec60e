/**
 * Resource subscriptions through the gateway: one downstream subscription per exposed URI, held while
 * any of our subscribers holds it (reference-counted) and dropped with the last; the server's
 * updates arrive as gateway.resource_updated events (registry.ts publishes them).
 */
import { resolveUri } from './routing.js';
import type { GatewayState } from './state.js';

/** Holds a downstream subscription to an exposed resource URI until the returned release is called. */
export function holdResource(st: GatewayState, uri: string): () => void {
  const target = resolveUri(st, uri);
  if (!target) return () => {};
  const count = st.resourceHolds.get(uri) ?? 0;
  st.resourceHolds.set(uri, count + 1);
  if (count === 0) void st.entries.get(target.server)?.conn.subscribe(target.original);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const left = (st.resourceHolds.get(uri) ?? 1) - 1;
    if (left > 0) {
      st.resourceHolds.set(uri, left);
      return;
    }
    st.resourceHolds.delete(uri);
    void st.entries.get(target.server)?.conn.unsubscribe(target.original);
  };
}
