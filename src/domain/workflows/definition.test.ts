/**
 * Workflow definitions: how a valid one is planned (order, dependencies, parallel branches,
 * defaults), and each invalid one refused with the step and field named: schema errors, duplicate
 * ids, dependencies on later steps, unknown calls, and references to steps that do not surely run
 * before. Also reading definition files (YAML or JSON).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HubError } from '../../core/errors.js';
import { type CallChecker, planDefinition, readDefinitionFile } from './definition.js';

/** Knows send_message and the tools of server `gh`. */
const checkCall: CallChecker = (call) =>
  call === 'send_message' || call.startsWith('gh__')
    ? null
    : `"${call}" is not a hub operation or a known tool`;

const plan = (raw: unknown) => planDefinition(raw, checkCall);

/** The refusal's message (the test fails if the definition is accepted). */
function refusal(raw: unknown): HubError {
  try {
    plan(raw);
  } catch (err) {
    if (err instanceof HubError) return err;
    throw err;
  }
  throw new Error('the definition was accepted');
}
const message = (raw: unknown) => {
  const err = refusal(raw);
  expect(err.code).toBe('invalid_input');
  return err.message.replace(/^Invalid workflow definition: /, '');
};

const step = (id: string, extra: Record<string, unknown> = {}) => ({ id, call: 'send_message', ...extra });

describe('planning a valid definition', () => {
  it('runs top-level steps in order unless depends_on says otherwise, with default retries', () => {
    const { steps } = plan({
      steps: [
        step('a'),
        step('b', { input: { to: 'x' } }),
        step('c', { depends_on: [] }),
        step('d', { depends_on: ['a', 'c'] }),
      ],
    });
    expect(steps.map((s) => [s.id, s.after])).toEqual([
      ['a', []],
      ['b', ['a']],
      ['c', []],
      ['d', ['a', 'c']],
    ]);
    expect(steps[0]).toEqual({
      id: 'a',
      call: 'send_message',
      input: {},
      retry: { attempts: 1, backoff_ms: 1000 },
      retryOnResume: false,
      after: [],
      branches: [],
      parent: null,
    });
    expect(steps[1]!.input).toEqual({ to: 'x' });
  });

  it('plans a parallel step with its branches under it', () => {
    const { steps } = plan({
      steps: [
        step('start'),
        {
          id: 'fan',
          when: '{{inputs.go}}',
          parallel: [
            step('x', { retry: { attempts: 3 }, retry_on_resume: true }),
            { id: 'y', call: 'gh__issue', input: { n: '{{steps.start.output.n}}' } },
          ],
        },
      ],
    });
    const fan = steps[1]!;
    expect(fan).toMatchObject({
      id: 'fan',
      call: null,
      when: '{{inputs.go}}',
      after: ['start'],
      parent: null,
    });
    expect(fan.retry).toEqual({ attempts: 1, backoff_ms: 0 });
    expect(fan.branches).toEqual([
      {
        id: 'x',
        call: 'send_message',
        input: {},
        retry: { attempts: 3, backoff_ms: 1000 },
        retryOnResume: true,
        after: [],
        branches: [],
        parent: 'fan',
      },
      {
        id: 'y',
        call: 'gh__issue',
        input: { n: '{{steps.start.output.n}}' },
        retry: { attempts: 1, backoff_ms: 1000 },
        retryOnResume: false,
        after: [],
        branches: [],
        parent: 'fan',
      },
    ]);
  });

  it('lets a step refer to everything that surely ran before it, transitively and through branches', () => {
    expect(() =>
      plan({
        steps: [
          step('a'),
          { id: 'fan', parallel: [step('x'), step('y')] },
          step('b', {
            input: {
              a: '{{ steps.a.output }}',
              x: '{{steps.x.output.items[0]}}',
              s: '{{steps.y.status}} {{steps.a.error}} {{steps.a.attempts}}',
              r: '{{run.id}} {{inputs.who}}',
            },
            when: '{{steps.fan.status}} == completed',
          }),
        ],
        output: {
          a: '{{steps.a.output}}',
          x: '{{steps.x.output}}',
          who: '{{inputs.who}}',
          run: '{{run.id}}',
        },
      }),
    ).not.toThrow();
  });
});

