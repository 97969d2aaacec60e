/** Agent ids never read as an address, in any letter case; ordinary ids (even ones starting "all") pass. */
import { describe, expect, it } from 'vitest';
import { agentIdFromName } from '../../core/ids.js';
import { agentIdProblem } from './agent-ids.js';

describe('agent id rules', () => {
  it('refuses ALL in any case and the address prefixes, saying why', () => {
    for (const id of ['ALL', 'all', 'All', 'alL'])
      expect(agentIdProblem(id)).toContain('reads as an address');
    for (const id of ['capability:x', 'CAPABILITY:x', 'topic:x', 'Topic:news']) {
      expect(agentIdProblem(id)).toMatch(/reads as an address: to "(capability|topic):<name>"/);
    }
  });

  it('accepts ordinary ids and refuses malformed ones with the pattern', () => {
    for (const id of ['alpha', 'all-hands', 'allison', 'x.y_z-1', 'a'.repeat(64)])
      expect(agentIdProblem(id)).toBeUndefined();
    for (const id of ['', '-x', 'a b', 'a'.repeat(65), 'x:y'])
      expect(agentIdProblem(id)).toContain('1-64 characters');
  });

  it('never derives a refused id from a name', () => {
    for (const name of ['ALL', 'all', 'capability:x', 'topic:y', '', '!!!']) {
      expect(agentIdProblem(agentIdFromName(name)), name).toBeUndefined();
    }
  });
});
