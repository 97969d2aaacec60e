/** Events of the gateway capability (added to HubEvent). */
export type GatewayEvent = never;
