/**
 * Secrets out of the diagnostics bundle. A bundle is mailed around and attached to tickets, so nothing
 * in it may let someone log in to an installed machine or a BMC, or drive this app:
 *   - values under secret-looking keys (passwordHash, rootPasswordHash, password, token, secret, key...),
 *     whatever their type, in any JSON written to the bundle;
 *   - crypt(3) hashes ($1$, $5$, $6$, $y$, $2b$...) anywhere, in JSON strings and in log text;
 *   - "password=...", "token=...", "Bearer ..." in text;
 *   - "user:password@" in URLs and "Basic ..." credentials in text;
 *   - and then every secret value seen while redacting, wherever else it turns up (a hash echoed in a log line).
 * Patterns miss a secret in free text that nothing marks as one: a password pasted into a hostname field, an
 * error message quoting a BMC's reply. So the app also hands over the secret values it knows (KnownSecret:
 * profile password hashes, passwords typed this session, BMC passwords, the web UI token), and every file is
 * scrubbed of those literal values and their cheap encodings (JSON-escaped, URL-encoded, base64, HTTP Basic
 * user:password), each replaced by a marker naming what was there ("[removed: BMC password (10.0.0.5:623)]").
 * Booleans stay (passwordAuthentication: false, hasPassword: true say nothing secret), as do nulls.
 */

export const REDACTED = '[removed]';

/** A value the app knows to be secret and what it is; the marker names `what`, never the value. */
export interface KnownSecret {
  value: string;
  /** "root password (profile rack12)", "web UI token"... */
  what: string;
  /** With a user, base64("user:value") is removed too: what an HTTP Basic Authorization header carries. */
  user?: string;
}

/**
 * Shorter known values are not scrubbed: replacing every "abc" would blank innocent text (and a three-letter
 * password is not protected by anything). The README says so.
 */
export const MIN_SECRET_LENGTH = 4;

/** "[removed: BMC password (10.0.0.5:623)]"; what is trimmed to characters that keep JSON and logs intact. */
export function removedMarker(what: string): string {
  const clean = what.replace(/[^\w .:@/()+-]/g, '').trim().slice(0, 80);
  return clean ? `[removed: ${clean}]` : REDACTED;
}

/**
 * The ways a secret value is written in the files of a bundle: as is, inside a JSON string (quotes and
 * backslashes escaped), URL-encoded (both hex cases, space as %20 and as +), base64 and base64url alone, and
 * base64("user:value") for HTTP Basic (RFC 7617 section 2). A secret in the middle of a longer base64 text
 * is not found (its encoding depends on its offset); no file in the bundle carries one.
 */
export function secretForms(secret: KnownSecret): string[] {
  const v = secret.value;
  const forms = new Set<string>([v]);
  forms.add(JSON.stringify(v).slice(1, -1));
  const url = encodeURIComponent(v);
  for (const u of [url, url.replace(/%20/g, '+')]) {
    forms.add(u);
    forms.add(u.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()));
  }
  const b64 = Buffer.from(v, 'utf8').toString('base64');
  forms.add(b64);
  forms.add(b64.replace(/=+$/, ''));
  forms.add(Buffer.from(v, 'utf8').toString('base64url'));
  if (secret.user !== undefined) forms.add(Buffer.from(`${secret.user}:${v}`, 'utf8').toString('base64'));
  // A crypt(3) hash's digest on its own (the part after the last '$') is as good as the whole for cracking.
  const digest = /^\$[^$]+\$.*\$([^$]{16,})$/.exec(v)?.[1];
  if (digest) forms.add(digest);
  return [...forms].filter((f) => f.length >= MIN_SECRET_LENGTH);
}

/** Key names whose values are secrets. `hasPassword`-style flags are booleans and stay. */
const SECRET_KEY = /pass(?:word|wd|phrase)?|secret|token|hash|credential|private.?key|api.?key|^key$|cookie|session.?id|auth.?header/i;