describe('schema errors name the step and the field', () => {
  it('a bad id, a bad retry, an empty call', () => {
    expect(message({ steps: [step('1x')] })).toBe(
      'steps[0] ("1x").id: a letter, then letters, digits, _ or - (at most 64)',
    );
    expect(message({ steps: [step('a', { retry: { attempts: 0 } })] })).toMatch(
      /^steps\[0\] \("a"\)\.retry\.attempts: .*1/,
    );
    expect(message({ steps: [{ id: 'p', parallel: [{ id: 'b', call: '' }] }] })).toMatch(
      /^steps\[0\]\.parallel\[0\] \("b"\)\.call: /,
    );
  });

  it('unknown fields, on a step or at the top level', () => {
    expect(message({ steps: [step('a', { inptu: {} })] })).toBe('steps[0] ("a"): unknown field "inptu"');
    expect(message({ steps: [step('a')], extra: 1, more: 2 })).toBe(
      '(top level): unknown fields "extra", "more"',
    );
  });

  it('a step with both call and parallel, or neither', () => {
    const either =
      'a step needs either call (with input, when, retry, retry_on_resume) or parallel (a list of steps)';
    expect(message({ steps: [{ id: 'a', call: 'send_message', parallel: [step('b')] }] })).toBe(
      `steps[0] ("a"): ${either}`,
    );
    expect(message({ steps: [{ id: 'a' }] })).toBe(`steps[0] ("a"): ${either}`);
  });

  it('no steps, or not a definition at all', () => {
    expect(message({ steps: [] })).toMatch(/^steps: /);
    expect(message({})).toMatch(/^steps: /);
    expect(message(null)).toMatch(/^\(top level\): /);
  });

  it('lists at most five problems in the message, all of them in the details', () => {
    const err = refusal({ steps: Array.from({ length: 7 }, (_, i) => step(`${i}bad`)) });
    expect(err.message.split('; ')).toHaveLength(5);
    const issues = (err.details as { issues: Array<{ field: string; problem: string }> }).issues;
    expect(issues.map((i) => i.field)).toEqual(
      Array.from({ length: 7 }, (_, i) => `steps[${i}] ("${i}bad").id`),
    );
  });
});

