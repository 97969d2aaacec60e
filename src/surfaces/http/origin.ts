/**
 * DNS-rebinding protection: browsers may call the hub only from loopback origins or configured ones,
 * and a hub bound to loopback answers only requests whose Host names a loopback host.
 */
import { isLoopback } from '../../config/schema.js';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

function hostnameOf(value: string): string | undefined {
  try {
    return new URL(value.includes('://') ? value : `http://${value}`).hostname.toLowerCase();
  } catch {
    return undefined;
  }
}

/**
 * DNS-rebinding protection for a hub bound to loopback: the Host header must name a loopback host
 * (or the host of an allowed origin). Origin is checked for every route by the HTTP server.
 */
export function hostAllowed(
  bindHost: string,
  hostHeader: string | undefined,
  allowedOrigins: readonly string[],
): boolean {
  if (!isLoopback(bindHost) || !hostHeader) return true;
  const host = hostnameOf(hostHeader);
  if (!host) return false;
  if (LOOPBACK_HOSTS.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host)) return true;
  return allowedOrigins.some((origin) => hostnameOf(origin) === host);
}

export function originAllowed(origin: string | undefined, extra: readonly string[]): boolean {
  if (!origin) return true;
  if (extra.includes(origin)) return true;
  try {
    const url = new URL(origin);
    return (url.protocol === 'http:' || url.protocol === 'https:') && LOOPBACK_HOSTS.has(url.hostname);
  } catch {
    return false;
  }
}
