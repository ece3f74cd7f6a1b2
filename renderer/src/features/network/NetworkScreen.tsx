/** The first screen: pick the interface and DHCP mode, start or stop serving, see the state. */
import { useEffect, useState } from 'react';
import { Panel } from '../../components/Panel';
import { ErrorNotice } from '../../components/ErrorNotice';
import { useFieldboot, useFieldbootActions } from '../../store/store-context';
import { DhcpSettings } from './DhcpSettings';
import { fullRangeProblem } from './dhcp-range';
import { InterfaceTable } from './InterfaceTable';
import { ServingStatus } from './ServingStatus';
import { AddressOffer, assignProblem } from './AddressOffer';
import { PreflightList } from './PreflightList';
import { DhcpCheck } from './DhcpCheck';
import { ServePlan } from './ServePlan';
import { usePreflight } from './use-preflight';
import { DEFAULT_ASSIGN_ADDRESS } from '../../../../shared/net/ipv4-cidr';
import './network.css';

export function NetworkScreen() {
  const interfaces = useFieldboot((s) => s.interfaces);
  const interfacesStatus = useFieldboot((s) => s.interfacesStatus);
  const interfacesError = useFieldboot((s) => s.interfacesError);
  const selected = useFieldboot((s) => s.selectedInterface);
  const dhcpMode = useFieldboot((s) => s.dhcpMode);
  const range = useFieldboot((s) => s.range);
  const serving = useFieldboot((s) => s.serving);
  const busy = useFieldboot((s) => s.busy);
  const actionError = useFieldboot((s) => s.actionError);
  const link = useFieldboot((s) => s.link);
  const { selectInterface, setDhcpMode, setRange, startServing, stopServing, cancelStart, refreshInterfaces } = useFieldbootActions();

  const nic = interfaces.find((i) => i.name === selected);
  const locked = serving.phase === 'starting' || serving.phase === 'serving' || serving.phase === 'stopping';
  // A bare interface: the offer to give it an address for the session (on by default: it is why there is none).
  const [assignEnabled, setAssignEnabled] = useState(true);
  const [assignText, setAssignText] = useState(DEFAULT_ASSIGN_ADDRESS);
  const bare = nic !== undefined && nic.ipv4.length === 0;
  const assignAddress = bare && assignEnabled && assignProblem(assignText, nic, interfaces) === null ? assignText.trim() : undefined;
  // The Settings screen's pool is what an empty range field means; read again whenever this screen shows.
  const api = useFieldboot((s) => s.api);
  const [savedPool, setSavedPool] = useState('');
  useEffect(() => {
    let live = true;
    void api.getSettings?.().then((r) => live && r.ok && setSavedPool(r.value.settings.range));
    return () => {
      live = false;
    };
  }, [api]);
  // A range that cannot serve here (typed, or the Settings pool an empty field stands for) would fail at Start.
  const canStart = nic !== undefined && (!bare || assignAddress !== undefined) && (dhcpMode !== 'full' || fullRangeProblem(range, savedPool, nic) === null);
  const preflight = usePreflight(locked ? null : selected, dhcpMode, assignAddress);
  // The list goes stale once serving: our own engine holds the ports. Check again after a stop.
  // An address given or taken back by the engine shows in the list too.
  useEffect(() => {
    if (serving.phase === 'idle' || serving.phase === 'failed') preflight.rerun();
    if (serving.phase === 'idle' || serving.phase === 'serving') void refreshInterfaces();
  }, [serving.phase]);
  // The table's link column and addresses follow the serving link (cable out, NIC unplugged, address given again).
  useEffect(() => {
    if (link) void refreshInterfaces();
  }, [link]);
  const showPreflight = preflight.available && !locked;

  return (
    <div className="network-screen" data-testid="network-screen">
      <ServingStatus
        state={serving}
        selected={selected}
        busy={busy}
        canStart={canStart}
        actionError={actionError}
        link={link}
        onStart={() => void startServing(assignAddress ? { assignAddress } : undefined)}
        onStop={() => void stopServing()}
        onCancel={() => void cancelStart()}
      />
      <ServePlan disabled={locked} />
      <Panel
        title="Network interface"
        testId="interfaces-panel"
        actions={
          <button type="button" className="link-button" onClick={() => void refreshInterfaces()} disabled={interfacesStatus === 'loading'}>
            {interfacesStatus === 'loading' ? 'Refreshing…' : 'Refresh'}
          </button>
        }
      >
        {interfacesError ? <ErrorNotice error={interfacesError} testId="interfaces-error" /> : null}
        {interfacesStatus !== 'loading' && interfaces.length === 0 && !interfacesError ? <p className="muted">No network interfaces found.</p> : null}
        {interfaces.length > 0 ? <InterfaceTable interfaces={interfaces} selected={selected} disabled={locked} onSelect={selectInterface} /> : null}
        {nic && !locked && !nic.linkUp ? (
          <p className="notice" data-testid="interface-warning">
            {nic.name} has no link. Plug its cable into the rack switch (or check the switch port).
          </p>
        ) : null}
        {nic && !locked && bare ? (
          <AddressOffer nic={nic} interfaces={interfaces} enabled={assignEnabled} address={assignText} onEnabled={setAssignEnabled} onAddress={setAssignText} />
        ) : null}
      </Panel>
      <div className={`network-columns ${showPreflight ? '' : 'is-single'}`}>
        <Panel title="Boot services" testId="dhcp-panel">
          {!locked ? <DhcpCheck iface={nic ? nic.name : null} linkUp={!!nic?.linkUp} mode={dhcpMode} onMode={setDhcpMode} /> : null}
          <DhcpSettings savedPool={savedPool} mode={dhcpMode} range={range} nic={nic} disabled={locked} onMode={setDhcpMode} onRange={setRange} />
        </Panel>
        {showPreflight ? (
          <Panel
            title="Before you start"
            testId="preflight-panel"
            actions={
              <button type="button" className="link-button" onClick={preflight.rerun} disabled={preflight.running || !selected} data-testid="preflight-rerun">
                {preflight.running ? 'Checking…' : 'Check again'}
              </button>
            }
          >
            <PreflightList report={preflight.report} error={preflight.error} running={preflight.running} />
          </Panel>
        ) : null}
      </div>
    </div>
  );
}