describe('checks beyond the schema', () => {
  it('ids are unique across steps and branches', () => {
    expect(message({ steps: [step('a'), step('a')] })).toBe(
      'steps[1] ("a").id: another step is called "a"; ids must be unique',
    );
    expect(message({ steps: [step('a'), { id: 'p', parallel: [step('b'), step('a')] }] })).toBe(
      'steps[1].parallel[1] ("a").id: another step is called "a"; ids must be unique',
    );
  });

  it('depends_on names only earlier top-level steps', () => {
    const later = 'is not an earlier top-level step (depend only on steps listed above)';
    expect(message({ steps: [step('a', { depends_on: ['b'] }), step('b')] })).toBe(
      `steps[0] ("a").depends_on: "b" ${later}`,
    );
    expect(message({ steps: [step('a', { depends_on: ['a'] })] })).toBe(
      `steps[0] ("a").depends_on: "a" ${later}`,
    );
    expect(message({ steps: [{ id: 'p', parallel: [step('x')] }, step('b', { depends_on: ['x'] })] })).toBe(
      `steps[1] ("b").depends_on: "x" ${later}`,
    );
  });

  it('calls must exist, with the checker’s reason', () => {
    expect(message({ steps: [step('a', { call: 'delete_everything' })] })).toBe(
      'steps[0] ("a").call: "delete_everything" is not a hub operation or a known tool',
    );
    expect(message({ steps: [{ id: 'p', parallel: [step('x'), step('y', { call: 'nope' })] }] })).toBe(
      'steps[0].parallel[1] ("y").call: "nope" is not a hub operation or a known tool',
    );
  });

  it('a template that is not a reference', () => {
    expect(message({ steps: [step('a', { input: { x: 'hi {{ secrets.KEY }}' } })] })).toBe(
      'steps[0] ("a").input: "{{secrets.KEY}}" is not a reference; use {{inputs.NAME}}, {{steps.ID.output...}}, {{steps.ID.status}} or {{run.id}}',
    );
  });

  it('references only to steps that surely ran before', () => {
    const notBefore = (target: string) =>
      `refers to step "${target}", which does not surely run before this step (refer only to steps it follows or depends_on)`;
    // A later step, and the step itself.
    expect(message({ steps: [step('a', { input: { x: '{{steps.b.output}}' } }), step('b')] })).toBe(
      `steps[0] ("a").input: {{steps.b.output}} ${notBefore('b')}`,
    );
    expect(message({ steps: [step('a', { when: '{{steps.a.status}}' })] })).toBe(
      `steps[0] ("a").when: {{steps.a.status}} ${notBefore('a')}`,
    );
    // A step listed above that this one does not depend on (it may still be running).
    expect(
      message({
        steps: [step('a'), step('b'), step('c', { depends_on: ['a'], input: { v: '{{steps.b.output}}' } })],
      }),
    ).toBe(`steps[2] ("c").input: {{steps.b.output}} ${notBefore('b')}`);
    // A sibling branch: branches run at the same time.
    expect(
      message({
        steps: [{ id: 'p', parallel: [step('x'), step('y', { input: { v: '{{steps.x.output}}' } })] }],
      }),
    ).toBe(`steps[0].parallel[1] ("y").input: {{steps.x.output}} ${notBefore('x')}`);
    // No step at all.
    expect(message({ steps: [step('a', { input: { v: '{{steps}}' } })] })).toBe(
      `steps[0] ("a").input: {{steps}} ${notBefore('')}`,
    );
  });

  it('a step has output, status, error and attempts, nothing else', () => {
    expect(message({ steps: [step('a'), step('b', { input: { v: '{{steps.a.result}}' } })] })).toBe(
      'steps[1] ("b").input: {{steps.a.result}}: a step has output, status, error and attempts',
    );
  });

  it('the output refers only to inputs, steps that exist, and the run', () => {
    expect(message({ steps: [step('a')], output: { v: '{{steps.nope.output}}' } })).toBe(
      'output: {{steps.nope.output}} does not refer to an input, a step or the run',
    );
    expect(message({ steps: [step('a')], output: 'x {{env.HOME}}' })).toBe(
      'output: {{env.HOME}} does not refer to an input, a step or the run',
    );
  });
});

describe('readDefinitionFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-definition-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it('reads YAML for .yaml/.yml and JSON otherwise', () => {
    const yaml = file('flow.yml', 'steps:\n  - id: a\n    call: send_message\n');
    expect(readDefinitionFile(yaml)).toEqual({ steps: [{ id: 'a', call: 'send_message' }] });
    expect(readDefinitionFile(file('flow.json', '{"steps": []}'))).toEqual({ steps: [] });
  });

  it('names the file and what is wrong with it', () => {
    const missing = join(dir, 'none.yaml');
    const gone = (() => {
      try {
        readDefinitionFile(missing);
      } catch (err) {
        return err as HubError;
      }
    })();
    expect(gone?.code).toBe('not_found');
    expect(gone?.message).toBe(`Cannot read workflow file ${missing} (ENOENT)`);
    const badYaml = file('bad.yaml', 'steps: [\n');
    expect(() => readDefinitionFile(badYaml)).toThrow(`Workflow file ${badYaml} is not valid YAML: `);
    const badJson = file('bad.json', '{"steps": ');
    expect(() => readDefinitionFile(badJson)).toThrow(`Workflow file ${badJson} is not valid JSON: `);
    expect(() => readDefinitionFile(dir)).toThrow(`Cannot read workflow file ${dir} (EISDIR)`);
  });
});
