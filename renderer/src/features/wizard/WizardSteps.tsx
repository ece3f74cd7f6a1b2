/**
 * One form per wizard step. Each edits the draft profile through the wizard store and shows
 * profile-validate's messages beside the field they are about.
 */
import { useRef } from 'react';
import { DEFAULT_USER, TARGETS, type DiskSelect, type FsType, type PartitionScheme, type TargetId } from '../../../../shared/answer/profile';
import type { ValidationIssue } from '../../../../shared/answer/profile-validate';
import { CheckField, ChoiceField, ListField, NumberField, SelectField, TextAreaField, TextField } from './FormFields';
import { useWizard, useWizardActions } from './wizard-context';
import { TARGET_IDS, issuesAt, type WizardStepId } from './wizard-model';

const FORMAT_GROUP = { kickstart: 'Kickstart (ks.cfg)', preseed: 'Preseed (preseed.cfg)', autoinstall: 'Autoinstall (user-data)' } as const;
const TARGET_OPTIONS = TARGET_IDS.map((id) => ({ value: id, label: TARGETS[id].label, group: FORMAT_GROUP[TARGETS[id].format] }));

const LANGUAGES = ['en_US.UTF-8', 'en_GB.UTF-8', 'de_DE.UTF-8', 'fr_FR.UTF-8', 'es_ES.UTF-8', 'it_IT.UTF-8', 'nl_NL.UTF-8', 'nb_NO.UTF-8', 'sv_SE.UTF-8', 'da_DK.UTF-8', 'fi_FI.UTF-8', 'pl_PL.UTF-8', 'pt_BR.UTF-8', 'ja_JP.UTF-8'];
const KEYBOARDS = ['us', 'gb', 'de', 'fr', 'es', 'it', 'nl', 'no', 'se', 'dk', 'fi', 'pl', 'ch', 'br', 'jp'];

function timeZones(): string[] {
  try {
    return ['Etc/UTC', ...Intl.supportedValuesOf('timeZone')];
  } catch {
    return ['Etc/UTC'];
  }
}
const TIME_ZONES = timeZones();

interface StepProps {
  issues: readonly ValidationIssue[];
}

function DataList({ id, values }: { id: string; values: readonly string[] }) {
  return (
    <datalist id={id}>
      {values.map((v) => (
        <option key={v} value={v} />
      ))}
    </datalist>
  );
}

function SystemStep({ issues, fromImage }: StepProps & { fromImage: string | null }) {
  const draft = useWizard((s) => s.draft);
  const target = useWizard((s) => s.target);
  const { update, setTarget } = useWizardActions();
  return (
    <>
      <SelectField<TargetId>
        label="Target OS"
        value={target}
        options={TARGET_OPTIONS}
        onChange={(t) => setTarget(t)}
        testId="wz-target"
        help={fromImage ? `Preselected from the image ${fromImage} (Images screen).` : 'The installer the answer file is written for.'}
      />
      <TextField label="Profile name" value={draft.name} onChange={(v) => update((p) => (p.name = v))} issues={issuesAt(issues, 'name')} testId="wz-name" help="Saved as profiles/<name>.json in FieldBoot's state folder." />
      <TextField
        label="Host name pattern"
        value={draft.hostname}
        mono
        onChange={(v) => update((p) => (p.hostname = v))}
        issues={issuesAt(issues, 'hostname')}
        testId="wz-hostname"
        help={
          <>
            Variables: <code>{'{{mac_suffix}}'}</code>, <code>{'{{mac_hex}}'}</code>, or any inventory column. A host name in the inventory wins.
          </>
        }
      />
    </>
  );
}

