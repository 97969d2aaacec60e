/**
 * The config file may be YAML (`.yaml` / `.yml`) as well as JSON; a mistake in a gateway server entry
 * is reported with the path of the field; a hub built from a YAML file connects its servers.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load.js';
import { createHub } from '../src/hub.js';
import { eventually, FIXTURE } from './gateway-support.js';

const dir = mkdtempSync(join(tmpdir(), 'switchboard-yaml-'));

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('gateway config in YAML', () => {
  it('reads servers, approvals and secret references from a .yaml file', () => {
    const file = write(
      'hub.yaml',
      `gateway:
  separator: "__"
  approvals:
    timeoutSeconds: 60
    rules:
      - tools: ["k8s__delete_*"]
        args: { namespace: "^prod" }
        reason: production deletes
  servers:
    - name: k8s
      url: http://127.0.0.1:9000/mcp
      headers:
        authorization: "Bearer \${env:K8S_TOKEN}"
      timeoutSeconds: 10
    - name: local
      command: node
      args: [server.js]
`,
    );
    const cfg = loadConfig({ env: {}, file, flags: { home: dir } });
    expect(cfg.gateway.servers.map((s) => s.name)).toEqual(['k8s', 'local']);
    expect(cfg.gateway.servers[0]?.headers.authorization).toBe('Bearer ${env:K8S_TOKEN}');
    expect(cfg.gateway.servers[0]?.timeoutSeconds).toBe(10);
    expect(cfg.gateway.approvals.rules[0]?.args.namespace).toBe('^prod');
  });

  it('names the field of a validation error, and the line of a YAML syntax error', () => {
    const bad = write(
      'bad.yml',
      `gateway:
  servers:
    - name: ok
      command: node
    - name: broken
      command: node
      timeoutSeconds: "soon"
`,
    );
    expect(() => loadConfig({ env: {}, file: bad, flags: { home: dir } })).toThrow(
      /gateway\.servers\.1\.timeoutSeconds/,
    );
    const both = write(
      'both.yaml',
      'gateway:\n  servers:\n    - { name: x, command: node, url: "http://a/" }\n',
    );
    expect(() => loadConfig({ env: {}, file: both, flags: { home: dir } })).toThrow(
      /gateway\.servers\.0\.command.*exactly one of command/,
    );
    const syntax = write('syntax.yaml', 'gateway:\n  servers: [\n    - nope\n');
    expect(() => loadConfig({ env: {}, file: syntax, flags: { home: dir } })).toThrow(
      /syntax\.yaml is not a YAML object: .*line/,
    );
  });

  it('a hub started from a YAML file connects its downstream servers', async () => {
    const file = write(
      'run.yaml',
      `gateway:\n  servers:\n    - name: fixture\n      command: ${JSON.stringify(process.execPath)}\n      args: [${JSON.stringify(FIXTURE)}]\n`,
    );
    const home = mkdtempSync(join(tmpdir(), 'switchboard-yaml-hub-'));
    const hub = await createHub({
      config: loadConfig({ env: {}, file, flags: { home, port: 0, logLevel: 'silent' } }),
    });
    try {
      await hub.listen();
      const tools = await eventually(() => {
        const names = hub.services.gateway.tools().map((t) => t.name);
        return names.includes('fixture__fixture_echo') ? names : undefined;
      });
      expect(tools).toContain('fixture__fixture_pid');
    } finally {
      await hub.close();
    }
  });
});
