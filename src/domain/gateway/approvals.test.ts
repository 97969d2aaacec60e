/** Approval rules match in linear time (globs by hand, argument patterns on RE2): hostile tool names and arguments cannot hold the hub, and patterns that would need backtracking are refused at load. */
import { describe, expect, it } from 'vitest';
import { type ApprovalRule, approvalRuleSchema } from '../../config/gateway.js';
import { LinearRegex } from '../../core/linear-regex.js';
import { APPROVAL_MATCH_STEPS, matchRule } from './approvals.js';

const rule = (input: Record<string, unknown>): ApprovalRule => approvalRuleSchema.parse(input);

describe('approval rule matching', () => {
  it('matches tool globs and argument patterns as before', () => {
    const rules = [rule({ tools: ['k8s__delete_*', '*__exec'], args: { namespace: '^prod' } })];
    expect(matchRule(rules, 'k8s__delete_pod', { namespace: 'production' })).toBe(rules[0]);
    expect(matchRule(rules, 'k8s__delete_pod', { namespace: 'staging' })).toBeUndefined();
    expect(matchRule(rules, 'shell__exec', { namespace: 'prod-1' })).toBe(rules[0]);
    expect(matchRule(rules, 'k8s__get_pod', { namespace: 'prod' })).toBeUndefined();
    expect(matchRule(rules, 'k8s__delete_pod', {})).toBeUndefined();
    expect(matchRule([rule({ tools: ['fs__write_?'] })], 'fs__write_a', undefined)).toBeDefined();
    expect(matchRule([rule({ tools: ['x__*'], args: { n: '^4\\d$' } })], 'x__y', { n: 42 })).toBeDefined();
  });

  it('stays fast on patterns that make a backtracking engine take minutes', () => {
    const evil = [
      rule({ tools: [`${'*a'.repeat(20)}*b`], args: {} }),
      rule({ tools: ['*'], args: { text: '^(\\w+\\s?)*$' } }),
      rule({ tools: ['*'], args: { text: '(a|aa)+c' } }),
    ];
    const started = performance.now();
    expect(matchRule(evil, 'a'.repeat(64), { text: `${'a'.repeat(20_000)}!` })).toBeUndefined();
    expect(matchRule(evil, `${'a'.repeat(63)}b`, undefined)).toBe(evil[0]);
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('holds a call whose arguments are too long to decide within the budget', () => {
    const rules = [rule({ tools: ['*'], args: { text: '(a|b|c)+x' } })];
    const huge = 'abc'.repeat(APPROVAL_MATCH_STEPS);
    expect(matchRule(rules, 'any__tool', { text: huge })).toBe(rules[0]);
    expect(matchRule(rules, 'any__tool', { text: 'abc' })).toBeUndefined();
  });

  it('counts the budget as text length times program size, over all the patterns of one call', () => {
    const source = '(?:\\b\\w+\\b\\s?){1,1000}x';
    const size = new LinearRegex(source).programSize;
    const fits = Math.floor(APPROVAL_MATCH_STEPS / size) - 1;
    const big = [rule({ tools: ['*'], args: { text: source } })];
    // No `x`, so nothing matches: only the size decides whether the call is held.
    expect(matchRule(big, 'any__tool', { text: 'a'.repeat(fits) })).toBeUndefined();
    expect(matchRule(big, 'any__tool', { text: 'a'.repeat(fits + 2) })).toBe(big[0]);
    // Two rules reading the same argument share one budget.
    const twice = [rule({ tools: ['*'], args: { text: `${source}y` } }), ...big];
    expect(matchRule(twice, 'any__tool', { text: 'a'.repeat(Math.ceil(fits / 2) + 10) })).toBe(twice[1]);
    expect(matchRule(twice, 'any__tool', { text: 'a'.repeat(Math.floor(fits / 3)) })).toBeUndefined();
  });

  it('refuses argument patterns that need backtracking when the config is read, saying why', () => {
    const refused = (pattern: string) => {
      const parsed = approvalRuleSchema.safeParse({ tools: ['*'], args: { x: pattern } });
      expect(parsed.success, pattern).toBe(false);
      return parsed.error!.issues[0]!.message;
    };
    expect(refused('(a)\\1')).toContain('backreference');
    expect(refused('a{2000}')).toContain('counts go up to 1000');
    expect(refused('^(?!safe)')).toContain('lookahead or lookbehind');
    expect(refused('(')).toContain('not a valid regular expression');
  });
});
