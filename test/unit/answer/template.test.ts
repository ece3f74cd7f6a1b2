import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TemplateError, checkTemplate, expandTemplate, renderAnswerTemplate, resolveHostname, validateAnswerTemplate } from '../../../shared/answer/template';
import { ctx } from './answer-fixtures';

test('variables expand, with or without spaces inside the braces', () => {
  assert.equal(expandTemplate('network --hostname={{hostname}} # {{ mac }}', { hostname: 'web-01', mac: 'aa' }), 'network --hostname=web-01 # aa');
});

test('unknown variables and broken braces are errors with their line', () => {
  const issues = checkTemplate('text\nnetwork --hostname={{hostnme}}\n{{hostname}\nok {{ Hostname }}\n', ['hostname']);
  assert.deepEqual(issues.map((i) => i.line), [2, 3, 4]);
  assert.match(issues[0]?.message ?? '', /unknown variable \{\{hostnme\}\}; known: hostname/);
  assert.match(issues[1]?.message ?? '', /unbalanced/);
  assert.match(issues[2]?.message ?? '', /not a variable name/);
  assert.throws(() => expandTemplate('{{nope}}', {}), TemplateError);
});

test('host names: inventory first, else the pattern; generic renders drop MAC-based names', () => {
  assert.equal(resolveHostname('node-{{mac_suffix}}', { mac: '52:54:00:ab:cd:ef', vars: {} }), 'node-abcdef');
  assert.equal(resolveHostname('{{rack}}-{{mac_hex}}', { mac: '52:54:00:ab:cd:ef', vars: { rack: 'R7' } }), 'r7-525400abcdef');
  assert.equal(resolveHostname('node-{{mac_suffix}}', { mac: '52:54:00:ab:cd:ef', hostname: 'db-1', vars: {} }), 'db-1');
  assert.equal(resolveHostname('node-{{mac_suffix}}', { mac: null, vars: {} }), null);
  assert.equal(resolveHostname('fixed', { mac: null, vars: {} }), 'fixed');
  assert.throws(() => resolveHostname('{{rack}}', { mac: '52:54:00:ab:cd:ef', vars: {} }), /unknown variable \{\{rack\}\}/);
  assert.throws(() => resolveHostname('-{{rack}}', { mac: '52:54:00:ab:cd:ef', vars: { rack: 'x' } }), /not a valid host name/);
});

test('imported templates: validated against built-ins plus inventory columns, filled per machine', () => {
  const tpl = { format: 'kickstart' as const, text: 'network --hostname={{hostname}} --ip={{ip}} --netmask={{netmask}}\n# rack {{rack}} {{progress_url}}\n' };
  assert.equal(validateAnswerTemplate(tpl).length, 1);
  assert.deepEqual(validateAnswerTemplate(tpl, ['rack']), []);
  const text = renderAnswerTemplate(tpl, { mac: '52:54:00:00:00:10', ip: '10.0.0.5', prefix: 24, vars: { rack: 'r1' } }, ctx('rhel9'), { hostname: 'web-01' });
  assert.equal(text, 'network --hostname=web-01 --ip=10.0.0.5 --netmask=255.255.255.0\n# rack r1 http://10.77.0.1:8080/api/progress/52:54:00:00:00:10\n');
  assert.throws(() => renderAnswerTemplate(tpl, { mac: null, vars: { rack: 'r' } }, ctx('debian12'), { hostname: null }), /cannot be served to Debian 12/);
  assert.match(validateAnswerTemplate({ format: 'autoinstall', text: 'autoinstall:\n' })[0]?.message ?? '', /#cloud-config/);
});
