/** What every domain service is built from. No surface types here. */
import type { Bus } from '../bus/bus.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../core/logger.js';
import type { Clock } from '../core/time.js';
import type { Timers } from '../core/timers.js';
import type { Store } from '../store/types.js';

export interface DomainDeps {
  store: Store;
  bus: Bus;
  config: Config;
  clock: Clock;
  logger: Logger;
  /** The hub's periodic work: services register their sweeps and checks here, never their own timers. */
  timers: Timers;
}
