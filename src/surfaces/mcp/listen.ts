/**
 * 2026-07-28 `subscriptions/listen`: which resources a listen request asks to watch, refused in-band
 * when the caller may not read one of them (an inbox is its agent's or the admin's; a context key
 * follows its scope's read rule).
 */
import type { Caller } from '../../core/caller.js';
import type { Services } from '../../domain/index.js';
import { authorizeResource, type ResourceTarget } from './resource-uris.js';
import { failureOf } from './results.js';

export interface ListenResources {
  resources: Array<{ uri: string; target: ResourceTarget }>;
  refusal?: Response;
}

function requestedUris(body: unknown): { id: unknown; uris: string[] } | undefined {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const { method, id, params } = body as {
    method?: unknown;
    id?: unknown;
    params?: { notifications?: { resourceSubscriptions?: unknown } };
  };
  if (method !== 'subscriptions/listen') return undefined;
  const uris = params?.notifications?.resourceSubscriptions;
  return { id, uris: Array.isArray(uris) ? uris.filter((u): u is string => typeof u === 'string') : [] };
}

export async function listenResources(
  services: Services,
  body: unknown,
  caller: Caller,
): Promise<ListenResources> {
  const listen = requestedUris(body);
  if (!listen) return { resources: [] };
  const resources: ListenResources['resources'] = [];
  for (const uri of new Set(listen.uris)) {
    try {
      resources.push({ uri, target: await authorizeResource(services, caller, uri) });
    } catch (err) {
      const f = failureOf(err);
      const refusal = Response.json({
        jsonrpc: '2.0',
        id: listen.id ?? null,
        error: { code: -32602, message: `${f.code}: ${f.message}`, data: { code: f.code, uri } },
      });
      return { resources: [], refusal };
    }
  }
  return { resources };
}
