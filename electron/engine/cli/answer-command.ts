/**
 * `fieldboot answer ...`: print the answer file a profile gives one machine, check profiles, hash a
 * password. Exit codes: 0 ok, 2 bad usage (options, unreadable files), 3 invalid input (profile,
 * inventory, template, or a profile that cannot be rendered for the target).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { hashPassword } from '../../../shared/answer/crypt';
import { InventoryError, hostVarsFor, parseInventory, type Inventory } from '../../../shared/answer/inventory';
import { resolveMachine } from '../../../shared/answer/machine';
import { DEFAULT_PROFILE, RenderError, TARGETS, isTargetId, type TargetId } from '../../../shared/answer/profile';
import { formatIssues, parseProfileText } from '../../../shared/answer/profile-validate';
import { defaultRenderContext, renderAnswer } from '../../../shared/answer/render';
import { TemplateError, renderAnswerTemplate, validateAnswerTemplate } from '../../../shared/answer/template';
import { normalizeMac, parseIpv4 } from '../../../shared/net/ipv4';

export const AnswerExit = { Ok: 0, Usage: 2, Invalid: 3 } as const;

export const ANSWER_USAGE = `Usage:
  fieldboot answer render --profile FILE [--mac MAC] [--inventory CSV] [--target TARGET]
                          [--server-ip IP] [--http-port N] [--progress-url URL] [--repo-url URL]
  fieldboot answer render --template FILE --target TARGET [--profile FILE] [--mac MAC] [--inventory CSV] ...
  fieldboot answer validate --profile FILE [--inventory CSV]
  fieldboot answer hash-password            (reads the password from stdin, prints its SHA-512 crypt hash)

Targets: ${Object.keys(TARGETS).join(', ')}
Without --mac the file is generic (no per-machine host name or address).
--progress-url may contain {{mac}}; defaults: http://SERVER-IP[:PORT]/api/progress/{{mac}} and
http://SERVER-IP[:PORT]/images/TARGET/ for the install tree; --server-ip defaults to 127.0.0.1.
Exit codes: 0 ok, 2 bad usage, 3 invalid profile, inventory or template.
`;

class Fail extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new Fail(AnswerExit.Usage, `cannot read ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

function loadProfile(path: string) {
  const result = parseProfileText(readText(path, 'profile'));
  if (!result.ok) throw new Fail(AnswerExit.Invalid, `profile ${path} is not valid:\n${formatIssues(result.issues)}`);
  return result.profile;
}

function loadInventory(path: string | undefined): Inventory | null {
  if (path === undefined) return null;
  try {
    return parseInventory(readText(path, 'inventory'));
  } catch (err) {
    if (err instanceof InventoryError) throw new Fail(AnswerExit.Invalid, `${path}: ${err.message}`);
    throw err;
  }
}

const OPTIONS = {
  profile: { type: 'string' },
  template: { type: 'string' },
  mac: { type: 'string' },
  inventory: { type: 'string' },
  target: { type: 'string' },
  'server-ip': { type: 'string' },
  'http-port': { type: 'string' },
  'progress-url': { type: 'string' },
  'repo-url': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function render(args: string[]): string {
  let values;
  try {
    ({ values } = parseArgs({ args, options: OPTIONS, strict: true, allowPositionals: false }));
  } catch (err) {
    throw new Fail(AnswerExit.Usage, (err as Error).message);
  }
  if (values.help) return ANSWER_USAGE;
  if (!values.profile && !values.template) throw new Fail(AnswerExit.Usage, 'answer render needs --profile FILE (or --template FILE --target TARGET)');
  let mac: string | null = null;
  if (values.mac !== undefined) {
    mac = normalizeMac(values.mac);
    if (!mac) throw new Fail(AnswerExit.Usage, `--mac: "${values.mac}" is not a MAC address`);
  }
  const serverIp = values['server-ip'] ?? '127.0.0.1';
  if (parseIpv4(serverIp) === null) throw new Fail(AnswerExit.Usage, `--server-ip: "${serverIp}" is not an IPv4 address`);
  const port = values['http-port'] === undefined ? 80 : Number(values['http-port']);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Fail(AnswerExit.Usage, '--http-port must be a port number (1-65535)');

  const profile = values.profile ? loadProfile(values.profile) : structuredClone(DEFAULT_PROFILE);
  const targetName = values.target ?? profile.target;
  if (!targetName) throw new Fail(AnswerExit.Usage, `no target: give --target (${Object.keys(TARGETS).join(', ')}) or set "target" in the profile`);
  if (!isTargetId(targetName)) throw new Fail(AnswerExit.Usage, `--target: unknown target "${targetName}" (one of ${Object.keys(TARGETS).join(', ')})`);
  const target: TargetId = targetName;
  const inventory = loadInventory(values.inventory);
  const host = hostVarsFor(inventory, mac);
  const ctx = defaultRenderContext(target, serverIp, port);
  if (values['progress-url']) ctx.progressUrl = values['progress-url'];
  if (values['repo-url']) ctx.repoUrl = values['repo-url'];

  try {
    if (values.template) {
      const format = TARGETS[target].format;
      const template = { format, text: readText(values.template, 'template') };
      const issues = validateAnswerTemplate(template, inventory?.columns ?? []);
      if (issues.length) throw new TemplateError(issues);
      const m = resolveMachine(profile, host, ctx);
      const net = m.network.mode === 'static' ? m.network : null;
      return renderAnswerTemplate(template, host, ctx, {
        hostname: m.hostname,
        ...(m.domain ? { domain: m.domain } : {}),
        ...(net ? { prefix: net.prefix, dns: net.dns, ...(net.gateway ? { gateway: net.gateway } : {}) } : {}),
      });
    }
    return renderAnswer(profile, host, ctx).text;
  } catch (err) {
    if (err instanceof TemplateError) throw new Fail(AnswerExit.Invalid, `template ${values.template ?? ''} is not valid:\n${err.message.replace(/^/gm, '  ')}`);
    if (err instanceof RenderError) throw new Fail(AnswerExit.Invalid, `cannot render ${TARGETS[target].label} from this profile: ${err.path}: ${err.message}`);
    throw err;
  }
}

function validate(args: string[]): string {
  let values;
  try {
    ({ values } = parseArgs({ args, options: { profile: { type: 'string' }, inventory: { type: 'string' } }, strict: true }));
  } catch (err) {
    throw new Fail(AnswerExit.Usage, (err as Error).message);
  }
  if (!values.profile) throw new Fail(AnswerExit.Usage, 'answer validate needs --profile FILE');
  const profile = loadProfile(values.profile);
  const inventory = loadInventory(values.inventory);
  return `profile ${values.profile} is valid ("${profile.name}"${inventory ? `; inventory lists ${inventory.rows.length} machines` : ''})\n`;
}

async function readPassword(): Promise<string> {
  const stdin = process.stdin;
  if (stdin.isTTY) process.stderr.write('Password (not shown, not stored): ');
  if (stdin.isTTY) stdin.setRawMode(true);
  const chunks: Buffer[] = [];
  return new Promise((resolve, reject) => {
    const done = () => {
      if (stdin.isTTY) {
        stdin.setRawMode(false);
        process.stderr.write('\n');
      }
      stdin.pause();
      stdin.removeAllListeners('data');
      const text = Buffer.concat(chunks).toString('utf8');
      resolve(text.replace(/\r?\n[\s\S]*$/, ''));
    };
    stdin.on('data', (c: Buffer) => {
      // In raw mode Enter arrives as \r and Ctrl-C as \x03.
      if (stdin.isTTY && c.includes(3)) {
        if (stdin.isTTY) stdin.setRawMode(false);
        reject(new Fail(AnswerExit.Usage, 'cancelled'));
        return;
      }
      chunks.push(c);
      if (c.includes(10) || c.includes(13)) done();
    });
    stdin.once('end', done);
    stdin.once('error', reject);
  });
}

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  try {
    switch (sub) {
      case 'render':
        process.stdout.write(render(rest));
        return AnswerExit.Ok;
      case 'validate':
        process.stdout.write(validate(rest));
        return AnswerExit.Ok;
      case 'hash-password': {
        if (rest.length) throw new Fail(AnswerExit.Usage, 'hash-password takes no arguments; it reads the password from stdin (never from the command line, where ps would show it)');
        const plain = (await readPassword()).replace(/\r$/, '');
        if (!plain) throw new Fail(AnswerExit.Usage, 'empty password');
        process.stdout.write(`${hashPassword(plain)}\n`);
        return AnswerExit.Ok;
      }
      case undefined:
      case '--help':
      case '-h':
      case 'help':
        process.stdout.write(ANSWER_USAGE);
        return sub === undefined ? AnswerExit.Usage : AnswerExit.Ok;
      default:
        throw new Fail(AnswerExit.Usage, `unknown answer command "${sub}"\n${ANSWER_USAGE}`);
    }
  } catch (err) {
    if (err instanceof Fail) {
      process.stderr.write(`fieldboot: ${err.message}\n`);
      return err.code;
    }
    throw err;
  }
}
