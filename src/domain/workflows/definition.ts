/**
 * A workflow definition: its schema, and the checks that need more than a schema (unique ids, calls
 * that exist, references to steps that surely ran before). Errors name the step and the field.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { HubError } from '../../core/errors.js';
import { parseReference, referencesIn } from './template.js';

const STEP_ID = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;

const base = {
  id: z.string().regex(STEP_ID, 'a letter, then letters, digits, _ or - (at most 64)'),
  call: z
    .string()
    .min(1)
    .max(200)
    .describe('A hub operation (send_message) or a downstream tool (<server>__<tool>)'),
  input: z.record(z.string(), z.unknown()).default({}),
  when: z.string().min(1).max(1000).optional(),
  retry: z
    .strictObject({
      attempts: z.number().int().min(1).max(20).default(1),
      backoff_ms: z.number().int().min(0).max(600_000).default(1000),
    })
    .optional(),
  /**
   * Run this step again when a hub restart interrupted it, even though its call is not marked
   * read-only or idempotent (the author vouches that repeating it is harmless).
   */
  retry_on_resume: z.boolean().optional(),
};

export const branchSchema = z.strictObject(base);

export const stepSchema = z.union([
  z.strictObject({ ...base, depends_on: z.array(z.string()).max(100).optional() }),
  z.strictObject({
    id: base.id,
    parallel: z.array(branchSchema).min(1).max(50),
    when: base.when,
    depends_on: z.array(z.string()).max(100).optional(),
  }),
]);

export const definitionSchema = z.strictObject({
  name: z.string().min(1).max(200).optional(),
  description: z.string().max(4000).optional(),
  /** Defaults for inputs the caller leaves out. */
  inputs: z.record(z.string(), z.unknown()).optional(),
  steps: z.array(stepSchema).min(1).max(200),
  /** The run's output, templated once every step has finished. */
  output: z.unknown().optional(),
});

export type Definition = z.output<typeof definitionSchema>;
export type Step = z.output<typeof stepSchema>;
export type Branch = z.output<typeof branchSchema>;

/** A step ready to run: top-level steps with their dependencies; branches under their parallel step. */
export interface PlannedStep {
  id: string;
  call: string | null;
  input: Record<string, unknown>;
  when?: string;
  retry: { attempts: number; backoff_ms: number };
  /** Run again after a hub restart interrupted it, whatever its call (else only safe calls are). */
  retryOnResume: boolean;
  /** Top-level steps this one waits for. */
  after: string[];
  branches: PlannedStep[];
  parent: string | null;
}

/** How `run_workflow` checks a call name: a hub operation, or a tool of a known downstream server. */
export interface CallChecker {
  (call: string): string | null;
}

function describeStep(index: number, id: unknown, branch?: number): string {
  const named = typeof id === 'string' ? ` ("${id}")` : '';
  return branch === undefined ? `steps[${index}]${named}` : `steps[${index}].parallel[${branch}]${named}`;
}

type Issue = z.core.$ZodIssue;

/**
 * A step that fits neither shape gives one `invalid_union` issue; when the step plainly means one
 * shape (it has call, or parallel, not both), that shape's own issues name the field instead.
 */
function expandUnions(issues: Issue[], raw: unknown): Issue[] {
  return issues.flatMap((issue): Issue[] => {
    if (issue.code !== 'invalid_union') return [issue];
    let target: unknown = raw;
    for (const key of issue.path) target = (target as Record<PropertyKey, unknown> | undefined)?.[key];
    if (!target || typeof target !== 'object') return [issue];
    const hasCall = 'call' in target;
    if (hasCall === 'parallel' in target) return [issue];
    const shape = issue.errors[hasCall ? 0 : 1];
    if (!shape || shape.length === 0) return [issue];
    return expandUnions(
      shape.map((i) => ({ ...i, path: [...issue.path, ...i.path] })),
      raw,
    );
  });
}

/** Zod issues as `steps[1] ("fetch").call: ...`. */
function schemaError(error: z.ZodError, raw: unknown): HubError {
  const steps = (raw as { steps?: unknown[] })?.steps;
  const issues = expandUnions(error.issues, raw).map((issue) => {
    const p = [...issue.path];
    let where = '';
    if (p[0] === 'steps' && typeof p[1] === 'number') {
      const step = steps?.[p[1]] as { id?: unknown; parallel?: unknown[] } | undefined;
      if (p[2] === 'parallel' && typeof p[3] === 'number') {
        where = describeStep(p[1], (step?.parallel?.[p[3]] as { id?: unknown })?.id, p[3]);
        p.splice(0, 4);
      } else {
        where = describeStep(p[1], step?.id);
        p.splice(0, 2);
      }
    }
    const field = p.map(String).join('.');
    const problem =
      issue.code === 'unrecognized_keys'
        ? `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`
        : issue.code === 'invalid_union'
          ? 'a step needs either call (with input, when, retry, retry_on_resume) or parallel (a list of steps)'
          : issue.message;
    return { field: [where, field].filter(Boolean).join('.') || '(top level)', problem };
  });
  const summary = issues
    .slice(0, 5)
    .map((i) => `${i.field}: ${i.problem}`)
    .join('; ');
  return new HubError('invalid_input', `Invalid workflow definition: ${summary}`, { details: { issues } });
}

const invalid = (message: string) => new HubError('invalid_input', `Invalid workflow definition: ${message}`);

