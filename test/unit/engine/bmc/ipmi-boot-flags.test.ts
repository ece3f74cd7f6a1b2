/**
 * Boot flags (IPMI v2.0 Table 28-14) from `ipmitool chassis bootparam get 5` output, and the read-back check.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BootDevice } from '../../../../shared/model/bmc';
import { decodeBootFlags, parseBootParamOutput, parsePowerStatus } from '../../../../electron/engine/bmc/ipmi-boot-flags';
import { bootMismatch } from '../../../../electron/engine/bmc/bmc-actions';

/** Captured from ipmi_sim 1.0.13 after `chassis bootdev pxe options=efiboot`: it keeps the device, drops the flags. */
const IPMI_SIM_AFTER_EFIBOOT = `Boot parameter version: 1
Boot parameter 5 is valid/unlocked
Boot parameter data: 0004000000
 Boot Flags :
   - Boot Flag Invalid
   - Options apply to only next boot
   - BIOS PC Compatible (legacy) boot 
   - Boot Device Selector : Force PXE
   - BIOS verbosity : System Default
   - Console Redirection control : Console redirection occurs per BIOS configuration setting (default)
   - BIOS Mux Control Override : BIOS uses recommended setting of the mux at the end of POST
`;

test('ipmi_sim read-back: PXE selected, flags invalid, legacy, once', () => {
  const f = parseBootParamOutput(IPMI_SIM_AFTER_EFIBOOT);
  assert.deepEqual(f, { valid: false, persistent: false, efi: false, device: BootDevice.Pxe, raw: '0004000000' });
  assert.deepEqual(bootMismatch(f!, { persistent: false, efi: true }), ['the boot flags read back as not valid', 'the EFI flag was not kept (legacy boot)']);
});

test('a BMC that keeps everything: a0 04 = valid, once, EFI, PXE → confirmed', () => {
  const f = parseBootParamOutput('Boot parameter version: 1\nBoot parameter 5 is valid/unlocked\nBoot parameter data: a004000000\n');
  assert.deepEqual(f, { valid: true, persistent: false, efi: true, device: BootDevice.Pxe, raw: 'a004000000' });
  assert.deepEqual(bootMismatch(f!, { persistent: false, efi: true }), []);
  assert.deepEqual(bootMismatch(f!, { persistent: true, efi: true }), ['the persistent flag was not kept']);
});

test('device selectors: disk, CD, BIOS setup, none, other', () => {
  const dev = (b2: number) => decodeBootFlags(Uint8Array.of(0xe0, b2, 0, 0, 0))!.device;
  assert.equal(dev(0x08), BootDevice.Disk);
  assert.equal(dev(0x14), BootDevice.Cdrom);
  assert.equal(dev(0x18), BootDevice.BiosSetup);
  assert.equal(dev(0x00), BootDevice.None);
  assert.equal(dev(0x3c), BootDevice.Other);
  const f = decodeBootFlags(Uint8Array.of(0xe0, 0x04))!;
  assert.equal(f.persistent, true);
  assert.equal(f.efi, true);
  assert.equal(f.valid, true);
});

test('malformed read-backs give null, not a guess', () => {
  assert.equal(parseBootParamOutput(''), null);
  assert.equal(parseBootParamOutput('Boot parameter data: \n'), null);
  assert.equal(parseBootParamOutput('Boot parameter data: a00\n'), null);
  assert.equal(parseBootParamOutput('Boot parameter data: a0\n'), null);
  assert.equal(decodeBootFlags(new Uint8Array(0)), null);
});

test('power status text', () => {
  assert.equal(parsePowerStatus('Chassis Power is on\n'), 'on');
  assert.equal(parsePowerStatus('Chassis Power is off\n'), 'off');
  assert.equal(parsePowerStatus('Chassis Power Control: Up/On\n'), null);
});
