/** Events of delivery into the agent (added to HubEvent). */
import type { DeliverySettings } from '../core/delivery/settings.js';

export type DeliveryEvent =
  /** To the agent's channel: its delivery settings changed (a running channel bridge applies them at once). */
  {
    type: 'delivery.settings';
    at: string;
    agent_id: string;
    settings: DeliverySettings;
  };
