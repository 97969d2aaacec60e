#!/usr/bin/env node
/* global process */
// The scripted agent starts once per instance (per turn for codex and gemini): load only what it needs.
if (process.argv[2] === 'agent') await import('../dist/src/surfaces/cli/agent-main.js');
else await import('../dist/src/surfaces/cli/main.js');
