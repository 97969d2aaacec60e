/**
 * Who took part in a thread's root message (its sender and recipients), for both stores' send paths
 * and participation checks: they take part in the thread through the root itself, so a later message
 * of the thread writes `thread_participants` rows only for others. A message never changes once
 * stored, is never deleted, and ids are unique, so what is remembered stays true on every node (a
 * cluster's other nodes can only add participant rows, never take a root's participants away): a
 * remembered root may answer "takes part", never "does not". At most `capacity` threads are kept
 * (oldest out first); a thread not kept is read from the root message.
 */
export class ThreadRoots {
  private readonly roots = new Map<string, ReadonlySet<string>>();

  constructor(private readonly capacity = 4096) {}

  get(threadId: string): ReadonlySet<string> | undefined {
    return this.roots.get(threadId);
  }

  remember(threadId: string, from: string, recipients: readonly string[]): ReadonlySet<string> {
    const who = new Set<string>(recipients);
    who.add(from);
    if (this.roots.size >= this.capacity) {
      const oldest = this.roots.keys().next();
      if (!oldest.done) this.roots.delete(oldest.value);
    }
    this.roots.set(threadId, who);
    return who;
  }
}
