/**
 * `switchboard dashboard [--open]`: prints the dashboard's login link, `<hub>/ui/#token=<token>`, with
 * the admin token (or `--token` for an agent's view). The token rides in the URL fragment, which a
 * browser never sends to the hub, so no request line or log holds it; the page moves it into
 * sessionStorage and sends it as a bearer header. `--open` hands the link to xdg-open / open.
 */
import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import { SwitchboardError } from '../../client/errors.js';
import { parseUrls } from '../../client/failover.js';
import { hubUrl, readAdminToken } from './connection.js';
import { printJson, printLines } from './output.js';
import { action, usageExits } from './run.js';

interface DashboardFlags {
  url?: string;
  token?: string;
  home?: string;
  open?: boolean;
  json?: boolean;
}

/**
 * The login link for a hub URL and token: the token only ever in the fragment. Given a cluster's list
 * of URLs, the first node's dashboard (every node shows the same hub).
 */
export function dashboardLink(url: string, token: string): string {
  const base = new URL(parseUrls(url)[0]!);
  base.pathname = '/ui/';
  base.search = '';
  base.hash = `token=${encodeURIComponent(token)}`;
  return base.toString();
}

/** The platform's opener, if this machine has one. */
function openerFor(platform: NodeJS.Platform): string {
  if (platform === 'darwin') return 'open';
  return 'xdg-open';
}

function openInBrowser(link: string): Promise<void> {
  const opener = openerFor(process.platform);
  return new Promise((resolve, reject) => {
    const child = spawn(opener, [link], { stdio: 'ignore', detached: true });
    child.once('error', () =>
      reject(
        new SwitchboardError(
          'unavailable',
          `Cannot open a browser: ${opener} is not installed here; open the link above yourself`,
        ),
      ),
    );
    child.once('spawn', () => {
      child.unref();
      resolve();
    });
  });
}

export function registerDashboard(program: Command): void {
  const cmd = program
    .command('dashboard')
    .description('Print (or --open) the web dashboard’s login link for the hub')
    .option('--url <url>', 'hub URL (default $SWITCHBOARD_URL or http://127.0.0.1:7700)')
    .option('--token <token>', 'an agent token: the dashboard shows what that agent may see')
    .option(
      '--home <dir>',
      'data directory holding admin-token (default $SWITCHBOARD_HOME or ~/.switchboard)',
    )
    .option('--open', 'open the link in the default browser (xdg-open / open)')
    .option('--json', 'print machine-readable JSON');
  usageExits(cmd);
  cmd.action(
    action(async (options: DashboardFlags) => {
      const token = options.token ?? readAdminToken({ home: options.home });
      const link = dashboardLink(hubUrl(options), token);
      if (options.json) printJson({ url: link, identity: options.token ? 'agent' : 'admin' });
      else printLines([link]);
      if (options.open) await openInBrowser(link);
    }),
  );
}
