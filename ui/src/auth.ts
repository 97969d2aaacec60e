/**
 * The page's token: `switchboard dashboard` puts it in the URL fragment (`#token=…`), which the
 * browser never sends to the hub. It is kept in sessionStorage (this tab only), removed from the
 * address bar and history, and sent as a bearer header — never as a cookie, so no other site's page
 * can make the browser act with it.
 */
const KEY = 'switchboard.token';

export function takeToken(): string | undefined {
  const params = new URLSearchParams(window.location.hash.replace(/^#/, ''));
  const fromFragment = params.get('token');
  if (fromFragment) {
    sessionStorage.setItem(KEY, fromFragment);
    history.replaceState(null, '', window.location.pathname + window.location.search);
  }
  return sessionStorage.getItem(KEY) ?? undefined;
}

export function forgetToken(): void {
  sessionStorage.removeItem(KEY);
}
