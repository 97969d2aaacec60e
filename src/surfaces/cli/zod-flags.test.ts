import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { catalog } from '../../ops/catalog.js';
import { fieldFlags, inputFromOptions, kebab, toOptions } from './zod-flags.js';

/** Parses argv (user arguments only) with the options generated for `schema`, as an op command does. */
function parse(schema: z.ZodObject, argv: string[]): Record<string, unknown> {
  const flags = fieldFlags(schema);
  const cmd = new Command('op').exitOverride().configureOutput({ writeErr: () => {} });
  for (const option of toOptions(flags)) cmd.addOption(option);
  cmd.parse(argv, { from: 'user' });
  return inputFromOptions(flags, cmd.opts());
}

describe('generated CLI flags', () => {
  it('are kebab-case for every operation of the catalog', () => {
    const offenders = catalog.flatMap((op) =>
      toOptions(fieldFlags(op.input))
        .filter((option) => !option.hidden && !/^--[a-z0-9]+(-[a-z0-9]+)*$/.test(option.long ?? ''))
        .map((option) => `${op.name} ${option.long}`),
    );
    expect(offenders).toEqual([]);
  });

  it('turn snake_case and camelCase fields into the same kind of flag', () => {
    expect(kebab('agent_id')).toBe('agent-id');
    expect(kebab('connectTimeoutSeconds')).toBe('connect-timeout-seconds');
    expect(kebab('send_message')).toBe('send-message');
    const schema = z.object({ timeoutSeconds: z.number().optional(), agent_id: z.string().optional() });
    expect(fieldFlags(schema).map((f) => f.flag)).toEqual(['timeout-seconds', 'agent-id']);
    expect(parse(schema, ['--timeout-seconds', '5', '--agent-id', 'a'])).toEqual({
      timeoutSeconds: 5,
      agent_id: 'a',
    });
  });

  it('keep a camelCase field’s old spelling as a hidden alias', () => {
    const schema = z.object({ timeoutSeconds: z.number().optional() });
    expect(parse(schema, ['--timeoutSeconds', '7'])).toEqual({ timeoutSeconds: 7 });
    const help = new Command('op');
    for (const option of toOptions(fieldFlags(schema))) help.addOption(option);
    expect(help.helpInformation()).toContain('--timeout-seconds');
    expect(help.helpInformation()).not.toContain('--timeoutSeconds');
  });

  it('set a boolean to true or false in every usual spelling', () => {
    const schema = z.object({ wait: z.boolean().default(true), n: z.number().optional() });
    expect(parse(schema, ['--wait'])).toEqual({ wait: true });
    expect(parse(schema, ['--wait', '--n', '1'])).toEqual({ wait: true, n: 1 });
    expect(parse(schema, ['--wait=false'])).toEqual({ wait: false });
    expect(parse(schema, ['--wait', 'false'])).toEqual({ wait: false });
    expect(parse(schema, ['--wait=true'])).toEqual({ wait: true });
    expect(parse(schema, ['--wait=no'])).toEqual({ wait: false });
    expect(parse(schema, ['--no-wait'])).toEqual({ wait: false });
    expect(parse(schema, [])).toEqual({});
    expect(() => parse(schema, ['--wait=maybe'])).toThrow(/--wait expects true or false, got "maybe"/);
  });

  it('show how to set a boolean to false in the help', () => {
    const help = new Command('op');
    for (const option of toOptions(fieldFlags(z.object({ mark_read: z.boolean().optional() }))))
      help.addOption(option);
    expect(help.helpInformation()).toMatch(
      /--mark-read \[true\|false\].*--mark-read=false or --no-mark-read/,
    );
  });
});