function LocaleStep({ issues }: StepProps) {
  const locale = useWizard((s) => s.draft.locale);
  const { update } = useWizardActions();
  return (
    <>
      <DataList id="wz-languages" values={LANGUAGES} />
      <DataList id="wz-keyboards" values={KEYBOARDS} />
      <DataList id="wz-timezones" values={TIME_ZONES} />
      <div className="wz-row">
        <TextField label="Language" value={locale.language} list="wz-languages" mono onChange={(v) => update((p) => (p.locale.language = v))} issues={issuesAt(issues, 'locale.language')} testId="wz-language" />
        <TextField label="Keyboard layout" value={locale.keyboard} list="wz-keyboards" mono onChange={(v) => update((p) => (p.locale.keyboard = v))} issues={issuesAt(issues, 'locale.keyboard')} testId="wz-keyboard" />
      </div>
      <TextField label="Time zone" value={locale.timezone} list="wz-timezones" mono onChange={(v) => update((p) => (p.locale.timezone = v))} issues={issuesAt(issues, 'locale.timezone')} testId="wz-timezone" help="IANA name, e.g. Europe/Oslo or America/Chicago." />
      <CheckField label="Hardware clock keeps UTC" checked={locale.utc} onChange={(v) => update((p) => (p.locale.utc = v))} />
      <ListField label="NTP servers" value={locale.ntpServers} onChange={(v) => update((p) => (p.locale.ntpServers = v))} issues={issuesAt(issues, 'locale.ntpServers')} rows={2} placeholder="pool.ntp.org" help="Optional. One per line." testId="wz-ntp" />
    </>
  );
}

function AccountsStep({ issues }: StepProps) {
  const accounts = useWizard((s) => s.draft.accounts);
  const ssh = useWizard((s) => s.draft.ssh);
  const pw = useWizard((s) => s.passwords);
  const { update, setPasswords } = useWizardActions();
  const admin = accounts.users[0];
  const savedRoot = accounts.rootPasswordHash !== null;
  return (
    <>
      <ChoiceField
        label="Root account"
        value={pw.rootMode}
        onChange={(v) => setPasswords({ rootMode: v })}
        testId="wz-root-mode"
        choices={[
          { value: 'locked', label: 'Locked', help: 'No root password; log in with an SSH key or the admin user.' },
          { value: 'password', label: 'Password', help: 'Stored only as a SHA-512 hash, made when you save.' },
        ]}
      />
      {pw.rootMode === 'password' ? (
        <div className="wz-row">
          <TextField
            label="Root password"
            type="password"
            autoComplete="new-password"
            value={pw.root}
            onChange={(v) => setPasswords({ root: v })}
            issues={issuesAt(issues, 'accounts.rootPassword').filter((i) => i.path !== 'accounts.rootPasswordConfirm')}
            testId="wz-root-password"
            help={savedRoot ? 'Leave empty to keep the saved password.' : undefined}
          />
          <TextField label="Root password again" type="password" autoComplete="new-password" value={pw.rootConfirm} onChange={(v) => setPasswords({ rootConfirm: v })} issues={issuesAt(issues, 'accounts.rootPasswordConfirm')} testId="wz-root-password-confirm" />
        </div>
      ) : null}
      <ListField label="SSH keys for root" lines value={accounts.rootSshKeys} onChange={(v) => update((p) => (p.accounts.rootSshKeys = v))} issues={issuesAt(issues, 'accounts.rootSshKeys')} rows={2} placeholder="ssh-ed25519 AAAA… tech@laptop" help="One public key per line." testId="wz-root-keys" />

      <CheckField
        label="Create an admin user"
        checked={admin !== undefined}
        testId="wz-admin"
        help={accounts.users.length > 1 ? `The profile has ${accounts.users.length} users; this step edits the first, the others are kept.` : 'Ubuntu autoinstall needs one; sudo rights by default.'}
        onChange={(on) =>
          update((p) => {
            if (on) p.accounts.users.unshift({ name: 'admin', ...structuredClone(DEFAULT_USER), sudo: true });
            else p.accounts.users.shift();
          })
        }
      />
      {admin ? (
        <div className="wz-group">
          <div className="wz-row">
            <TextField label="User name" value={admin.name} mono onChange={(v) => update((p) => p.accounts.users[0] && (p.accounts.users[0].name = v))} issues={issuesAt(issues, 'accounts.users[0].name')} testId="wz-admin-name" />
            <TextField
              label="Full name"
              value={admin.fullName ?? ''}
              onChange={(v) =>
                update((p) => {
                  const u = p.accounts.users[0];
                  if (!u) return;
                  if (v) u.fullName = v;
                  else delete u.fullName;
                })
              }
              issues={issuesAt(issues, 'accounts.users[0].fullName')}
            />
          </div>
          <div className="wz-row">
            <TextField
              label="Password"
              type="password"
              autoComplete="new-password"
              value={pw.admin}
              onChange={(v) => setPasswords({ admin: v })}
              testId="wz-admin-password"
              help={admin.passwordHash ? 'Leave empty to keep the saved password.' : 'Leave empty for SSH-key login only.'}
            />
            <TextField label="Password again" type="password" autoComplete="new-password" value={pw.adminConfirm} onChange={(v) => setPasswords({ adminConfirm: v })} issues={issuesAt(issues, 'accounts.users[0].passwordConfirm')} testId="wz-admin-password-confirm" />
          </div>
          <CheckField label="Administrator (sudo; wheel on RHEL)" checked={admin.sudo} onChange={(v) => update((p) => p.accounts.users[0] && (p.accounts.users[0].sudo = v))} />
          <ListField label="SSH keys for this user" lines value={admin.sshKeys} onChange={(v) => update((p) => p.accounts.users[0] && (p.accounts.users[0].sshKeys = v))} issues={issuesAt(issues, 'accounts.users[0].sshKeys')} rows={2} placeholder="ssh-ed25519 AAAA… tech@laptop" />
          {issuesAt(issues, 'accounts.users[0].passwordHash').map((i) => (
            <p key={i.message} className="field-error">
              {i.message}
            </p>
          ))}
        </div>
      ) : null}
      <div className="wz-row">
        <CheckField label="Install the SSH server" checked={ssh.installServer} onChange={(v) => update((p) => (p.ssh.installServer = v))} />
        <CheckField label="Allow SSH password logins" checked={ssh.passwordAuthentication} onChange={(v) => update((p) => (p.ssh.passwordAuthentication = v))} help="Keys always work." />
      </div>
      {issuesAt(issues, 'accounts').filter((i) => i.path === 'accounts' || i.path === 'accounts.users').map((i) => (
        <p key={i.message} className="field-error" role="alert">
          {i.message}
        </p>
      ))}
    </>
  );
}

