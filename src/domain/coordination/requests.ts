/**
 * Request/response over messages. `request` sends a `request` message with a fresh correlation id and
 * blocks until a `response` carrying that id comes back from one of the recipients (the first answer
 * wins; a response that names the request in reply_to counts too), or the timeout passes (`timeout` error; a late answer still lands in the inbox). `respond`
 * answers a request by its message id. Any surface can answer: a WebSocket `send` frame with
 * `type: "response"` and the request's `correlation_id` works as well as the `respond` operation.
 */
import { channels } from '../../bus/bus.js';
import { HubError, notFound } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import type { InboxMessageView, MessageView } from '../../core/wire/index.js';
import type { AgentRecord, Importance } from '../../store/types.js';
import type { DomainDeps } from '../deps.js';
import type { Services } from '../index.js';
import { type Address, resolveRecipients } from '../messages/addressing.js';
import type { SendResult } from '../messages/service.js';
import { type WaitProgress, Waiter } from '../../bus/waiter.js';

export interface RequestInput {
  to: Address;
  subject?: string;
  body?: unknown;
  thread_id?: string;
  importance?: Importance;
  timeout_seconds?: number;
}

export interface RequestResult {
  request_id: string;
  correlation_id: string;
  thread_id: string;
  recipients: string[];
  response: MessageView;
  waited_ms: number;
}

export interface RespondInput {
  request_id: string;
  subject?: string;
  body?: unknown;
}

export class Requests {
  constructor(
    private readonly d: DomainDeps,
    private readonly services: Services,
  ) {}

  async request(
    me: AgentRecord,
    input: RequestInput,
    signal?: AbortSignal,
    progress?: WaitProgress,
  ): Promise<RequestResult> {
    const { config } = this.d;
    const timeoutSeconds = Math.min(
      input.timeout_seconds ?? config.messages.defaultWaitSeconds,
      config.messages.maxWaitSeconds,
    );
    // Nobody to ask is bad input, found before anything is stored.
    const asked = await resolveRecipients(this.d.store, this.services.agents, input.to, me);
    if (asked.length === 0) {
      throw new HubError('not_found', `to: nobody is registered at ${JSON.stringify(input.to)} to answer`);
    }
    const correlationId = newId('corr');
    const answers: InboxMessageView[] = [];
    // Subscribe before sending, so an answer that comes back at once is not missed.
    const waiter = new Waiter(this.d.bus, [channels.agent(me.id)], (event) => {
      if (event.type !== 'message' || event.message.type !== 'response') return false;
      // Kept if it carries our correlation id, or may name our request in reply_to (checked once sent).
      if (event.message.correlation_id !== correlationId && event.message.reply_to === null) return false;
      answers.push(event.message);
      return true;
    });
    const started = Date.now();
    try {
      const sent = await this.services.messages.send(me, {
        to: input.to,
        type: 'request',
        subject: input.subject,
        body: input.body,
        thread_id: input.thread_id,
        importance: input.importance,
        correlation_id: correlationId,
      });
      const recipients = new Set(sent.recipients);
      const ours = (m: InboxMessageView) =>
        recipients.has(m.from) && (m.correlation_id === correlationId || m.reply_to === sent.message_id);
      const answer = await waiter.until(() => answers.find(ours), {
        timeoutMs: timeoutSeconds * 1000,
        signal,
        progress,
      });
      if (!answer) {
        if (signal?.aborted) throw new HubError('unavailable', 'The caller went away before an answer came');
        throw new HubError(
          'timeout',
          `No response to request ${sent.message_id} within ${timeoutSeconds} s; a late answer still reaches your inbox (correlation_id ${correlationId})`,
          { details: { request_id: sent.message_id, correlation_id: correlationId } },
        );
      }
      // The answer was handed over here: it counts as read, so a later inbox check does not repeat it.
      await this.services.messages.markRead(me.id, [answer.message_id]);
      const { cursor: _c, read_at: _r, acked_at: _a, ...response } = answer;
      return {
        request_id: sent.message_id,
        correlation_id: correlationId,
        thread_id: sent.thread_id,
        recipients: sent.recipients,
        response,
        waited_ms: Date.now() - started,
      };
    } finally {
      waiter.close();
    }
  }

  async respond(
    me: AgentRecord,
    input: RespondInput,
  ): Promise<SendResult & { correlation_id: string; to: string }> {
    const request = await this.d.store.getMessage(input.request_id);
    if (!request || !request.recipients.includes(me.id)) {
      throw notFound(`request_id: a request ${input.request_id} sent to you`);
    }
    if (request.type !== 'request') {
      throw new HubError(
        'invalid_input',
        `request_id: message ${input.request_id} is a ${request.type} message, not a request; answer it with send_message`,
      );
    }
    // A request sent without a correlation id is answered under its message id (as the TypeScript client does).
    const correlationId = request.correlationId ?? request.id;
    const sent = await this.services.messages.send(me, {
      to: request.from,
      type: 'response',
      subject: input.subject,
      body: input.body,
      reply_to: request.id,
      correlation_id: correlationId,
    });
    return { ...sent, correlation_id: correlationId, to: request.from };
  }
}
