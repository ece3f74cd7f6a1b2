import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { hashPassword, randomSalt, verifyPassword } from '../../../shared/answer/crypt';
import { SHA512_CRYPT_RE } from '../../../shared/answer/profile-validate';

/** python's crypt module is libxcrypt (glibc's crypt on older systems): the reference. */
function pythonCrypt(password: string, setting: string): string | null {
  const r = spawnSync('python3', ['-W', 'ignore', '-c', 'import crypt,sys; print(crypt.crypt(sys.argv[1], sys.argv[2]))', password, setting], { encoding: 'utf8' });
  if (r.status !== 0) return null;
  return r.stdout.trim();
}

const VECTORS: Array<[string, string, number?]> = [
  ['password', 'saltsalt'],
  ['', 'emptypass'],
  ['pässwörd ünïcode 名前', 'utf8salt'],
  ['Hello world!', 'saltstring'],
  ['correct horse battery staple', 'abcdefghijklmnop'],
  ['x'.repeat(200), 'longpw'],
  ['rounds', 'roundsalt', 10000],
  ['rounds', 'roundsalt', 5000],
  ['ünïcode', 'r', 77777],
];

test('matches openssl passwd -6 (default rounds)', (t) => {
  if (spawnSync('openssl', ['version']).status !== 0) return t.skip('openssl not installed');
  for (const [pw, salt, rounds] of VECTORS) {
    if (rounds !== undefined) continue;
    const r = spawnSync('openssl', ['passwd', '-6', '-salt', salt, '-stdin'], { input: pw, encoding: 'utf8' });
    if (pw === '') continue; // openssl -stdin cannot read an empty line as a password
    assert.equal(r.status, 0, r.stderr);
    assert.equal(hashPassword(pw, { salt }), r.stdout.trim(), `password ${JSON.stringify(pw)}`);
  }
});

test('matches python crypt (libxcrypt) including UTF-8, empty, long and rounds=', (t) => {
  if (pythonCrypt('a', '$6$ab') === null) return t.skip('python3 crypt module not available');
  for (const [pw, salt, rounds] of VECTORS) {
    const setting = rounds === undefined ? `$6$${salt}` : `$6$rounds=${rounds}$${salt}`;
    assert.equal(hashPassword(pw, rounds === undefined ? { salt } : { salt, rounds }), pythonCrypt(pw, setting), `password ${JSON.stringify(pw)} ${setting}`);
  }
});

test('Drepper\'s published vector', () => {
  assert.equal(
    hashPassword('Hello world!', { salt: 'saltstring' }),
    '$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1',
  );
});

test('random salts are 16 characters, hashes verify, and python agrees with a random-salt hash', () => {
  const s = randomSalt();
  assert.match(s, /^[./0-9A-Za-z]{16}$/);
  assert.notEqual(randomSalt(), s);
  const h = hashPassword('pässwörd');
  assert.match(h, SHA512_CRYPT_RE);
  assert.ok(verifyPassword('pässwörd', h));
  assert.ok(!verifyPassword('passwörd', h));
  assert.ok(!verifyPassword('x', 'plain'));
  const py = pythonCrypt('pässwörd', h);
  if (py !== null) assert.equal(py, h);
});

test('unsafe parameters are refused', () => {
  assert.throws(() => hashPassword('x', { rounds: 100 }), /rounds/);
  assert.throws(() => hashPassword('x', { salt: 'bad$salt' }), /salt/);
  assert.throws(() => hashPassword('x', { salt: 'a'.repeat(17) }), /salt/);
});
