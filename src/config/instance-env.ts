/**
 * What of the hub's environment its instances' processes get (`instances.envAllow`, `instances.env`).
 * The default passes what any program needs to run and reach the network, and nothing else: the
 * hub's own secrets (SWITCHBOARD_ADMIN_TOKEN, the variables gateway `${env:…}` secrets name) stay in
 * the hub. Each adapter adds the variables its real CLI needs to reach its model (see the adapters'
 * `cliEnv`); a scripted stand-in and a `command` get none of those.
 */
import { z } from 'zod';

export const DEFAULT_INSTANCE_ENV_ALLOW = [
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'LANG',
  'LANGUAGE',
  'LC_*',
  'TERM',
  'COLORTERM',
  'TZ',
  'TMPDIR',
  'TMP',
  'TEMP',
  'XDG_CONFIG_HOME',
  'XDG_CACHE_HOME',
  'XDG_DATA_HOME',
  'XDG_STATE_HOME',
  'XDG_RUNTIME_DIR',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'http_proxy',
  'https_proxy',
  'no_proxy',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'NODE_EXTRA_CA_CERTS',
];

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A variable name, or a prefix pattern ending in `*` (`LC_*`). */
export const envPattern = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*\*?$/, 'a variable name, or a prefix ending in * (e.g. LC_*)');

export const envName = z.string().regex(NAME, 'a variable name (letters, digits, _)');
