/** The `switchboard` package: the TypeScript client and the public types (the hub itself runs via the CLI). */
export * from './client/index.js';
