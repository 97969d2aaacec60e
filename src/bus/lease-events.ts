/** Events of the leases capability (added to HubEvent). */
import type { LeaseView } from '../core/wire/index.js';

/** Published hub-wide, on the holder's channel and on the channel of every agent holding an overlapping live lease. */
export type LeaseEvent = {
  type: 'lease.acquired' | 'lease.renewed' | 'lease.released' | 'lease.expired';
  at: string;
  lease: LeaseView;
};
