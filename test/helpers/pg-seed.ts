/**
 * Seeding many messages into a PostgreSQL store at once, for tests that need 100,000 of them: the
 * store's own group-commit statement (src/store/postgres/send-batch.ts: message, inbox heads,
 * deliveries, thread participants) over chunks far larger than a hub ever groups. Sending that many
 * one by one through a cluster store takes minutes; the hub never does this, only test set-up.
 */
import type { PostgresStore } from '../../src/store/postgres/index.js';
import { writeSendBatch } from '../../src/store/postgres/send-batch.js';
import type { NewMessage } from '../../src/store/types.js';

const CHUNK = 5000;

export async function seedPgMessages(store: PostgresStore, messages: NewMessage[]): Promise<void> {
  for (let i = 0; i < messages.length; i += CHUNK)
    await writeSendBatch(store.db, messages.slice(i, i + CHUNK));
}
