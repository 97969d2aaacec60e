/**
 * `switchboard insights`: analytics_insights as text, one block per finding (severity first, then
 * what, who, the figures and the suggested action); `--json` prints the answer as it is. Also
 * `switchboard analytics <usage|history|tools|insights|rebuild|…>`, one per `analytics_*` operation.
 */
import type { Command } from 'commander';
import { catalog } from '../../ops/catalog.js';
import { addOperationCommand, registerOperationGroup } from './op-commands.js';
import { printLines } from './output.js';

interface Finding {
  kind: string;
  severity: string;
  title: string;
  agents: string[];
  evidence: Record<string, number>;
  action: string;
}

interface Insights {
  since: string;
  until: string | null;
  counts: { critical: number; warning: number; info: number };
  findings: Finding[];
  cached: boolean;
  age_seconds: number;
}

/** The text `switchboard insights` prints. */
export function insightLines(r: Insights): string[] {
  const range = `since ${r.since}${r.until ? ` until ${r.until}` : ''}`;
  const age = r.cached ? ` (cached, ${r.age_seconds} s old)` : '';
  if (r.findings.length === 0) return [`No findings ${range}: nothing to act on.${age}`];
  const { critical, warning, info } = r.counts;
  const lines = [`${critical} critical, ${warning} warning, ${info} info ${range}${age}`];
  for (const f of r.findings) {
    const evidence = Object.entries(f.evidence)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    lines.push(
      '',
      `${f.severity.toUpperCase()}  ${f.kind}: ${f.title}`,
      ...(f.agents.length ? [`  agents:   ${f.agents.join(', ')}`] : []),
      `  evidence: ${evidence}`,
      `  action:   ${f.action}`,
    );
  }
  const shown = r.findings.length;
  if (critical + warning + info > shown) lines.push('', `(${shown} shown; --limit shows more)`);
  return lines;
}

export function registerInsights(program: Command): void {
  const op = catalog.find((o) => o.name === 'analytics_insights')!;
  addOperationCommand(program, 'insights', op, (r: Insights) => printLines(insightLines(r)));
  registerOperationGroup(
    program,
    'analytics',
    'Analytics: one sub-command per analytics operation (usage, history, tools, insights, rebuild, …)',
  );
}
