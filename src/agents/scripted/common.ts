/** What every protocol of the scripted agent shares: waiting, hanging, writing lines, exiting. */

/** Thrown when a wait is cut short by an interrupt. */
export class Interrupted extends Error {}

/** Waits ms, or until the signal aborts (then throws Interrupted). */
export const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(new Interrupted());
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(new Interrupted());
      },
      { once: true },
    );
  });

/** Never settles, unless the signal aborts. */
export const forever = async (signal?: AbortSignal): Promise<never> => {
  for (;;) await sleep(2 ** 30, signal);
};

/** The credentials the stand-in holds (its MCP servers' bearer tokens): never written to stdout. */
const secrets = new Set<string>();

/** Registers a credential the stand-in holds, so no line it prints carries it. */
export function hideSecret(value: string | undefined): void {
  if (value && value.length >= 8) secrets.add(value);
}

/** A line with every credential the stand-in holds (and its SWITCHBOARD_TOKEN) replaced. */
export function withoutSecrets(line: string): string {
  let out = line;
  const own = process.env.SWITCHBOARD_TOKEN;
  for (const s of own && own.length >= 8 ? [...secrets, own] : secrets) {
    out = out.split(s).join('[redacted]');
    const escaped = JSON.stringify(s).slice(1, -1);
    if (escaped !== s) out = out.split(escaped).join('[redacted]');
  }
  return out;
}

/** One JSON object on one stdout line, without the stand-in's credentials; settles once it is handed to the OS. */
export function write(obj: unknown): Promise<void> {
  const line = withoutSecrets(JSON.stringify(obj));
  return new Promise((resolve) => process.stdout.write(`${line}\n`, () => resolve()));
}

/** Flushes stdout and exits, with an optional line on stderr. */
export async function exitWith(code: number, why?: string): Promise<never> {
  if (why) process.stderr.write(`${withoutSecrets(why)}\n`);
  await new Promise<void>((r) => process.stdout.write('', () => r()));
  process.exit(code);
}

/** A crash spec (`true` or an exit code) as the exit code, or null when there is none. */
export const crashCode = (crash: boolean | number | undefined): number | null =>
  crash === undefined || crash === false ? null : crash === true ? 1 : crash;

/** Reads stdin to its end. */
export async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}