const DISK_FIELD: Partial<Record<DiskSelect, { key: 'model' | 'serial' | 'wwn' | 'device'; label: string; placeholder: string }>> = {
  model: { key: 'model', label: 'Model contains', placeholder: 'SAMSUNG MZ7L3' },
  serial: { key: 'serial', label: 'Serial number', placeholder: 'S3Z9NB0K123456' },
  wwn: { key: 'wwn', label: 'WWN', placeholder: '0x5000c500a1b2c3d4' },
  device: { key: 'device', label: 'Device name (without /dev/)', placeholder: 'sda' },
};

function DiskStep({ issues }: StepProps) {
  const disk = useWizard((s) => s.draft.disk);
  const { update } = useWizardActions();
  const extra = DISK_FIELD[disk.select];
  return (
    <>
      <ChoiceField<DiskSelect>
        label="Install on"
        value={disk.select}
        testId="wz-disk"
        onChange={(v) => update((p) => (p.disk.select = v))}
        issues={issuesAt(issues, 'disk.select')}
        choices={[
          { value: 'smallest', label: 'The smallest disk (recommended)', help: 'Usually the boot SSD; data disks are left alone.' },
          { value: 'largest', label: 'The largest disk' },
          { value: 'model', label: 'A disk by model' },
          { value: 'serial', label: 'A disk by serial number', help: 'For one known machine.' },
          { value: 'wwn', label: 'A disk by WWN' },
          { value: 'device', label: 'A device name', help: 'Only safe on identical hardware: names can change between boots.' },
        ]}
      />
      {extra ? (
        <TextField
          label={extra.label}
          value={disk[extra.key] ?? ''}
          mono
          placeholder={extra.placeholder}
          testId="wz-disk-value"
          onChange={(v) =>
            update((p) => {
              if (v) p.disk[extra.key] = v;
              else delete p.disk[extra.key];
            })
          }
          issues={issuesAt(issues, `disk.${extra.key}`)}
        />
      ) : null}
      <div className="wz-row">
        <NumberField label="At least (GB)" value={disk.minGb} min={1} onChange={(v) => update((p) => (v === undefined ? delete p.disk.minGb : (p.disk.minGb = v)))} issues={issuesAt(issues, 'disk.minGb')} />
        <NumberField label="At most (GB)" value={disk.maxGb} min={1} onChange={(v) => update((p) => (v === undefined ? delete p.disk.maxGb : (p.disk.maxGb = v)))} issues={issuesAt(issues, 'disk.maxGb')} />
      </div>
      <CheckField
        label="Also consider removable disks"
        checked={disk.allowRemovable}
        onChange={(v) => update((p) => (p.disk.allowRemovable = v))}
        testId="wz-disk-removable"
        help="Off (recommended): USB sticks, SD cards and the install medium are skipped, so the installer never wipes the stick it may boot from. Only the one chosen disk is wiped; FieldBoot never wipes every disk."
      />
    </>
  );
}