/** crypt(3) strings: $id$[rounds=N$]salt$hash, and bcrypt's $2b$NN$... (the ids libxcrypt knows). */
const CRYPT_HASH = /\$(?:1|2[abxy]?|5|6|7|y|gy|sha1|md5)\$[^\s"',;]{8,}/g;
/** key=value / key: value pairs in free text whose key says secret. */
const SECRET_ASSIGNMENT = /\b((?:[\w.-]*?)(?:password|passwd|secret|token|api[_-]?key))(["']?\s*[=:]\s*["']?)([^\s"'&,;]+)/gi;
/** Values after a secret-looking key that are flags, empties or already removed. */
const NOT_A_SECRET = /^(?:true|false|null|undefined|none|\[removed(?:\]|:.*)?|\d{1,3})$/i;
const BEARER = /\b(Bearer\s+)[A-Za-z0-9._~+/=-]{8,}/g;
/** HTTP Basic credentials (RFC 7617): "Basic " and base64 of user:password. */
const BASIC = /\b(Basic\s+)([A-Za-z0-9+/]{6,}={0,2})/g;
/** scheme://user:password@host (RFC 3986 section 3.2.1 deprecates it; mirror URLs still carry it). */
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/[^\s/:@"']*:)([^\s/@"']+)(@)/gi;

/** Markers as text() writes them. */
const MARKER = /\[removed(?:: [^\]]*)?\]/g;
/** Two private-use characters (U+E000-U+EFFF) hold a literal's index while text() works: 4096² literals. */
const PLACEHOLDER_BASE = 0xe000;
const PLACEHOLDER = /\uF8FF[\uE000-\uEFFF]{2}/g;
function placeholder(index: number): string {
  return `\uF8FF${String.fromCharCode(PLACEHOLDER_BASE + (index >> 12), PLACEHOLDER_BASE + (index & 0xfff))}`;
}
function placeholderIndex(slot: string): number {
  return ((slot.charCodeAt(1) - PLACEHOLDER_BASE) << 12) | (slot.charCodeAt(2) - PLACEHOLDER_BASE);
}

/** True when base64 text decodes to printable "user:password" (RFC 7617 section 2), as prose rarely does. */
function isBasicCredentials(value: string): boolean {
  const decoded = Buffer.from(value, 'base64').toString('latin1');
  const colon = decoded.indexOf(':');
  return colon > 0 && colon < decoded.length - 1 && [...decoded].every((ch) => ch >= ' ' && ch !== '\x7f');
}

export class Redactor {
  /** Secret values removed so far (at least 4 characters: shorter would blank innocent text). */
  private readonly seen = new Set<string>();
  /** Every written form of every known secret with its marker, longest first (a form inside another goes whole). */
  private readonly literals: { form: string; marker: string; digits: boolean }[] = [];

  /** Bare strings are known secrets whose marker says only "secret". */
  constructor(knownSecrets: readonly (string | KnownSecret)[] = []) {
    const byForm = new Map<string, string>();
    for (const k of knownSecrets) {
      const secret = typeof k === 'string' ? { value: k, what: 'secret' } : k;
      if (secret.value.length < MIN_SECRET_LENGTH || NOT_A_SECRET.test(secret.value)) continue;
      // The first name given for a value wins (the caller lists the most telling first).
      for (const form of secretForms(secret)) if (!byForm.has(form)) byForm.set(form, removedMarker(secret.what));
    }
    for (const [form, marker] of byForm) this.literals.push({ form, marker, digits: /^\d+$/.test(form) });
    this.literals.sort((a, b) => b.form.length - a.form.length);
  }

  /** A deep copy of a JSON value with the secrets replaced. */
  json(value: unknown): unknown {
    return this.walk(value, null, 0);
  }

  /** Text (a log line, a file) with every secret pattern and every secret already seen replaced. */
  text(text: string): string {
    // Known values first, so their markers say what they were; the patterns then catch what nobody named.
    // Each form becomes a placeholder of private-use characters until all are done, so a shorter secret
    // ("password") is not found again inside the marker put in for a longer one ("[removed: root password]").
    let out = text;
    this.literals.forEach((l, i) => {
      if (!out.includes(l.form)) return;
      const slot = placeholder(i);
      // A numeric secret (a PIN) inside a longer number is not that secret: "1234" stays in "712345".
      out = l.digits ? out.replace(new RegExp(`(?<!\\d)${l.form}(?!\\d)`, 'g'), slot) : out.split(l.form).join(slot);
    });
    out = out.replace(PLACEHOLDER, (m) => this.literals[placeholderIndex(m)]?.marker ?? REDACTED);
    out = out
      .replace(CRYPT_HASH, (m) => {
        this.note(m);
        return REDACTED;
      })
      .replace(BEARER, `$1${REDACTED}`)
      .replace(BASIC, (m: string, scheme: string, value: string) => {
        // Only base64 of "user:password": "Basic authentication" is prose.
        if (!isBasicCredentials(value)) return m;
        this.note(value);
        return `${scheme}${REDACTED}`;
      })
      .replace(URL_USERINFO, (_m: string, head: string, password: string, at: string) => {
        this.note(password);
        return `${head}${REDACTED}${at}`;
      })
      .replace(SECRET_ASSIGNMENT, (m: string, key: string, sep: string, value: string) => {
        // "hasPassword": true and the like are flags, not secrets (and "true" must not become one).
        if (NOT_A_SECRET.test(value)) return m;
        this.note(value);
        return `${key}${sep}${REDACTED}`;
      });
    // Longest first, so a secret containing another is replaced whole.
    for (const s of [...this.seen].sort((a, b) => b.length - a.length)) if (out.includes(s)) out = out.split(s).join(REDACTED);
    return out;
  }

  /** Secret values removed so far (the export's self-check scans the finished files for them). */
  secrets(): string[] {
    return [...this.seen];
  }

  /** True when text still holds a known secret's form or a value seen (the export's last check on each file). */
  leaks(text: string): boolean {
    // A marker's own words ("root password") may equal a secret ("password"): they are not a leak.
    text = text.replace(MARKER, '\0');
    for (const l of this.literals) {
      if (l.digits ? new RegExp(`(?<!\\d)${l.form}(?!\\d)`).test(text) : text.includes(l.form)) return true;
    }
    for (const s of this.seen) if (text.includes(s)) return true;
    return false;
  }

  private note(value: string): void {
    if (value.length >= 4 && !NOT_A_SECRET.test(value)) this.seen.add(value);
  }

  private walk(value: unknown, key: string | null, depth: number): unknown {
    // Profiles and configs are a few levels deep; a cycle or a pathological value stops here.
    if (depth > 32) return REDACTED;
    if (key !== null && SECRET_KEY.test(key) && value !== null && typeof value !== 'boolean') {
      this.collect(value, depth);
      return REDACTED;
    }
    if (typeof value === 'string') {
      return value.replace(CRYPT_HASH, (m) => {
        this.note(m);
        return REDACTED;
      });
    }
    if (Array.isArray(value)) return value.map((v) => this.walk(v, null, depth + 1));
    if (value !== null && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = this.walk(v, k, depth + 1);
      return out;
    }
    return value;
  }

  /** Remember every string under a secret key, so it is also scrubbed from text. */
  private collect(value: unknown, depth: number): void {
    if (depth > 32) return;
    if (typeof value === 'string') this.note(value);
    else if (typeof value === 'number') this.note(String(value));
    else if (Array.isArray(value)) for (const v of value) this.collect(v, depth + 1);
    else if (value !== null && typeof value === 'object') for (const v of Object.values(value)) this.collect(v, depth + 1);
  }
}
