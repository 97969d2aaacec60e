/** The MCP surface: Streamable HTTP at /mcp (both protocol eras) and the stdio bridge. */
export { mountMcp } from './mount.js';
export { createHubMcpServer } from './server.js';
