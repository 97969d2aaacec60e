/**
 * Reading a downstream server's catalog: its prompts, resources and resource templates (only what its
 * capabilities offer), every page of each list up to a bound, so a misbehaving server cannot loop us
 * forever.
 */
import type { Client, Prompt, Resource, ResourceTemplateType } from '@modelcontextprotocol/client';

/** Pages of a list read at most, per list. */
const MAX_PAGES = 50;

/** Pages of a paginated list, up to a bound. */
async function allPages<T>(
  page: (cursor: string | undefined) => Promise<{ items: T[]; nextCursor?: string | undefined }>,
): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < MAX_PAGES; i++) {
    const { items, nextCursor } = await page(cursor);
    out.push(...items);
    if (!nextCursor) break;
    cursor = nextCursor;
  }
  return out;
}

export interface DownstreamCatalog {
  prompts: Prompt[];
  resources: Resource[];
  resourceTemplates: ResourceTemplateType[];
  /** Whether the server accepts resource subscriptions. */
  canSubscribe: boolean;
}

/** The server's prompts, resources and templates, each list asked with `timeoutMs`. */
export async function listCatalog(client: Client, timeoutMs: number): Promise<DownstreamCatalog> {
  const caps = client.getServerCapabilities() ?? {};
  const opts = { timeout: timeoutMs, cacheMode: 'bypass' as const };
  const prompts = caps.prompts
    ? await allPages(async (cursor) => {
        const r = await client.listPrompts(cursor ? { cursor } : undefined, opts);
        return { items: r.prompts, nextCursor: r.nextCursor };
      })
    : [];
  const resources = caps.resources
    ? await allPages(async (cursor) => {
        const r = await client.listResources(cursor ? { cursor } : undefined, opts);
        return { items: r.resources, nextCursor: r.nextCursor };
      })
    : [];
  const resourceTemplates = caps.resources
    ? await allPages(async (cursor) => {
        const r = await client.listResourceTemplates(cursor ? { cursor } : undefined, opts);
        return { items: r.resourceTemplates, nextCursor: r.nextCursor };
      })
    : [];
  return { prompts, resources, resourceTemplates, canSubscribe: caps.resources?.subscribe === true };
}
