/** A bare interface (the usual rack switch has no DHCP server): offer to give it an address for the session. */
import type { NetworkInterfaceInfo } from '../../../../shared/model/network';
import { cidrProblem, overlappingSubnet, parseCidr } from '../../../../shared/net/ipv4-cidr';

/** Why FieldBoot cannot give `nic` this address, or null when it can (the engine checks again). */
export function assignProblem(text: string, nic: NetworkInterfaceInfo, interfaces: readonly NetworkInterfaceInfo[]): string | null {
  const shape = cidrProblem(text.trim());
  if (shape) return shape.charAt(0).toUpperCase() + shape.slice(1) + '.';
  const overlap = overlappingSubnet(nic.name, parseCidr(text.trim()) as NonNullable<ReturnType<typeof parseCidr>>, interfaces);
  return overlap ? `It overlaps ${overlap.text}; pick another subnet.` : null;
}

export function AddressOffer({
  nic,
  interfaces,
  enabled,
  address,
  onEnabled,
  onAddress,
}: {
  nic: NetworkInterfaceInfo;
  interfaces: readonly NetworkInterfaceInfo[];
  enabled: boolean;
  address: string;
  onEnabled(enabled: boolean): void;
  onAddress(address: string): void;
}) {
  const problem = enabled ? assignProblem(address, nic, interfaces) : null;
  return (
    <div className="address-offer" data-testid="address-offer">
      <p className="address-offer-why">
        <strong>{nic.name} has no IPv4 address.</strong> A rack switch usually has no DHCP server, so FieldBoot can give this interface an
        address while it serves, and remove it when you stop.
      </p>
      <div className="address-offer-row">
        <label className="address-offer-toggle">
          <input type="checkbox" checked={enabled} onChange={(e) => onEnabled(e.target.checked)} data-testid="assign-enabled" />
          Give it
        </label>
        <input
          type="text"
          className="mono address-offer-field"
          aria-label={`Address for ${nic.name}`}
          spellCheck={false}
          autoComplete="off"
          value={address}
          disabled={!enabled}
          onChange={(e) => onAddress(e.target.value)}
          aria-invalid={problem !== null}
          aria-describedby="assign-help"
          data-testid="assign-address"
        />
        <span className="muted">while serving</span>
      </div>
      <p id="assign-help" className={problem ? 'field-error' : 'field-help'} data-testid="assign-help">
        {problem ?? (enabled ? 'Address and prefix length. Clients get addresses from the same subnet.' : `Give ${nic.name} an address yourself before serving.`)}
      </p>
    </div>
  );
}
