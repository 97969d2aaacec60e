/**
 * Wakes a supervised instance on mail (`delivery: idle | steer`). New messages to the instance's
 * agent are read from its inbox by cursor (the bus only says that there is something to read), gated
 * and filtered like a channel's (sender's project, importance, types, topics), paced (batches, events
 * per minute, one delivery at a time) and written to the instance as a user turn carrying the
 * `<channel …>` event. `idle` waits until no turn runs; `steer` writes at once where the CLI takes a
 * message mid-turn (else it behaves as idle). The pacer's next delivery waits until the woken turn has
 * ended: a storm of messages becomes a few turns. Pushed messages are marked read once their turn is
 * written; when the instance is stopping, ended or past a limit nothing is written and they stay unread.
 */
import type { Adapter } from '../../agents/adapters/types.js';
import { channels } from '../../bus/bus.js';
import type { DeliverableMessage } from '../../core/delivery/filter.js';
import { verdict } from '../../core/delivery/filter.js';
import { DeliveryPacer, type HeldCounts, MAX_QUEUED } from '../../core/delivery/pacer.js';
import type { DeliverySettings } from '../../core/delivery/settings.js';
import { iso } from '../../core/time.js';
import type { InboxEntry } from '../../store/types.js';
import type { DomainDeps } from '../deps.js';
import type { Services } from '../index.js';
import { inboxView } from '../messages/views.js';
import { usageLimitReached } from './limits.js';
import type { InstanceSupervisor } from './supervisor.js';
import { effectiveMode, ownDeliverySettings, wakeTurns } from './wake-rules.js';

/** The settings an agent's mail is delivered with (the stored per-agent ones, or the spawn's own). */
export type DeliverySettingsOf = (agentId: string) => Promise<DeliverySettings>;

/** Inbox entries read at a time. */
const PAGE = 200;
/** Messages kept in the pacer at most; the rest wait in the inbox until the next scan. */
const QUEUE_CAP = Math.min(MAX_QUEUED, 500);

const deliverable = (e: InboxEntry): DeliverableMessage => ({
  ...inboxView(e),
  project: e.message.project,
  sent_by_admin: (e.message as { sentByAdmin?: boolean }).sentByAdmin === true,
});

export class MailDelivery {
  private pacer: DeliveryPacer<DeliverableMessage>;
  /** The last inbox cursor looked at: messages after it are new to this delivery. */
  private seen = 0;
  private scanning = false;
  private again = false;
  private closed = false;
  private unsubscribe: (() => void) | null = null;
  private project: string | undefined;
  private settings: Pick<DeliverySettings, 'max_events_per_minute' | 'batch_window_ms' | 'max_batch'>;

  constructor(
    private readonly sup: InstanceSupervisor,
    private readonly adapter: Adapter,
    /** steer: write into the turn in progress (the adapter steers); idle: wait until no turn runs. */
    private readonly steers: boolean,
    private readonly d: DomainDeps,
    private readonly services: Pick<Services, 'agents' | 'messages'>,
    private readonly settingsOf: DeliverySettingsOf,
  ) {
    this.settings = ownDeliverySettings(sup.record.delivery);
    this.pacer = this.newPacer();
  }

  private get agentId(): string {
    return this.sup.record.agentId;
  }

  private newPacer(): DeliveryPacer<DeliverableMessage> {
    return new DeliveryPacer(
      this.settings,
      (batch, held) => this.deliver(batch, held),
      (err) =>
        this.d.logger.error({ err, instance: this.sup.record.id }, 'waking the instance on mail failed'),
    );
  }

  /** Listens for mail from now on; unread mail already waiting wakes it once it is idle. */
  start(): void {
    this.unsubscribe = this.d.bus.subscribe(channels.agent(this.agentId), (e) => {
      if (e.type === 'message') this.kick();
    });
    this.sup.onStatus = (status) => {
      if (status === 'idle') this.kick();
    };
    void this.sup.ended.then(() => this.close());
    this.kick();
  }

  close(): void {
    this.closed = true;
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.sup.onStatus = undefined;
    this.pacer.close();
  }

