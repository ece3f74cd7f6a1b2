/**
 * Settings: ports, the default DHCP pool and lease time, the BIOS boot loader, the menu timeout, the engine's
 * state folder and log level. Every field is checked as it is typed (shared/settings.ts, the same checks the
 * host applies on save); Save stays disabled while any field has a problem. Saved values apply at the next
 * start, never to a running session.
 */
import { useEffect, type FormEvent, type ReactNode } from 'react';
import { useStore } from 'zustand';
import type { FieldbootApi } from '../../../../shared/api/fieldboot-api';
import { BiosLoader } from '../../../../shared/model/serve-config';
import { LOG_LEVELS, SETTINGS_LIMITS, type SettingsField } from '../../../../shared/settings';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Panel } from '../../components/Panel';
import { useFieldboot } from '../../store/store-context';
import { createSettingsFormStore, isDirty, type SettingsFormState, type SettingsFormStore } from './settings-form-store';
import './settings.css';

// One store per API: an unsaved edit survives a trip to another tab.
const stores = new WeakMap<FieldbootApi, SettingsFormStore>();
function storeFor(api: FieldbootApi): SettingsFormStore {
  let store = stores.get(api);
  if (!store) {
    store = createSettingsFormStore(api);
    stores.set(api, store);
  }
  return store;
}

const LOADERS: { value: BiosLoader; title: string; when: string }[] = [
  { value: BiosLoader.Ipxe, title: 'iPXE', when: 'undionly.kpxe. Kernels and images over HTTP: fast. The default.' },
  { value: BiosLoader.Pxelinux, title: 'pxelinux', when: 'pxelinux.0. Everything over TFTP: slower, for old firmware that fails with iPXE.' },
];

const LOG_LABELS: Record<(typeof LOG_LEVELS)[number], string> = {
  debug: 'Debug (every packet; large)',
  info: 'Info (normal)',
  warn: 'Warnings and errors',
  error: 'Errors only',
};

function TextField({
  store,
  field,
  label,
  help,
  placeholder,
  numeric,
  className,
}: {
  store: SettingsFormStore;
  field: SettingsField;
  label: ReactNode;
  help: string;
  placeholder?: string;
  numeric?: boolean;
  className?: string;
}) {
  const value = useStore(store, (s) => s.form[field]);
  const error = useStore(store, (s) => s.errors[field]);
  const id = `setting-${field}`;
  return (
    <div className={`settings-field ${className ?? ''}`}>
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type="text"
        inputMode={numeric ? 'numeric' : undefined}
        spellCheck={false}
        autoComplete="off"
        className={numeric ? 'mono is-number' : 'mono'}
        value={value}
        placeholder={placeholder}
        onChange={(e) => store.getState().setField(field, e.target.value)}
        aria-invalid={error !== undefined}
        aria-describedby={`${id}-msg`}
        data-testid={id}
      />
      <p id={`${id}-msg`} className={error ? 'field-error' : 'field-help'} data-testid={`${id}-msg`}>
        {error ?? help}
      </p>
    </div>
  );
}

function LoaderChoice({ store }: { store: SettingsFormStore }) {
  const value = useStore(store, (s) => s.form.biosLoader);
  const error = useStore(store, (s) => s.errors.biosLoader);
  return (
    <fieldset className="settings-choice" data-testid="setting-biosLoader" aria-describedby={error ? 'setting-biosLoader-msg' : undefined}>
      <legend>Boot loader for BIOS machines</legend>
      {LOADERS.map((l) => (
        <label key={l.value} className={`settings-option ${value === l.value ? 'is-selected' : ''}`}>
          <input
            type="radio"
            name="bios-loader"
            value={l.value}
            checked={value === l.value}
            onChange={() => store.getState().setField('biosLoader', l.value)}
            data-testid={`setting-biosLoader-${l.value}`}
          />
          <span className="settings-option-text">
            <span className="settings-option-title">{l.title}</span>
            <span className="settings-option-when">{l.when}</span>
          </span>
        </label>
      ))}
      {error ? (
        <p id="setting-biosLoader-msg" className="field-error">
          {error}
        </p>
      ) : null}
    </fieldset>
  );
}

function LogLevelSelect({ store }: { store: SettingsFormStore }) {
  const value = useStore(store, (s) => s.form.logLevel);
  const error = useStore(store, (s) => s.errors.logLevel);
  return (
    <div className="settings-field">
      <label htmlFor="setting-logLevel">Log level</label>
      <select
        id="setting-logLevel"
        value={value}
        onChange={(e) => store.getState().setField('logLevel', e.target.value)}
        aria-invalid={error !== undefined}
        aria-describedby="setting-logLevel-msg"
        data-testid="setting-logLevel"
      >
        {LOG_LEVELS.map((l) => (
          <option key={l} value={l}>
            {LOG_LABELS[l]}
          </option>
        ))}
      </select>
      <p id="setting-logLevel-msg" className={error ? 'field-error' : 'field-help'}>
        {error ?? 'The lowest level of engine messages kept. Debug is for a bug report.'}
      </p>
    </div>
  );
}

function savedLine(s: SettingsFormState): string {
  if (!s.snapshot) return '';
  if (!s.snapshot.savedAt) return 'Nothing saved yet: the defaults apply.';
  return `Saved ${new Date(s.snapshot.savedAt).toLocaleString()}.`;
}

