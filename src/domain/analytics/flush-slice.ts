/** How much of the analytics queue one write takes (both recorders). */

/**
 * A flush folds and writes this many records at a time, yielding between slices. Writing a second's
 * worth at once (5,000 messages: ~10 rollup rows each) held the event loop for a fifth of a second
 * every second, which was the messaging path's p99 at a fixed rate. Any batch boundary is valid:
 * a slice is what a smaller flush would have written.
 */
export const FLUSH_SLICE = 200;
