/** The wire shape of an agent, on every surface: the zod schema and its type. */
import { z } from 'zod';

export const agentStatus = z.enum(['active', 'busy', 'idle', 'offline', 'retired']);
export type AgentStatus = z.infer<typeof agentStatus>;

export const agentView = z.object({
  agent_id: z.string(),
  session_id: z.string().nullable(),
  name: z.string(),
  status: agentStatus,
  capabilities: z.array(z.string()),
  role: z.string().nullable(),
  description: z.string().nullable(),
  metadata: z.record(z.string(), z.unknown()),
  project: z.string(),
  last_heartbeat: z.string(),
  created_at: z.string(),
  retired_at: z.string().nullable(),
});
export type AgentView = z.infer<typeof agentView>;

/** An agent in a listing: no metadata, the description cut to its first 200 characters (get_agent has all). */
export const agentSummary = agentView.omit({ metadata: true });
export type AgentSummary = z.infer<typeof agentSummary>;
