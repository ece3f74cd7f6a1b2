/**
 * Secrets out of the diagnostics bundle. A bundle is mailed around and attached to tickets, so nothing
 * in it may let someone log in to an installed machine or a BMC, or drive this app:
 *   - values under secret-looking keys (passwordHash, rootPasswordHash, password, token, secret, key...),
 *     whatever their type, in any JSON written to the bundle;
 *   - crypt(3) hashes ($1$, $5$, $6$, $y$, $2b$...) anywhere, in JSON strings and in log text;
 *   - "password=...", "token=...", "Bearer ..." in text;
 *   - and then every secret value seen while redacting, wherever else it turns up (a hash echoed in a log line).
 * Booleans stay (passwordAuthentication: false, hasPassword: true say nothing secret), as do nulls.
 */

export const REDACTED = '[removed]';

/** Key names whose values are secrets. `hasPassword`-style flags are booleans and stay. */
const SECRET_KEY = /pass(?:word|wd|phrase)?|secret|token|hash|credential|private.?key|api.?key|^key$|cookie|session.?id|auth.?header/i;

/** crypt(3) strings: $id$[rounds=N$]salt$hash, and bcrypt's $2b$NN$... (the ids libxcrypt knows). */
const CRYPT_HASH = /\$(?:1|2[abxy]?|5|6|7|y|gy|sha1|md5)\$[^\s"',;]{8,}/g;
/** key=value / key: value pairs in free text whose key says secret. */
const SECRET_ASSIGNMENT = /\b((?:[\w.-]*?)(?:password|passwd|secret|token|api[_-]?key))(["']?\s*[=:]\s*["']?)([^\s"'&,;]+)/gi;
/** Values after a secret-looking key that are flags, empties or already removed. */
const NOT_A_SECRET = /^(?:true|false|null|undefined|none|\[removed\]?|\d{1,3})$/i;
const BEARER = /\b(Bearer\s+)[A-Za-z0-9._~+/=-]{8,}/g;

export class Redactor {
  /** Secret values removed so far (at least 4 characters: shorter would blank innocent text). */
  private readonly seen = new Set<string>();

  constructor(knownSecrets: readonly string[] = []) {
    for (const s of knownSecrets) this.note(s);
  }

  /** A deep copy of a JSON value with the secrets replaced. */
  json(value: unknown): unknown {
    return this.walk(value, null, 0);
  }

  /** Text (a log line, a file) with every secret pattern and every secret already seen replaced. */
  text(text: string): string {
    let out = text
      .replace(CRYPT_HASH, (m) => {
        this.note(m);
        return REDACTED;
      })
      .replace(BEARER, `$1${REDACTED}`)
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
