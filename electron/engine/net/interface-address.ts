/**
 * Giving a bare interface an IPv4 address for the length of a session, and taking it back. The usual rack
 * switch has no DHCP server, so the laptop's NIC comes up without an address; serving needs one.
 *
 * Linux: `ip addr add/del` (tested in the lab). Windows: `netsh interface ipv4 add/delete address`, macOS:
 * `ifconfig IF alias/-alias`; both written from their manuals and NOT tested on this machine.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ErrorCode, FieldbootError } from '../../../shared/errors';
import type { Ipv4Address, NetworkInterfaceInfo } from '../../../shared/model/network';
import { listInterfaces } from './list-interfaces';
import { formatIpv4, prefixToMask } from '../../../shared/net/ipv4';
import { cidrProblem, DEFAULT_ASSIGN_ADDRESS, overlappingSubnet, parseCidr, type Cidr } from '../../../shared/net/ipv4-cidr';

export { cidrProblem, DEFAULT_ASSIGN_ADDRESS, parseCidr };

const execFileAsync = promisify(execFile);

/** An address FieldBoot put on an interface, to be removed when the session ends. */
export interface AssignedAddress {
  interface: string;
  /** As given, normalised: "10.77.0.1/24". */
  cidr: string;
  address: Ipv4Address;
}

/**
 * Checks the CIDR against the machine: the interface must exist and have no IPv4 yet, and the subnet must
 * not overlap another interface's (two routes for one subnet would send the clients' replies out the
 * wrong NIC). Returns the address, or throws FieldbootError saying which interface collides.
 */
export function checkAssignable(ifname: string, cidr: string, interfaces: readonly NetworkInterfaceInfo[]): Ipv4Address {
  const problem = cidrProblem(cidr);
  if (problem) throw new FieldbootError(ErrorCode.BadOption, `cannot give ${ifname} the address ${cidr}: ${problem}`, `Type an address with its prefix, for example ${DEFAULT_ASSIGN_ADDRESS}.`);
  const c = parseCidr(cidr) as Cidr;
  const target = interfaces.find((i) => i.name === ifname);
  if (!target) throw new FieldbootError(ErrorCode.NoSuchInterface, `no network interface named "${ifname}"`);
  const overlap = overlappingSubnet(ifname, c, interfaces);
  if (overlap) {
    throw new FieldbootError(ErrorCode.BadOption, `${cidr} overlaps ${overlap.text}`, `Pick a subnet no other interface uses, for example ${DEFAULT_ASSIGN_ADDRESS} or 10.78.0.1/24.`);
  }
  return { address: formatIpv4(c.ip), prefix: c.prefix };
}

export type AddressAction = 'add' | 'del';

/** The OS command that adds or removes the address (execFile arguments, no shell). */
export function addressCommand(platform: NodeJS.Platform, action: AddressAction, ifname: string, address: Ipv4Address): { command: string; args: string[] } {
  const mask = formatIpv4(prefixToMask(address.prefix));
  switch (platform) {
    case 'win32':
      // Untested here. "store=active": gone at reboot, so a crash cannot leave it forever.
      return action === 'add'
        ? { command: 'netsh', args: ['interface', 'ipv4', 'add', 'address', `name=${ifname}`, `address=${address.address}`, `mask=${mask}`, 'store=active'] }
        : { command: 'netsh', args: ['interface', 'ipv4', 'delete', 'address', `name=${ifname}`, `address=${address.address}`] };
    case 'darwin':
      // Untested here. An alias leaves any other address on the interface alone.
      return action === 'add'
        ? { command: 'ifconfig', args: [ifname, 'alias', address.address, 'netmask', mask] }
        : { command: 'ifconfig', args: [ifname, '-alias', address.address] };
    default:
      // "brd +": the broadcast address derived from the prefix, which DHCP replies to clients without an address use.
      return action === 'add'
        ? { command: 'ip', args: ['addr', 'add', `${address.address}/${address.prefix}`, 'brd', '+', 'dev', ifname] }
        : { command: 'ip', args: ['addr', 'del', `${address.address}/${address.prefix}`, 'dev', ifname] };
  }
}

export type CommandRunner = (command: string, args: string[]) => Promise<void>;

const runCommand: CommandRunner = async (command, args) => {
  await execFileAsync(command, args, { timeout: 10_000 });
};

export interface AddressOptions {
  /** The machine's interfaces (default: listed now). */
  interfaces?: readonly NetworkInterfaceInfo[];
  platform?: NodeJS.Platform;
  run?: CommandRunner;
}

/** Validates and adds the address; throws FieldbootError (NoPrivilege when the OS refuses). */
export async function assignAddress(ifname: string, cidr: string, options: AddressOptions = {}): Promise<AssignedAddress> {
  const interfaces = options.interfaces ?? (await listInterfaces());
  const address = checkAssignable(ifname, cidr, interfaces);
  const { command, args } = addressCommand(options.platform ?? process.platform, 'add', ifname, address);
  try {
    await (options.run ?? runCommand)(command, args);
  } catch (err) {
    const stderr = String((err as { stderr?: unknown }).stderr ?? '').trim();
    const text = stderr || (err as Error).message;
    const denied = /not permitted|permission|access is denied|requires elevation/i.test(text);
    throw new FieldbootError(
      denied ? ErrorCode.NoPrivilege : ErrorCode.Internal,
      `could not give ${ifname} the address ${address.address}/${address.prefix}: ${text}`,
      denied ? 'Assigning an address needs administrator rights: run FieldBoot as root (or with CAP_NET_ADMIN).' : `Give ${ifname} an address by hand, then start again.`,
    );
  }
  return { interface: ifname, cidr: `${address.address}/${address.prefix}`, address };
}

/** Removes an address assignAddress added. Throws on failure (callers log it: the session still stops). */
export async function removeAddress(ifname: string, cidr: string, options: Omit<AddressOptions, 'interfaces'> = {}): Promise<void> {
  const c = parseCidr(cidr);
  if (!c) throw new FieldbootError(ErrorCode.BadOption, `"${cidr}" is not an address with a prefix length`);
  const { command, args } = addressCommand(options.platform ?? process.platform, 'del', ifname, { address: formatIpv4(c.ip), prefix: c.prefix });
  await (options.run ?? runCommand)(command, args);
}
