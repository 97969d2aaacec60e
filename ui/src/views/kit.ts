/** Small pieces shared by the Tasks, Instances and Gateway views: coalesced refreshes, bars, figures. */
import './kit.css';
import { h } from '../dom.js';

/** Runs `fn` once, `ms` after the first of a burst of calls (events that each would reload the same data). */
export function coalesce(fn: () => void | Promise<void>, ms: number): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return () => {
    if (timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      void Promise.resolve(fn()).catch(() => {
        /* the next event tries again */
      });
    }, ms);
  };
}

/**
 * A horizontal bar: `value` of `max` (no max: an empty bar with the value alone). A budget turns red
 * near its limit (`warnNearMax`); progress does not.
 */
export function bar(value: number, max: number | undefined, label: string, warnNearMax = true): HTMLElement {
  const fill = h('span', { class: 'bar-fill' });
  const share = max && max > 0 ? Math.min(1, value / max) : 0;
  fill.style.width = `${(share * 100).toFixed(1)}%`;
  if (warnNearMax && share >= 0.9) fill.classList.add('hot');
  return h(
    'span',
    { class: 'bar', title: label, 'aria-label': label },
    fill,
    h('span', { class: 'bar-text' }, label),
  );
}

export const usd = (n: number): string => `$${n.toFixed(n >= 1 ? 2 : 4)}`;
export const count = (n: number): string => n.toLocaleString('en-US');
export const ms = (n: number | null): string => (n === null ? '–' : `${n.toLocaleString('en-US')} ms`);

/** A value as short text on one line (results, arguments, outputs). */
export function brief(value: unknown, max = 160): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** A value in full, for a detail pane. */
export function full(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value, null, 2);
}

/** Shown where a load failed (e.g. an op the caller may not use). */
export function failure(err: unknown): HTMLElement {
  return h('p', { class: 'error' }, err instanceof Error ? err.message : String(err));
}
