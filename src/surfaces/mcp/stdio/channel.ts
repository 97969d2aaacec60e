/**
 * `switchboard mcp --channel`: the stdio bridge as a Claude Code channel. Once the MCP client has
 * initialized and the bridge knows its agent's token (SWITCHBOARD_TOKEN, or register_agent on the
 * connection), every message delivered to that agent is pushed into the session as a
 * `notifications/claude/channel` event: unread ones first, then live, over the client library's
 * WebSocket, which resumes from its cursor across reconnects and hub restarts.
 *
 * Each message goes verdict (sender gating, filters) → DeliveryPacer (batches, events per minute) →
 * channelEvent → notification, and is marked read only once its notification was written: if the
 * bridge dies first, it is still unread and the next session pushes it. A cursor is pushed at most
 * once per session, even when a reconnect replays it. Held-back messages stay unread; the next event
 * counts them. `ack_required` messages are not acked here: the instructions tell Claude to ack.
 * Settings come from the hub (`get_delivery_settings`) and change live on `delivery.settings`.
 */
import type { McpServer } from '@modelcontextprotocol/server';
import { AgentClient, type Listening } from '../../../client/agent-client.js';
import { Backoff } from '../../../client/backoff.js';
import type { HubUrls } from '../../../client/failover.js';
import { HubClient } from '../../../client/hub-client.js';
import type { ServerFrame } from '../../../client/socket.js';
import type { InboxMessageView } from '../../../client/types.js';
import { channelEvent } from '../../../core/delivery/event.js';
import { type DeliverableMessage, verdict } from '../../../core/delivery/filter.js';
import { DeliveryPacer, type HeldCounts } from '../../../core/delivery/pacer.js';
import {
  DEFAULT_DELIVERY,
  type DeliverySettings,
  deliverySettingsSchema,
} from '../../../core/delivery/settings.js';

/** The capability a Claude Code channel declares (under `capabilities.experimental`). */
export const CHANNEL_CAPABILITY = { 'claude/channel': {} } as const;
export const CHANNEL_METHOD = 'notifications/claude/channel';

export interface ChannelOptions {
  /** The hub's URLs, shared with the bridge (so both use the same node). */
  url: string | HubUrls;
  /** The bearer the bridge acts with now (it may appear later, after register_agent). */
  token: () => string | undefined;
  /** Resolves once the hub answers (the bridge's readiness). */
  ready: () => Promise<void>;
  note: (line: string) => void;
}

const RECONNECT = { initialDelayMs: 200, maxDelayMs: 5000 };
const codeOf = (err: unknown) => (err as { code?: unknown })?.code;

/** One agent's pushes into one MCP session. */
class AgentPump {
  private settings: DeliverySettings = DEFAULT_DELIVERY;
  private readonly pacer: DeliveryPacer<DeliverableMessage>;
  private client?: AgentClient;
  private listening?: Listening;
  private unmarked: string[] = [];
  private closed = false;
  /** Settings changes received live (so an older answer read meanwhile is not applied over them). */
  private changes = 0;
  /**
   * Open once the socket is subscribed and the settings were read after that: from then on a change
   * arrives live, ahead of the messages sent after it. Messages wait here (in order) until then.
   */
  private gate!: Promise<void>;
  private openGate: () => void = () => {};

  constructor(
    private readonly hub: HubClient,
    readonly agentId: string,
    private readonly project: string,
    /** The highest cursor this session has seen (pushed or held back) for this agent. */
    private seen: number,
    private readonly push: (event: { content: string; meta: Record<string, string> }) => Promise<void>,
    private readonly opts: ChannelOptions,
  ) {
    this.closeGate();
    this.pacer = new DeliveryPacer(
      this.settings,
      (batch, held) => this.deliver(batch, held),
      (err) => opts.note(`switchboard channel: an event could not be delivered: ${(err as Error).message}`),
    );
  }

  get cursor(): number {
    return this.seen;
  }

