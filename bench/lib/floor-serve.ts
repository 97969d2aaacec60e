/**
 * The part every floor server (bench/scenarios/*-floor-server.ts) shares: listen on an ephemeral
 * loopback port, print `listening on <url>` for bench/lib/floor.ts, and on SIGTERM close cleanly.
 */
import type { Server } from 'node:http';

export function serveFloor(
  server: Server,
  stop: {
    /** Before the server closes (e.g. stop a downstream, drop WebSockets). */
    beforeClose?: () => void;
    /** After it has closed (e.g. close a database, remove a temporary directory). */
    afterClose?: () => void;
  } = {},
): void {
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    if (address && typeof address === 'object')
      process.stdout.write(`listening on http://127.0.0.1:${address.port}\n`);
  });
  process.on('SIGTERM', () => {
    stop.beforeClose?.();
    server.closeAllConnections();
    server.close(() => {
      stop.afterClose?.();
      process.exit(0);
    });
  });
}
