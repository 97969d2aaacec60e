/** The wire shape of a vote, on every surface and in vote events: the zod schema and its type. */
import { z } from 'zod';

export const voteStatus = z.enum(['open', 'decided', 'expired']);

export const voteView = z.object({
  vote_id: z.string(),
  proposal: z.string(),
  options: z.array(z.string()),
  rule: z.enum(['majority', 'unanimous', 'quorum']),
  quorum: z.number().int().nullable(),
  participants: z.array(z.string()),
  created_by: z.string(),
  created_at: z.string(),
  deadline: z.string(),
  status: voteStatus,
  result: z.string().nullable().describe('The winning option; null while open or when no option won'),
  reason: z.string().nullable().describe('Why the vote closed as it did'),
  closed_at: z.string().nullable(),
  tally: z.record(z.string(), z.number().int()),
  votes: z.array(
    z.object({
      agent_id: z.string(),
      option: z.string(),
      comment: z.string().nullable(),
      cast_at: z.string(),
    }),
  ),
  missing: z.array(z.string()).describe('Participants who have not voted'),
  thread_id: z.string().nullable().describe('The thread it came out of, if named'),
});
export type VoteView = z.infer<typeof voteView>;