  async start(): Promise<void> {
    this.client = new AgentClient({
      url: this.hub.urls,
      token: this.hub.token,
      agentId: this.agentId,
      reconnect: RECONNECT,
      onEvent: (frame) => this.onFrame(frame),
      onState: (state, detail) => {
        if (state === 'reconnecting') this.closeGate();
        if (state === 'open') void this.resync();
        if (state === 'closed' && detail && !this.closed)
          this.opts.note(`switchboard channel: stopped pushing messages: ${detail.message}`);
      },
      onError: (err) => this.opts.note(`switchboard channel: ${err.message}`),
    });
    this.listening = await this.client.listen((m) => this.receive(m), {
      from: this.seen > 0 ? String(this.seen) : 'unread',
      markRead: false,
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.pacer.close();
    this.openGate();
    await this.listening?.stop().catch(() => {});
    await this.client?.close().catch(() => {});
  }

  private async receive(m: InboxMessageView): Promise<void> {
    const cursor = Number(m.cursor);
    if (!Number.isFinite(cursor) || cursor <= this.seen) return; // never the same cursor twice
    this.seen = cursor;
    if (m.read_at !== null) return; // read elsewhere meanwhile (a replay): the agent has it
    await this.gate;
    const v = verdict(m, this.project, this.settings);
    if (v.push) this.pacer.offer(m);
    else this.pacer.hold(v.reason);
  }

  private async deliver(batch: DeliverableMessage[], held: HeldCounts): Promise<void> {
    await this.push(channelEvent(batch, held));
    this.unmarked.push(...batch.map((m) => m.message_id));
    await this.markRead();
  }

  /** Marks pushed messages read; what fails (the hub away) is tried again after the next reconnect. */
  private async markRead(): Promise<void> {
    const ids = this.unmarked.splice(0, 1000);
    if (ids.length === 0) return;
    try {
      await this.hub.mark_read({ message_ids: ids });
    } catch (err) {
      this.unmarked.unshift(...ids);
      this.opts.note(
        `switchboard channel: could not mark pushed messages read yet: ${(err as Error).message}`,
      );
    }
  }

  private onFrame(frame: ServerFrame): void {
    if (frame.type !== 'delivery.settings' || frame.agent_id !== this.agentId) return;
    const parsed = deliverySettingsSchema.safeParse(frame.settings);
    this.changes++;
    if (parsed.success) this.apply(parsed.data);
  }

  private closeGate(): void {
    this.openGate();
    this.gate = new Promise((resolve) => (this.openGate = resolve));
  }

  /** Connected (again): settings may have changed while away, and read marks may wait. */
  private async resync(): Promise<void> {
    await this.refreshSettings().catch(() => {});
    this.openGate();
    await this.markRead();
  }

  /** Reads the settings from the hub; a change that arrived live meanwhile is newer and wins. */
  private async refreshSettings(): Promise<void> {
    const before = this.changes;
    const answer = await this.hub.get_delivery_settings({});
    const parsed = deliverySettingsSchema.safeParse(answer.settings);
    if (parsed.success && this.changes === before) this.apply(parsed.data);
  }

  private apply(settings: DeliverySettings): void {
    this.settings = settings;
    this.pacer.update(settings);
  }
}

/**
 * The channel side of one bridge process: attached to the MCP server once its client has
 * initialized, (re)started whenever the bridge's token changes.
 */
export class ChannelBridge {
  private server?: McpServer;
  private pump?: AgentPump;
  private token?: string;
  private starting?: Promise<void>;
  private readonly backoff = new Backoff({ initialDelayMs: 500, maxDelayMs: 15_000 });
  private retry?: NodeJS.Timeout;
  /** Cursors this session has seen, per agent, so a restarted pump never pushes one twice. */
  private readonly seen = new Map<string, number>();

  constructor(private readonly opts: ChannelOptions) {}

  /** The MCP client has initialized this server: pushes may begin. */
  attach(server: McpServer): void {
    this.server = server;
    this.tokenChanged();
  }

  /** The bridge's token may have changed (register_agent on the connection). */
  tokenChanged(): void {
    const token = this.opts.token();
    if (!this.server || !token || token === this.token) return;
    this.token = token;
    void this.restart();
  }

  async close(): Promise<void> {
    if (this.retry) clearTimeout(this.retry);
    this.token = undefined;
    await this.stopPump();
  }

  private async stopPump(): Promise<void> {
    const pump = this.pump;
    this.pump = undefined;
    if (pump) {
      this.seen.set(pump.agentId, pump.cursor);
      await pump.close();
    }
  }

  private async restart(): Promise<void> {
    if (this.retry) clearTimeout(this.retry);
    await this.starting?.catch(() => {});
    this.starting = this.begin(this.token);
    await this.starting.catch(() => {});
  }

  private async begin(token: string | undefined): Promise<void> {
    await this.stopPump();
    const server = this.server;
    if (!token || token !== this.token || !server) return;
    try {
      await this.opts.ready();
      const hub = new HubClient({ url: this.opts.url, token });
      const me = await hub.whoami({});
      const agentId = me.agent.agent_id;
      const push = (params: { content: string; meta: Record<string, string> }) =>
        server.server.notification({ method: CHANNEL_METHOD, params });
      const pump = new AgentPump(
        hub,
        agentId,
        me.agent.project,
        this.seen.get(agentId) ?? 0,
        push,
        this.opts,
      );
      this.pump = pump;
      await pump.start();
      this.backoff.reset();
    } catch (err) {
      await this.stopPump();
      const code = codeOf(err);
      if (code === 'invalid_input' || code === 'unauthorized' || code === 'forbidden') {
        this.opts.note(
          `switchboard channel: no messages are pushed: ${(err as Error).message} (the channel needs an agent token)`,
        );
        return;
      }
      if (this.token !== token) return;
      const delay = this.backoff.next();
      this.opts.note(`switchboard channel: ${(err as Error).message}; trying again in ${delay} ms`);
      this.retry = setTimeout(() => void this.restart(), delay);
      this.retry.unref();
    }
  }
}
