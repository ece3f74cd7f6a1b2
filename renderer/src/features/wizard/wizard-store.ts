/**
 * The answer-file wizard's state: the profile being edited, the passwords being typed (memory only),
 * the inventory CSV, the saved profiles, and what Save and the main-side render answered. Kept apart
 * from the app store because none of it is the backend's state until it is saved.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { FieldbootApi, ProfileRender, ProfileSummary } from '../../../../shared/api/fieldboot-api';
import { DEFAULT_PROFILE, type Profile, type TargetId } from '../../../../shared/answer/profile';
import type { ErrorInfo } from '../../../../shared/errors';
import { EMPTY_PASSWORDS, defaultProfileName, profileToSave, readInventory, type InventoryState, type PasswordFields, type WizardStepId } from './wizard-model';

export interface SavedResult {
  name: string;
  /** What main renders for the saved profile (what is served), or why it could not. */
  served: ProfileRender | null;
  servedError: ErrorInfo | null;
}

export interface WizardState {
  draft: Profile;
  target: TargetId;
  step: WizardStepId;
  passwords: PasswordFields;
  /** Bumped when a profile is loaded or started anew: form fields that keep their own text reset on it. */
  revision: number;
  /** The technician changed something since the last load, new or save. */
  dirty: boolean;
  /** The target came from the technician (or a loaded profile), not from the Images screen. */
  targetChosen: boolean;
  inventoryText: string;
  inventoryFileName: string | null;
  inventory: InventoryState;
  /** Preview (and served render) for this machine; null: the generic file. */
  previewMac: string | null;
  profiles: ProfileSummary[];
  profilesError: ErrorInfo | null;
  saving: boolean;
  saveError: ErrorInfo | null;
  lastSaved: SavedResult | null;
  loadError: ErrorInfo | null;

  update(change: (draft: Profile) => void): void;
  setTarget(target: TargetId, chosen?: boolean): void;
  setStep(step: WizardStepId): void;
  setPasswords(patch: Partial<PasswordFields>): void;
  setInventory(text: string, fileName?: string | null): void;
  setPreviewMac(mac: string | null): void;
  refreshProfiles(): Promise<void>;
  load(name: string): Promise<void>;
  startNew(): void;
  remove(name: string): Promise<void>;
  /** Sends the profile (and any typed passwords) to main; on success the draft becomes what was stored. */
  save(): Promise<boolean>;
}

export type WizardStore = StoreApi<WizardState>;

function newDraft(target: TargetId): Profile {
  const p = structuredClone(DEFAULT_PROFILE);
  p.name = defaultProfileName(target);
  p.target = target;
  return p;
}

export function createWizardStore(api: FieldbootApi, initialTarget: TargetId = 'rocky9'): WizardStore {
  return createStore<WizardState>()((set, get) => {
    const renderServed = async (profile: Profile): Promise<SavedResult> => {
      const { target, previewMac, inventoryText, inventory } = get();
      const r = await api.renderProfile({
        profile,
        target,
        ...(previewMac ? { mac: previewMac } : {}),
        ...(inventory.inventory ? { inventory: inventoryText } : {}),
      });
      return { name: profile.name, served: r.ok ? r.value : null, servedError: r.ok ? null : r.error };
    };

    return {
      draft: newDraft(initialTarget),
      target: initialTarget,
      step: 'system',
      passwords: { ...EMPTY_PASSWORDS },
      revision: 0,
      dirty: false,
      targetChosen: false,
      inventoryText: '',
      inventoryFileName: null,
      inventory: { inventory: null, error: null },
      previewMac: null,
      profiles: [],
      profilesError: null,
      saving: false,
      saveError: null,
      lastSaved: null,
      loadError: null,

      update(change) {
        const draft = structuredClone(get().draft);
        change(draft);
        set({ draft, dirty: true, lastSaved: null });
      },

      setTarget(target, chosen = true) {
        const { draft, target: old } = get();
        // A name nobody typed follows the target.
        const name = draft.name === defaultProfileName(old) ? defaultProfileName(target) : draft.name;
        set({ target, draft: { ...draft, name, target }, targetChosen: get().targetChosen || chosen, dirty: get().dirty || chosen, lastSaved: null });
      },

      setStep(step) {
        set({ step });
      },

      setPasswords(patch) {
        set((s) => ({ passwords: { ...s.passwords, ...patch }, dirty: true, lastSaved: null }));
      },

      setInventory(text, fileName = null) {
        const inventory = readInventory(text);
        const mac = get().previewMac;
        // The machine previewed must still be in the list.
        const keep = mac !== null && inventory.inventory?.rows.some((r) => r.mac === mac);
        set({ inventoryText: text, inventoryFileName: fileName, inventory, previewMac: keep ? mac : null, lastSaved: null });
      },

      setPreviewMac(mac) {
        const { lastSaved, dirty, draft } = get();
        set({ previewMac: mac, lastSaved: null });
        // Saved and unchanged: ask main for this machine's served copy too, so the check stays on screen.
        if (lastSaved && !dirty) {
          void renderServed(draft).then((served) => {
            if (get().previewMac === mac && !get().dirty) set({ lastSaved: served });
          });
        }
      },

      async refreshProfiles() {
        const r = await api.listProfiles();
        set(r.ok ? { profiles: r.value, profilesError: null } : { profilesError: r.error });
      },

      async load(name) {
        const r = await api.getProfile(name);
        if (!r.ok) {
          set({ loadError: r.error });
          return;
        }
        const profile = r.value;
        set((s) => ({
          draft: profile,
          target: profile.target ?? s.target,
          targetChosen: true,
          passwords: { ...EMPTY_PASSWORDS, rootMode: profile.accounts.rootPasswordHash ? 'password' : 'locked' },
          revision: s.revision + 1,
          dirty: false,
          loadError: null,
          saveError: null,
          lastSaved: null,
        }));
      },

      startNew() {
        set((s) => ({
          draft: newDraft(s.target),
          passwords: { ...EMPTY_PASSWORDS },
          revision: s.revision + 1,
          dirty: false,
          step: 'system',
          loadError: null,
          saveError: null,
          lastSaved: null,
        }));
      },

      async remove(name) {
        const r = await api.deleteProfile(name);
        if (!r.ok) set({ loadError: r.error });
        await get().refreshProfiles();
      },

      async save() {
        const { draft, target, passwords, saving } = get();
        if (saving) return false;
        set({ saving: true, saveError: null });
        const r = await api.saveProfile({
          profile: profileToSave(draft, target, passwords),
          ...(passwords.rootMode === 'password' && passwords.root !== '' ? { password: passwords.root } : {}),
          ...(draft.accounts.users[0] && passwords.admin !== '' ? { adminPassword: passwords.admin } : {}),
        });
        if (!r.ok) {
          set({ saving: false, saveError: r.error });
          return false;
        }
        // The typed passwords are gone from memory: main holds only their hashes now.
        set((s) => ({
          draft: r.value,
          passwords: { ...EMPTY_PASSWORDS, rootMode: s.passwords.rootMode },
          revision: s.revision + 1,
          dirty: false,
        }));
        const served = await renderServed(r.value);
        await get().refreshProfiles();
        set({ saving: false, lastSaved: served });
        return true;
      },
    };
  });
}