function PartitioningStep({ issues }: StepProps) {
  const part = useWizard((s) => s.draft.partitioning);
  const target = useWizard((s) => s.target);
  const { update } = useWizardActions();
  return (
    <>
      <ChoiceField<PartitionScheme>
        label="Layout"
        value={part.scheme}
        testId="wz-scheme"
        onChange={(v) =>
          update((p) => {
            p.partitioning.scheme = v;
            if (v === 'custom' && p.partitioning.partitions.length === 0) p.partitioning.partitions = [{ mount: '/', sizeMb: 10240, grow: true, fsType: 'xfs' }];
          })
        }
        choices={[
          { value: 'lvm', label: 'Automatic, LVM', help: 'The installer’s own layout on LVM: easy to grow later.' },
          { value: 'plain', label: 'Automatic, plain partitions' },
          { value: 'custom', label: 'Custom', help: TARGETS[target].format === 'autoinstall' ? 'Not available for Ubuntu autoinstall yet.' : 'Your partitions; boot and EFI partitions are added.' },
        ]}
      />
      {part.scheme !== 'custom' ? (
        <SelectField<'default' | 'xfs' | 'ext4'>
          label="File system"
          value={part.fsType ?? 'default'}
          options={[
            { value: 'default', label: 'The distribution’s default' },
            { value: 'xfs', label: 'XFS' },
            { value: 'ext4', label: 'ext4' },
          ]}
          onChange={(v) => update((p) => (v === 'default' ? delete p.partitioning.fsType : (p.partitioning.fsType = v)))}
        />
      ) : (
        <div className="wz-group">
          <table className="wz-table">
            <caption className="visually-hidden">Partitions</caption>
            <thead>
              <tr>
                <th scope="col">Mount point</th>
                <th scope="col">Size (MiB)</th>
                <th scope="col">Grow</th>
                <th scope="col">File system</th>
                <th scope="col">
                  <span className="visually-hidden">Remove</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {part.partitions.map((x, i) => (
                <tr key={i}>
                  <td>
                    <input aria-label={`Partition ${i + 1} mount point`} className="mono" value={x.mount} onChange={(e) => { const v = e.currentTarget.value; update((p) => p.partitioning.partitions[i] && (p.partitioning.partitions[i].mount = v)); }} />
                  </td>
                  <td>
                    <input aria-label={`Partition ${i + 1} size in MiB`} type="number" min={1} value={x.sizeMb} onChange={(e) => { const v = Number(e.currentTarget.value); update((p) => p.partitioning.partitions[i] && (p.partitioning.partitions[i].sizeMb = v)); }} />
                  </td>
                  <td>
                    <input aria-label={`Partition ${i + 1} grows`} type="checkbox" checked={x.grow} onChange={(e) => { const v = e.currentTarget.checked; update((p) => p.partitioning.partitions[i] && (p.partitioning.partitions[i].grow = v)); }} />
                  </td>
                  <td>
                    <select aria-label={`Partition ${i + 1} file system`} value={x.fsType} onChange={(e) => { const v = e.currentTarget.value as FsType; update((p) => p.partitioning.partitions[i] && (p.partitioning.partitions[i].fsType = v)); }}>
                      <option value="xfs">XFS</option>
                      <option value="ext4">ext4</option>
                      <option value="swap">swap</option>
                    </select>
                  </td>
                  <td>
                    <button type="button" className="link-button danger" onClick={() => update((p) => p.partitioning.partitions.splice(i, 1))}>
                      Remove
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <button type="button" className="link-button" onClick={() => update((p) => p.partitioning.partitions.push({ mount: '/var', sizeMb: 10240, grow: false, fsType: 'xfs' }))}>
            Add a partition
          </button>
          {issuesAt(issues, 'partitioning').map((i) => (
            <p key={`${i.path}${i.message}`} className="field-error" role="alert">
              {i.path.replace(/^partitioning\.?/, '')} {i.message}
            </p>
          ))}
        </div>
      )}
    </>
  );
}

function NetworkStep({ issues }: StepProps) {
  const net = useWizard((s) => s.draft.network);
  const inv = useWizard((s) => s.inventory);
  const invText = useWizard((s) => s.inventoryText);
  const invFile = useWizard((s) => s.inventoryFileName);
  const { update, setInventory } = useWizardActions();
  const fileInput = useRef<HTMLInputElement>(null);
  const rows = inv.inventory?.rows ?? [];
  const extraColumns = (inv.inventory?.columns ?? []).filter((c) => !['mac', 'hostname', 'ip'].includes(c));
  return (
    <>
      <ChoiceField<'dhcp' | 'static'>
        label="Addresses"
        value={net.mode}
        testId="wz-net"
        onChange={(v) => update((p) => (p.network.mode = v))}
        choices={[
          { value: 'dhcp', label: 'DHCP', help: 'The installed system asks the network’s DHCP server.' },
          { value: 'static', label: 'Static, from the inventory', help: 'Each machine gets the address in its inventory row; machines not listed use DHCP.' },
        ]}
      />
      {net.mode === 'static' ? (
        <div className="wz-row">
          <NumberField label="Prefix length" value={net.static.prefix} min={1} max={32} onChange={(v) => update((p) => (v === undefined ? delete p.network.static.prefix : (p.network.static.prefix = v)))} issues={issuesAt(issues, 'network.static.prefix')} help="When a row has no /prefix." />
          <TextField
            label="Gateway"
            value={net.static.gateway ?? ''}
            mono
            onChange={(v) => update((p) => (v ? (p.network.static.gateway = v) : delete p.network.static.gateway))}
            issues={issuesAt(issues, 'network.static.gateway')}
          />
          <ListField label="DNS servers" value={net.static.dns} onChange={(v) => update((p) => (p.network.static.dns = v))} issues={issuesAt(issues, 'network.static.dns')} rows={2} />
        </div>
      ) : null}
      <TextField label="DNS domain" value={net.domain ?? ''} mono placeholder="lab.example.com" onChange={(v) => update((p) => (v ? (p.network.domain = v) : delete p.network.domain))} issues={issuesAt(issues, 'network.domain')} help="Optional; the full name is host.domain." />

      <div className="wz-group" data-testid="wz-inventory">
        <div className="wz-inventory-head">
          <h3 className="wz-subtitle">Inventory (per-machine host names and addresses)</h3>
          <button type="button" className="choose-button small" onClick={() => fileInput.current?.click()}>
            Import CSV…
          </button>
          <input
            ref={fileInput}
            type="file"
            accept=".csv,text/csv,text/plain"
            className="visually-hidden"
            tabIndex={-1}
            aria-label="Inventory CSV file"
            data-testid="wz-inventory-file"
            onChange={(e) => {
              const file = e.currentTarget.files?.[0];
              e.currentTarget.value = '';
              if (file) void file.text().then((text) => setInventory(text, file.name));
            }}
          />
        </div>
        <TextAreaField label={invFile ? `CSV (from ${invFile})` : 'CSV: mac,hostname,ip,… (or paste here)'} value={invText} onChange={(v) => setInventory(v)} rows={3} testId="wz-inventory-text" />
        {inv.error ? (
          <p className="field-error" role="alert" data-testid="wz-inventory-error">
            {inv.error}
          </p>
        ) : null}
        {rows.length ? (
          <table className="wz-table" data-testid="wz-inventory-table">
            <caption className="wz-caption">{rows.length === 1 ? '1 machine' : `${rows.length} machines`}; others get the defaults.</caption>
            <thead>
              <tr>
                <th scope="col">Line</th>
                <th scope="col">MAC</th>
                <th scope="col">Host name</th>
                <th scope="col">Address</th>
                {extraColumns.map((c) => (
                  <th key={c} scope="col">
                    {c}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.mac} data-testid="wz-inventory-row">
                  <td>{r.line}</td>
                  <td className="mono">{r.mac}</td>
                  <td className="mono">{r.hostname ?? '—'}</td>
                  <td className="mono">{r.ip ? `${r.ip}${r.prefix !== undefined ? `/${r.prefix}` : ''}` : 'DHCP'}</td>
                  {extraColumns.map((c) => (
                    <td key={c}>{r.vars[c] ?? ''}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
      </div>
    </>
  );
}

function PackagesStep({ issues }: StepProps) {
  const pkgs = useWizard((s) => s.draft.packages);
  const security = useWizard((s) => s.draft.security);
  const repoCount = useWizard((s) => s.draft.repositories.length);
  const target = useWizard((s) => s.target);
  const { update } = useWizardActions();
  const kickstart = TARGETS[target].format === 'kickstart';
  return (
    <>
      <ListField label="Extra packages" value={pkgs.install} onChange={(v) => update((p) => (p.packages.install = v))} issues={issuesAt(issues, 'packages.install')} placeholder="vim-enhanced tmux" help="Separated by spaces, commas or lines." testId="wz-packages" />
      <ListField
        label={kickstart ? 'Groups and environments (without @)' : 'Tasks (tasksel)'}
        value={pkgs.groups}
        onChange={(v) => update((p) => (p.packages.groups = v))}
        issues={issuesAt(issues, 'packages.groups')}
        rows={2}
        placeholder={kickstart ? '^minimal-environment' : 'standard'}
        help="Empty: the release’s minimal set."
      />
      {kickstart ? (
        <>
          <ListField label="Packages to leave out" value={pkgs.exclude} onChange={(v) => update((p) => (p.packages.exclude = v))} issues={issuesAt(issues, 'packages.exclude')} rows={2} />
          <div className="wz-row">
            <SelectField<'enforcing' | 'permissive' | 'disabled'>
              label="SELinux"
              value={security.selinux}
              options={[
                { value: 'enforcing', label: 'Enforcing' },
                { value: 'permissive', label: 'Permissive' },
                { value: 'disabled', label: 'Disabled' },
              ]}
              onChange={(v) => update((p) => (p.security.selinux = v))}
            />
            <CheckField label="Firewall on" checked={security.firewall.enabled} onChange={(v) => update((p) => (p.security.firewall.enabled = v))} />
          </div>
          {security.firewall.enabled ? (
            <ListField label="Firewall: allowed services" value={security.firewall.services} onChange={(v) => update((p) => (p.security.firewall.services = v))} issues={issuesAt(issues, 'security.firewall.services')} rows={1} />
          ) : null}
        </>
      ) : null}
      {repoCount ? <p className="field-help">{repoCount === 1 ? 'One extra repository' : `${repoCount} extra repositories`} from the profile file are kept (edit them in the JSON file).</p> : null}
    </>
  );
}

function PostStep({ issues }: StepProps) {
  const script = useWizard((s) => s.draft.postInstall);
  const { update } = useWizardActions();
  return (
    <TextAreaField
      label="Post-install script (sh)"
      value={script}
      rows={14}
      onChange={(v) => update((p) => (p.postInstall = v))}
      issues={issuesAt(issues, 'postInstall')}
      testId="wz-post"
      help="Runs as root inside the installed system at the end of the install (kickstart %post, d-i in-target, autoinstall late-commands)."
    />
  );
}

function FinishStep({ issues }: StepProps) {
  const finish = useWizard((s) => s.draft.finish);
  const checkIn = useWizard((s) => s.draft.firstBootCheckIn);
  const { update } = useWizardActions();
  return (
    <>
      <ChoiceField<'reboot' | 'poweroff'>
        label="When the install is done"
        value={finish}
        testId="wz-finish"
        onChange={(v) => update((p) => (p.finish = v))}
        issues={issuesAt(issues, 'finish')}
        choices={[
          { value: 'reboot', label: 'Reboot', help: 'Into the installed system (set the boot order to disk first, or leave FieldBoot’s menu default: local disk).' },
          { value: 'poweroff', label: 'Power off', help: 'To rack or ship the machine.' },
        ]}
      />
      <CheckField
        label="First-boot check-in"
        checked={checkIn}
        onChange={(v) => update((p) => (p.firstBootCheckIn = v))}
        testId="wz-checkin"
        help="The installed system reports once to FieldBoot when it first boots, so the client list shows it finished."
      />
    </>
  );
}

export function StepForm({ step, issues, fromImage }: { step: WizardStepId; issues: readonly ValidationIssue[]; fromImage: string | null }) {
  switch (step) {
    case 'system':
      return <SystemStep issues={issues} fromImage={fromImage} />;
    case 'locale':
      return <LocaleStep issues={issues} />;
    case 'accounts':
      return <AccountsStep issues={issues} />;
    case 'disk':
      return <DiskStep issues={issues} />;
    case 'partitioning':
      return <PartitioningStep issues={issues} />;
    case 'network':
      return <NetworkStep issues={issues} />;
    case 'packages':
      return <PackagesStep issues={issues} />;
    case 'post':
      return <PostStep issues={issues} />;
    case 'finish':
      return <FinishStep issues={issues} />;
  }
}
