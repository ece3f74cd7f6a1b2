import assert from 'node:assert/strict';
import { test } from 'node:test';
import { targetForImage } from '../../../shared/answer/image-target';

test('detected image -> answer-file target', () => {
  const table: [string, string | null, string | null][] = [
    ['rhel', '9.4', 'rhel9'],
    ['rhel', '8.10', 'rhel8'],
    ['rhel', '7.9', null],
    ['rocky', '9.3', 'rocky9'],
    ['rocky', '8.9', 'rocky8'],
    ['alma', '9.4', 'alma9'],
    ['centos', '7.9', 'centos7'],
    ['centos', '9', 'rhel9'],
    ['fedora', '40', 'fedora40'],
    ['fedora', '30', null],
    ['debian', '12.5.0', 'debian12'],
    ['debian', '11.9.0', 'debian11'],
    ['debian', '10.13', null],
    ['ubuntu-legacy', '18.04.6', 'ubuntu1804'],
    ['ubuntu-live-server', '20.04.6', 'ubuntu2004'],
    ['ubuntu-live-server', '22.04.4', 'ubuntu2204'],
    ['ubuntu-live-server', '24.04.1', 'ubuntu2404'],
    ['ubuntu-live-server', null, null],
    ['unknown', '1', null],
    ['rocky', null, null],
  ];
  for (const [family, version, want] of table) {
    assert.equal(targetForImage({ family: family as never, version }), want, `${family} ${version}`);
  }
});
