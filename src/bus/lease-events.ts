/** Events of the leases capability (added to HubEvent). */

export type LeaseView = {
  lease_id: string;
  project: string;
  holder: string;
  mode: 'exclusive' | 'shared';
  patterns: string[];
  reason: string | null;
  acquired_at: string;
  renewed_at: string;
  expires_at: string;
};

/** Published hub-wide, on the holder's channel and on the channel of every agent holding an overlapping live lease. */
export type LeaseEvent = {
  type: 'lease.acquired' | 'lease.renewed' | 'lease.released' | 'lease.expired';
  at: string;
  lease: LeaseView;
};