export function SettingsScreen() {
  const api = useFieldboot((s) => s.api);
  const phase = useFieldboot((s) => s.serving.phase);
  const store = storeFor(api);
  useEffect(() => void store.getState().load(), [store]);
  const status = useStore(store, (s) => s.status);
  const loadError = useStore(store, (s) => s.loadError);
  const snapshot = useStore(store, (s) => s.snapshot);
  const valid = useStore(store, (s) => s.valid);
  const saving = useStore(store, (s) => s.saving);
  const saveError = useStore(store, (s) => s.saveError);
  const justSaved = useStore(store, (s) => s.justSaved);
  const dirty = useStore(store, isDirty);
  const line = useStore(store, savedLine);
  const errorCount = useStore(store, (s) => Object.keys(s.errors).length);
  const running = phase === 'starting' || phase === 'serving' || phase === 'stopping';

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void store.getState().save();
  };
  const { port, leaseTime, menuTimeout } = SETTINGS_LIMITS;

  return (
    <form className="settings-screen" data-testid="settings-screen" onSubmit={onSubmit} noValidate aria-label="Settings">
      <h1 className="visually-hidden">Settings</h1>
      <div className="settings-bar">
        <div className="settings-bar-text" role="status" data-testid="settings-status">
          {status === 'loading' ? 'Loading the settings…' : null}
          {status === 'ready' ? (
            <>
              <span className="settings-saved">{justSaved ? 'Saved. ' : ''}{line}</span>
              {running ? (
                <span className="settings-next-start" data-testid="settings-next-start">
                  FieldBoot is serving: changes apply on next start.
                </span>
              ) : (
                <span className="muted"> Changes apply the next time serving starts.</span>
              )}
            </>
          ) : null}
          {errorCount > 0 ? (
            <span className="settings-bar-errors" data-testid="settings-error-count">
              {errorCount === 1 ? 'One field needs fixing before you can save.' : `${errorCount} fields need fixing before you can save.`}
            </span>
          ) : null}
        </div>
        <div className="settings-actions">
          <button type="button" className="secondary-button" onClick={() => store.getState().fillDefaults()} disabled={!snapshot || saving} data-testid="settings-defaults">
            Defaults
          </button>
          <button type="button" className="secondary-button" onClick={() => store.getState().revert()} disabled={!dirty || saving} data-testid="settings-revert">
            Revert
          </button>
          <button type="submit" className="choose-button" disabled={!snapshot || !valid || !dirty || saving} data-testid="settings-save">
            {saving ? 'Saving…' : 'Save settings'}
          </button>
        </div>
        {loadError ? <ErrorNotice error={loadError} testId="settings-load-error" /> : null}
        {saveError ? <ErrorNotice error={saveError} testId="settings-save-error" /> : null}
        {snapshot?.loadError ? (
          <p className="notice settings-file-warning" data-testid="settings-file-warning">
            The saved settings could not be used ({snapshot.loadError}); the defaults apply until you save.
          </p>
        ) : null}
      </div>

      <div className="settings-grid">
        <div className="settings-col">
        <Panel title="Ports" testId="settings-ports">
          <div className="settings-ports">
            <TextField store={store} field="dhcpPort" className="is-row" label="DHCP (UDP)" help="PXE firmware asks on 67." numeric />
            <TextField store={store} field="proxyPort" className="is-row" label="proxyDHCP (UDP)" help="PXE firmware asks on 4011." numeric />
            <TextField store={store} field="tftpPort" className="is-row" label="TFTP (UDP)" help="PXE firmware asks on 69." numeric />
            <TextField store={store} field="httpPort" className="is-row" label="HTTP (TCP)" help="80 by default." numeric />
            <TextField store={store} field="ftpPort" className="is-row" label="FTP (TCP)" help="21 by default." numeric />
          </div>
          <p className="field-help">
            Each server needs its own port ({port.min} to {port.max}). Change the DHCP, proxyDHCP and TFTP ports for tests only.
          </p>
        </Panel>

        <Panel title="DHCP" testId="settings-dhcp">
          <div className="settings-stack">
            <TextField
              store={store}
              field="range"
              label="Address pool (full DHCP)"
              placeholder="Automatic (from the interface subnet)"
              help="FIRST-LAST. Used when the Network screen's range is empty; checked against the interface's subnet when serving starts."
            />
            <TextField
              store={store}
              field="leaseTime"
              label="Lease time (seconds)"
              help={`${leaseTime.min} (a minute) to ${leaseTime.max} (a week).`}
              numeric
              className="is-short"
            />
          </div>
        </Panel>
        </div>

        <div className="settings-col">
        <Panel title="Boot" testId="settings-boot">
          <div className="settings-stack">
            <LoaderChoice store={store} />
            <TextField
              store={store}
              field="menuTimeout"
              label="Menu timeout (seconds)"
              help={`${menuTimeout.min} boots the default entry (local disk unless armed) at once; at most ${menuTimeout.max}.`}
              numeric
              className="is-short"
            />
          </div>
        </Panel>

        <Panel title="Engine" testId="settings-engine">
          <div className="settings-stack">
            <TextField
              store={store}
              field="stateDir"
              label="State folder"
              placeholder={snapshot?.defaultStateDir ?? ''}
              help="Where leases and the engine's client records are kept. Empty: the app's own folder (shown in the field)."
            />
            <LogLevelSelect store={store} />
            {snapshot ? (
              <p className="field-help settings-file">
                Settings file: <span className="mono">{snapshot.file}</span>
              </p>
            ) : null}
          </div>
        </Panel>
        </div>
      </div>
    </form>
  );
}
