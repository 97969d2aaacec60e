/**
 * `switchboard graph`: the communication graph as text — the busiest edges with their reliability and
 * latency, then the patterns found (hub, pipeline, bottleneck, community, isolated). `--json` prints
 * `{graph, patterns}` as the hub answered them. Acts as the admin unless an agent token is given.
 */
import type { Command } from 'commander';
import { SwitchboardError } from '../../client/errors.js';
import type { OperationMap } from '../../ops/catalog.js';
import { type ConnectionFlags, connect, withConnectionFlags } from './connection.js';
import { printJson, printLines, table } from './output.js';
import { action, usageExits } from './run.js';

type GraphAnswer = OperationMap['get_communication_graph']['output'];
type PatternsAnswer = OperationMap['detect_patterns']['output'];

interface GraphFlags extends ConnectionFlags {
  project?: string;
  since?: string;
  until?: string;
  top: string;
}

const pct = (x: number | null) => (x === null ? '-' : `${Math.round(x * 100)}%`);
const ms = (x: number | null) => (x === null ? '-' : `${x} ms`);

/** The text rendering: a summary line, the top edges by messages, and one line per pattern. */
export function renderGraph(graph: GraphAnswer, patterns: PatternsAnswer, top: number): string[] {
  const names = new Map<string, string>();
  const seen = new Map<string, number>();
  for (const n of graph.nodes) seen.set(n.name, (seen.get(n.name) ?? 0) + 1);
  for (const n of graph.nodes)
    names.set(n.agent_id, seen.get(n.name) === 1 ? n.name : `${n.name} (${n.agent_id})`);
  const name = (id: string) => names.get(id) ?? id;
  const { agents, edges, messages } = graph.totals;
  const edgesShown = [...graph.edges]
    .sort((a, b) => b.messages - a.messages || a.from.localeCompare(b.from) || a.to.localeCompare(b.to))
    .slice(0, top);
  const lines = [`communication graph: ${agents} agents, ${edges} edges, ${messages} messages`];
  if (edgesShown.length) {
    lines.push('', `top ${edgesShown.length} edges by traffic:`);
    lines.push(
      ...table(
        ['FROM', 'TO', 'MESSAGES', 'REQUESTS', 'ANSWERED', 'RELIABILITY', 'LATENCY'],
        edgesShown.map((e) => [
          name(e.from),
          name(e.to),
          String(e.messages),
          String(e.requests),
          String(e.responses),
          pct(e.reliability),
          ms(e.mean_latency_ms),
        ]),
      ),
    );
  }
  lines.push('', patterns.patterns.length ? 'patterns:' : 'patterns: none found');
  for (const p of patterns.patterns) lines.push(`  ${p.kind.padEnd(10)} ${p.summary}`);
  return lines;
}

export function registerGraph(program: Command): void {
  const cmd = program
    .command('graph')
    .description('Show the communication graph: busiest edges with reliability and latency, and patterns')
    .option('--project <name>', 'only this project')
    .option('--since <iso>', 'traffic from this ISO-8601 time')
    .option('--until <iso>', 'traffic up to this ISO-8601 time (exclusive)')
    .option('--top <n>', 'how many edges to list', '10');
  withConnectionFlags(cmd);
  usageExits(cmd);
  cmd.action(
    action(async (options: GraphFlags) => {
      const top = Number(options.top);
      if (!Number.isInteger(top) || top < 0 || top > 1000)
        throw new SwitchboardError('invalid_input', '--top takes a whole number from 0 to 1000');
      const asAdmin = options.admin || !(options.token ?? process.env.SWITCHBOARD_TOKEN);
      const { client } = connect({ ...options, admin: asAdmin });
      const filter = { project: options.project, since: options.since, until: options.until };
      const [graph, patterns] = await Promise.all([
        client.get_communication_graph(filter),
        client.detect_patterns(filter),
      ]);
      if (options.json) return printJson({ graph, patterns });
      printLines(renderGraph(graph, patterns, top));
    }),
  );
}
