/**
 * `{{name}}` variables: in hostname patterns, and in raw kickstart/preseed files a technician imports
 * as a template ("serve my own kickstart, but per machine"). A template is checked before it is
 * served: every variable must be one FieldBoot knows, or an inventory column; an unknown name is an
 * error with its line, so a typo never reaches an installer as literal braces.
 */
import type { AnswerFormat, HostVars, RenderContext } from './profile';
import { TARGETS } from './profile';
import { progressUrlFor } from './progress';

/** Variables FieldBoot always provides (an empty string when it has no value, e.g. ip under DHCP). */
export const BUILTIN_VARIABLES = {
  mac: 'the machine\'s MAC, lower-case with colons (52:54:00:00:00:10)',
  mac_hex: 'the MAC as 12 hex digits (525400000010)',
  mac_dashed: 'the MAC with dashes (52-54-00-00-00-10)',
  mac_suffix: 'the last 6 hex digits of the MAC (000010)',
  hostname: 'the host name (inventory, or the profile pattern)',
  domain: 'the DNS domain of the profile',
  fqdn: 'hostname.domain (or the host name without a domain)',
  ip: 'static address from the inventory',
  prefix: 'prefix length of the static address',
  netmask: 'netmask of the static address (255.255.255.0)',
  gateway: 'default gateway',
  dns: 'name servers, comma-separated',
  server_ip: 'the FieldBoot server\'s address',
  repo_url: 'URL of the install tree served by FieldBoot',
  progress_url: 'the progress endpoint for this machine (see progress.ts)',
  target: 'the target id (rhel9, debian12, ...)',
} as const;

export type TemplateVariables = Record<string, string>;

export interface TemplateIssue {
  line: number;
  message: string;
}

export class TemplateError extends Error {
  constructor(readonly issues: TemplateIssue[]) {
    super(issues.map((i) => `line ${i.line}: ${i.message}`).join('\n'));
    this.name = 'TemplateError';
  }
}

const VAR_RE = /\{\{\s*([A-Za-z0-9_]*)\s*\}\}/g;

/** Every problem in a template: unknown variables, malformed or unclosed braces. */
export function checkTemplate(text: string, known: Iterable<string>): TemplateIssue[] {
  const names = new Set(known);
  const issues: TemplateIssue[] = [];
  text.split('\n').forEach((lineText, idx) => {
    const line = idx + 1;
    const stripped = lineText.replace(VAR_RE, (_m, name: string) => {
      if (!/^[a-z][a-z0-9_]*$/.test(name)) issues.push({ line, message: `"{{${name}}}" is not a variable name (lower-case letters, digits, _)` });
      else if (!names.has(name)) issues.push({ line, message: `unknown variable {{${name}}}; known: ${[...names].sort().join(', ')}` });
      return '';
    });
    if (stripped.includes('{{') || stripped.includes('}}')) issues.push({ line, message: 'unbalanced "{{" or "}}"; write a variable as {{name}}' });
  });
  return issues;
}

/** Replace every variable; throws TemplateError listing all problems first. */
export function expandTemplate(text: string, vars: TemplateVariables): string {
  const issues = checkTemplate(text, Object.keys(vars));
  if (issues.length) throw new TemplateError(issues);
  return text.replace(VAR_RE, (_m, name: string) => vars[name] ?? '');
}

function macForms(mac: string | null): Record<'mac' | 'mac_hex' | 'mac_dashed' | 'mac_suffix', string> {
  if (!mac) return { mac: '', mac_hex: '', mac_dashed: '', mac_suffix: '' };
  const hex = mac.replace(/:/g, '');
  return { mac, mac_hex: hex, mac_dashed: mac.replace(/:/g, '-'), mac_suffix: hex.slice(6) };
}

export function prefixToNetmask(prefix: number): string {
  const m = prefix <= 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return [(m >>> 24) & 255, (m >>> 16) & 255, (m >>> 8) & 255, m & 255].join('.');
}

/** Variables a hostname pattern may use: MAC forms and inventory columns (not the host name itself). */
export function hostnamePatternVariables(host: HostVars): TemplateVariables {
  const { hostname: _h, ...columns } = host.vars;
  return { ...columns, ...macForms(host.mac) };
}

/**
 * The machine's host name: the inventory's, else the pattern expanded. Null when the pattern needs a
 * MAC and there is none (a generic render), so the installer keeps the name DHCP gives it.
 */
export function resolveHostname(pattern: string, host: HostVars): string | null {
  if (host.hostname) return host.hostname;
  const vars = hostnamePatternVariables(host);
  const issues = checkTemplate(pattern, Object.keys(vars));
  if (issues.length) {
    if (host.mac === null) return null;
    throw new TemplateError(issues);
  }
  const name = expandTemplate(pattern, vars).toLowerCase();
  if (!name || host.mac === null && /\{\{\s*mac/.test(pattern)) return null;
  if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/.test(name)) {
    throw new TemplateError([{ line: 1, message: `host name "${name}" from pattern "${pattern}" is not a valid host name` }]);
  }
  return name;
}

/** Every variable for an imported template of one machine. */
export function templateVariables(
  host: HostVars,
  ctx: RenderContext,
  extra: { hostname: string | null; domain?: string; prefix?: number; gateway?: string; dns?: string[] },
): TemplateVariables {
  const prefix = host.prefix ?? extra.prefix;
  const hostname = extra.hostname ?? '';
  return {
    ...host.vars,
    ...macForms(host.mac),
    hostname,
    domain: extra.domain ?? '',
    fqdn: hostname && extra.domain ? `${hostname}.${extra.domain}` : hostname,
    ip: host.ip ?? '',
    prefix: prefix !== undefined && host.ip ? String(prefix) : '',
    netmask: prefix !== undefined && host.ip ? prefixToNetmask(prefix) : '',
    gateway: host.gateway ?? extra.gateway ?? '',
    dns: (host.dns ?? extra.dns ?? []).join(','),
    server_ip: ctx.serverIp,
    repo_url: ctx.repoUrl,
    progress_url: progressUrlFor(ctx.progressUrl, host.mac),
    target: ctx.target,
  };
}

/** An imported answer file, kept as text and served with its variables filled in. */
export interface AnswerTemplate {
  format: Exclude<AnswerFormat, 'autoinstall'> | 'autoinstall';
  text: string;
}

/**
 * Check an imported template against the variables FieldBoot provides plus the inventory's columns.
 * Returns the issues (empty = fine to serve).
 */
export function validateAnswerTemplate(template: AnswerTemplate, inventoryColumns: readonly string[] = []): TemplateIssue[] {
  const issues = checkTemplate(template.text, [...Object.keys(BUILTIN_VARIABLES), ...inventoryColumns]);
  if (template.format === 'autoinstall' && !/^#cloud-config\s*$/m.test(template.text.split('\n')[0] ?? '')) {
    issues.push({ line: 1, message: 'an autoinstall file must start with "#cloud-config"' });
  }
  return issues;
}

/** Fill an imported template for one machine. Throws TemplateError when it is not valid. */
export function renderAnswerTemplate(
  template: AnswerTemplate,
  host: HostVars,
  ctx: RenderContext,
  extra: Parameters<typeof templateVariables>[2],
): string {
  if (TARGETS[ctx.target].format !== template.format) {
    throw new TemplateError([{ line: 1, message: `a ${template.format} template cannot be served to ${TARGETS[ctx.target].label}, which reads ${TARGETS[ctx.target].format}` }]);
  }
  return expandTemplate(template.text, templateVariables(host, ctx, extra));
}
