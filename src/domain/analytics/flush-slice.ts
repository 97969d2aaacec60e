/** How much of the analytics queue one step of a flush takes (both recorders). */

/**
 * A flush folds this many records at a time, yielding a turn of the event loop between slices, so
 * folding a second's worth (5,000 messages) never holds the loop at once.
 */
export const FLUSH_SLICE = 200;

/**
 * Records folded into one delta before it is written: a second's worth at 5,000 msg/s, so a
 * minute's pair, agent and total rows are written about once a second. Bounded because taking and
 * splitting a delta is one synchronous step: a backlog of 100,000 records (after a burst past what
 * the hub can write) folded at once held the event loop 50–140 ms and the heap 250 MB.
 */
export const FOLD_RECORDS = 5_000;

/**
 * Thread rollup rows per write of the messaging rollups (see split-delta.ts). A thread row is the
 * costly kind (its own row, its history rows in two scopes, a day look-up: about 9 µs of SQLite work),
 * so 100 of them keep a write near a millisecond. Writing 200 records' rows at once held the event
 * loop a median 2.1 ms (p90 4.6 ms, 40 times a second at 5,000 msg/s): that wait was the messaging
 * path's tail at a fixed rate. Smaller record slices cost CPU instead: every slice rewrote its pair,
 * agent and total rows (about 20 µs more hub CPU per message with slices of 50).
 */
export const WRITE_THREAD_ROWS = 100;