  /** Something may be new: look (one look at a time; a kick during a look looks again after it). */
  private kick(): void {
    if (this.closed) return;
    if (this.scanning) {
      this.again = true;
      return;
    }
    this.scanning = true;
    void (async () => {
      try {
        do {
          this.again = false;
          await this.scan();
        } while (this.again && !this.closed);
      } catch (err) {
        this.d.logger.error({ err, instance: this.sup.record.id }, 'reading mail for the instance failed');
      } finally {
        this.scanning = false;
      }
    })();
  }

  /** Why nothing may be written to the instance now (null: it may). */
  private blocked(): string | null {
    const r = this.sup.record;
    if (!this.sup.acceptsTurns) return `it is ${r.status}`;
    return usageLimitReached(r.limits, { tokens: r.tokens, costUsd: r.costUsd, turns: r.turns });
  }

  /** Offers the unread messages after `seen` to the pacer (idle: once no turn runs). */
  private async scan(): Promise<void> {
    if (!this.steers) await this.sup.turns.idle();
    if (this.closed || this.blocked()) return;
    const settings = await this.settingsOf(this.agentId);
    this.settings = settings;
    this.pacer.update(settings);
    this.project ??= (await this.services.agents.find(this.agentId))?.project;
    const project = this.project ?? '';
    for (;;) {
      if (this.closed || this.pacer.pending >= QUEUE_CAP) return;
      const entries = await this.d.store.listInbox(this.agentId, {
        afterCursor: this.seen,
        unreadOnly: true,
        limit: PAGE,
        now: iso(this.d.clock.now()),
      });
      for (const e of entries) {
        this.seen = Math.max(this.seen, e.cursor);
        const m = deliverable(e);
        const v = verdict(m, project, settings);
        if (v.push) this.pacer.offer(m);
        else this.pacer.hold(v.reason);
      }
      if (entries.length < PAGE) return;
    }
  }

  /** One paced batch: a turn (or a few, for a CLI that takes few bytes a turn); settles when it has ended. */
  private async deliver(batch: DeliverableMessage[], held: HeldCounts): Promise<void> {
    try {
      for (const turn of wakeTurns(batch, held, this.adapter.maxTurnBytes)) {
        while (!this.steers && this.sup.turns.busy) await this.sup.turns.idle();
        const why = this.blocked();
        if (this.closed || why) {
          this.putBack(turn.messages[0]!, why ?? 'closed');
          return;
        }
        const steered = this.sup.turns.busy;
        const { done } = await this.sup.send(turn.text, {
          woken_by: turn.woken_by,
          ...(steered ? { steered: true } : {}),
        });
        await this.services.messages.markRead(this.agentId, turn.woken_by.message_ids);
        await done;
      }
    } finally {
      this.kick();
    }
  }

  /**
   * Nothing could be written: the messages from `first` on stay unread, and are looked at again when
   * the instance takes turns again (a fresh pacer, so none is offered twice).
   */
  private putBack(first: DeliverableMessage, why: string): void {
    this.d.logger.info(
      { instance: this.sup.record.id, message_id: first.message_id },
      `mail not delivered to the instance (${why}); it stays unread`,
    );
    if (this.closed) return;
    this.seen = Math.min(this.seen, Number(first.cursor) - 1);
    this.pacer.close();
    this.pacer = this.newPacer();
  }
}

/**
 * Puts an instance's mail delivery in place when its `delivery` is not manual. `settingsOf` defaults
 * to the agent's stored settings (set_delivery_settings) once it has any, else the spawn's own.
 */
export function deliverMail(
  sup: InstanceSupervisor,
  adapter: Adapter,
  d: DomainDeps,
  services: Pick<Services, 'agents' | 'messages' | 'delivery'>,
  settingsOf?: DeliverySettingsOf | null,
): MailDelivery | null {
  const mode = effectiveMode(sup.record.delivery.mode, adapter);
  if (mode === 'manual') return null;
  const own = ownDeliverySettings(sup.record.delivery);
  // The agent's stored settings (set_delivery_settings) win once set; until then the spawn's own.
  const stored: DeliverySettingsOf = async (agentId) => {
    const answer = await services.delivery.get(agentId);
    return answer.updated_at ? answer.settings : own;
  };
  const mail = new MailDelivery(sup, adapter, mode === 'steer', d, services, settingsOf ?? stored);
  mail.start();
  return mail;
}