/** Reads a definition file (YAML for .yaml/.yml, else JSON). */
export function readDefinitionFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new HubError(
      code === 'ENOENT' ? 'not_found' : 'invalid_input',
      `Cannot read workflow file ${path} (${code ?? 'unreadable'})`,
    );
  }
  try {
    return /\.ya?ml$/i.test(path) ? parseYaml(text, { prettyErrors: true }) : JSON.parse(text);
  } catch (err) {
    const kind = /\.ya?ml$/i.test(path) ? 'YAML' : 'JSON';
    throw new HubError(
      'invalid_input',
      `Workflow file ${path} is not valid ${kind}: ${(err as Error).message.split('\n')[0]}`,
    );
  }
}

/** Validates a definition and plans its steps; throws invalid_input naming the step and field. */
export function planDefinition(
  raw: unknown,
  checkCall: CallChecker,
): { definition: Definition; steps: PlannedStep[] } {
  const parsed = definitionSchema.safeParse(raw);
  if (!parsed.success) throw schemaError(parsed.error, raw);
  const definition = parsed.data;
  const planned: PlannedStep[] = [];
  const seen = new Set<string>();
  /** For each top-level step: every step (top-level and branch ids) that surely finished before it. */
  const before = new Map<string, Set<string>>();
  const branchesOf = new Map<string, string[]>();

  definition.steps.forEach((step, i) => {
    const where = describeStep(i, step.id);
    if (seen.has(step.id))
      throw invalid(`${where}.id: another step is called "${step.id}"; ids must be unique`);
    seen.add(step.id);
    const after = step.depends_on ?? (i > 0 ? [(definition.steps[i - 1] as Step).id] : []);
    const ancestors = new Set<string>();
    for (const dep of step.depends_on ?? []) {
      if (!before.has(dep)) {
        throw invalid(
          `${where}.depends_on: "${dep}" is not an earlier top-level step (depend only on steps listed above)`,
        );
      }
    }
    for (const dep of after) {
      ancestors.add(dep);
      for (const a of before.get(dep) ?? []) ancestors.add(a);
      for (const b of branchesOf.get(dep) ?? []) ancestors.add(b);
    }

    const checkRefs = (value: unknown, field: string, visible: Set<string>) => {
      for (const expr of referencesIn(value)) {
        const path = parseReference(expr);
        if (!path) {
          throw invalid(
            `${field}: "{{${expr}}}" is not a reference; use {{inputs.NAME}}, {{steps.ID.output...}}, {{steps.ID.status}} or {{run.id}}`,
          );
        }
        if (path[0] === 'steps') {
          const target = path[1];
          if (target === undefined || !visible.has(target)) {
            throw invalid(
              `${field}: {{${expr}}} refers to step "${target ?? ''}", which does not surely run before this step` +
                ' (refer only to steps it follows or depends_on)',
            );
          }
          if (path[2] !== undefined && !['output', 'status', 'error', 'attempts'].includes(path[2])) {
            throw invalid(`${field}: {{${expr}}}: a step has output, status, error and attempts`);
          }
        }
      }
    };
    const checkCallOf = (call: string, field: string) => {
      const problem = checkCall(call);
      if (problem) throw invalid(`${field}: ${problem}`);
    };

    if ('parallel' in step) {
      if (step.when) checkRefs(step.when, `${where}.when`, ancestors);
      const branches: PlannedStep[] = step.parallel.map((b, j) => {
        const bWhere = describeStep(i, b.id, j);
        if (seen.has(b.id))
          throw invalid(`${bWhere}.id: another step is called "${b.id}"; ids must be unique`);
        seen.add(b.id);
        checkCallOf(b.call, `${bWhere}.call`);
        checkRefs(b.input, `${bWhere}.input`, ancestors);
        if (b.when) checkRefs(b.when, `${bWhere}.when`, ancestors);
        return {
          id: b.id,
          call: b.call,
          input: b.input,
          ...(b.when ? { when: b.when } : {}),
          retry: { attempts: b.retry?.attempts ?? 1, backoff_ms: b.retry?.backoff_ms ?? 1000 },
          retryOnResume: b.retry_on_resume === true,
          after: [],
          branches: [],
          parent: step.id,
        };
      });
      branchesOf.set(
        step.id,
        step.parallel.map((b) => b.id),
      );
      planned.push({
        id: step.id,
        call: null,
        input: {},
        ...(step.when ? { when: step.when } : {}),
        retry: { attempts: 1, backoff_ms: 0 },
        retryOnResume: false,
        after,
        branches,
        parent: null,
      });
    } else {
      checkCallOf(step.call, `${where}.call`);
      checkRefs(step.input, `${where}.input`, ancestors);
      if (step.when) checkRefs(step.when, `${where}.when`, ancestors);
      planned.push({
        id: step.id,
        call: step.call,
        input: step.input,
        ...(step.when ? { when: step.when } : {}),
        retry: { attempts: step.retry?.attempts ?? 1, backoff_ms: step.retry?.backoff_ms ?? 1000 },
        retryOnResume: step.retry_on_resume === true,
        after,
        branches: [],
        parent: null,
      });
    }
    before.set(step.id, ancestors);
  });

  if (definition.output !== undefined) {
    for (const expr of referencesIn(definition.output)) {
      const path = parseReference(expr);
      if (!path || (path[0] === 'steps' && !seen.has(path[1] ?? ''))) {
        throw invalid(`output: {{${expr}}} does not refer to an input, a step or the run`);
      }
    }
  }
  return { definition, steps: planned };
}
