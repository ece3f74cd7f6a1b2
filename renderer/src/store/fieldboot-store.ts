/**
 * The renderer's one store: what the backend told us (interfaces, serving state, recent events) and
 * what the technician is choosing (interface, DHCP mode, range). Actions call the FieldbootApi; the
 * serving state itself only changes from what the backend returns or pushes, never optimistically,
 * so the screen never claims a DHCP server is off while it is still running.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { ApiPush, FieldbootApi, ServingState } from '../../../shared/api/fieldboot-api';
import { IDLE_STATE } from '../../../shared/api/fieldboot-api';
import type { ErrorInfo } from '../../../shared/errors';
import { ErrorCode, errorInfo } from '../../../shared/errors';
import type { LibraryImage } from '../../../shared/model/library-image';
import type { EngineEvent, LinkEvent } from '../../../shared/model/engine-event';
import type { NetworkInterfaceInfo } from '../../../shared/model/network';
import { DhcpMode } from '../../../shared/model/serve-config';

/** Enough to see the last few machines boot; older lines go (the CLI's --json log keeps everything). */
export const MAX_EVENTS = 200;

export interface LoggedEvent {
  id: number;
  event: EngineEvent;
}

export type LoadStatus = 'loading' | 'ready' | 'error';

/** A dropped file on its way into the library: being uploaded (web mode) or inspected. */
export interface PendingImage {
  key: number;
  fileName: string;
  phase: 'uploading' | 'checking';
  sentBytes: number;
  totalBytes: number;
}

/** Why a dropped file was not added, kept until dismissed or the next drop. */
export interface ImageRefusal {
  key: number;
  fileName: string;
  error: ErrorInfo;
}

export interface FieldbootState {
  /** The API this store talks to, for feature stores that keep their own state (the answer-file wizard). */
  api: FieldbootApi;
  interfaces: NetworkInterfaceInfo[];
  interfacesStatus: LoadStatus;
  interfacesError: ErrorInfo | null;
  selectedInterface: string | null;
  dhcpMode: DhcpMode;
  /** "FIRST-LAST", or '' for the default derived from the interface subnet. */
  range: string;
  serving: ServingState;
  /** A start or stop request is in flight. */
  busy: boolean;
  /** The last call's error when the serving state does not already carry it. */
  actionError: ErrorInfo | null;
  /** Newest first. */
  events: LoggedEvent[];
  /** The serving interface's link as last reported while serving (null: nothing reported, or a new session). */
  link: LinkEvent | null;
  /**
   * The saved answer-file profile Start serves with: a name, null for none (interactive installs), or
   * undefined until the technician (or the first profile list) picks one.
   */
  serveProfile: string | null | undefined;
  setServeProfile(name: string | null): void;
  /** The image library, as the backend last told it. */
  images: LibraryImage[];
  imagesStatus: LoadStatus;
  imagesError: ErrorInfo | null;
  pendingImages: PendingImage[];
  imageRefusals: ImageRefusal[];

  /** Load everything and follow pushes; returns the unsubscribe. */
  connect(): () => void;
  refreshInterfaces(): Promise<void>;
  selectInterface(name: string): void;
  setDhcpMode(mode: DhcpMode): void;
  setRange(range: string): void;
  /** `assignAddress`: give the bare interface this address for the session (the network screen's offer). */
  startServing(options?: { assignAddress?: string }): Promise<void>;
  stopServing(): Promise<void>;
  /** Withdraws a start that waits on the administrator prompt (serving.prompt), while that Start is in flight. */
  cancelStart(): Promise<void>;
  clearEvents(): void;
  refreshImages(): Promise<void>;
  /** Dropped or picked files: added by path (desktop) or uploaded (web mode). */
  addImageFiles(files: File[]): Promise<void>;
  /** Re-inspect an image by its path (after the file changed). */
  recheckImage(id: string): Promise<void>;
  removeImage(id: string): Promise<void>;
  dismissImageRefusal(key: number): void;
}

export type FieldbootStore = StoreApi<FieldbootState>;

/** Which engine events belong in the live log: leases, transfers and problems, not chatter. */
export function isLoggable(event: EngineEvent): boolean {
  switch (event.type) {
    case 'lease':
    case 'pool':
    case 'stage':
    case 'arm':
    case 'error':
    case 'ready':
    case 'stopped':
    case 'link':
      return true;
    case 'file':
      // Progress ticks would flood the log; start/end/error tell the story.
      return event.action !== 'progress';
    case 'log':
      return event.level === 'warn' || event.level === 'error';
  }
}

/** The interface a technician most likely wants: up, with an address, not loopback or Wi-Fi. */
export function defaultInterface(list: NetworkInterfaceInfo[]): string | null {
  const score = (i: NetworkInterfaceInfo): number =>
    (i.kind === 'loopback' ? -100 : 0) + (i.linkUp ? 4 : 0) + (i.ipv4.length > 0 ? 2 : 0) + (i.kind === 'wifi' ? -1 : 0);
  const best = [...list].sort((a, b) => score(b) - score(a))[0];
  return best && best.kind !== 'loopback' ? best.name : null;
}

function isActive(state: ServingState): boolean {
  return state.phase === 'starting' || state.phase === 'serving' || state.phase === 'stopping';
}

/** Keeps `images` in the backend's order with `image` replacing its old entry (or appended). */
function upsertImage(images: LibraryImage[], image: LibraryImage): LibraryImage[] {
  return images.some((i) => i.id === image.id) ? images.map((i) => (i.id === image.id ? image : i)) : [...images, image];
}

export function createFieldbootStore(api: FieldbootApi): FieldbootStore {
  let nextEventId = 1;
  let nextImageKey = 1;
  return createStore<FieldbootState>()((set, get) => {
    const applyServing = (serving: ServingState): void => {
      const patch: Partial<FieldbootState> = { serving };
      // A window opened during an outage learns of it from the state, not only from the next link event.
      if (serving.link !== undefined && serving.link !== null) patch.link = serving.link;
      // While a session runs, the form shows what is actually being served.
      if (isActive(serving)) {
        if (serving.interface) patch.selectedInterface = serving.interface;
        if (serving.dhcpMode) patch.dhcpMode = serving.dhcpMode;
        if (serving.range) patch.range = serving.range;
      }
      set(patch);
    };

    const onPush = (push: ApiPush): void => {
      switch (push.type) {
        case 'state':
          applyServing(push.state);
          return;
        case 'event':
          // A new or ended session starts with no link news; a link event replaces the last one.
          if (push.event.type === 'link') set({ link: push.event });
          else if (push.event.type === 'ready' || push.event.type === 'stopped') set({ link: null });
          if (!isLoggable(push.event)) return;
          set((s) => ({ events: [{ id: nextEventId++, event: push.event }, ...s.events].slice(0, MAX_EVENTS) }));
          return;
        case 'images':
          set({ images: push.images, imagesStatus: 'ready', imagesError: null });
          return;
      }
    };

    const updatePending = (key: number, patch: Partial<PendingImage>): void =>
      set((s) => ({ pendingImages: s.pendingImages.map((p) => (p.key === key ? { ...p, ...patch } : p)) }));

    const addOne = async (file: File): Promise<void> => {
      const key = nextImageKey++;
      const path = api.pathForFile?.(file) ?? null;
      const upload = api.uploadImage;
      set((s) => ({
        pendingImages: [...s.pendingImages, { key, fileName: file.name, phase: path === null && upload ? 'uploading' : 'checking', sentBytes: 0, totalBytes: file.size }],
      }));
      let result;
      if (path !== null) result = await api.addImage(path);
      else if (upload) {
        result = await upload(file, {
          onProgress: ({ sentBytes, totalBytes }) => updatePending(key, { sentBytes, totalBytes, phase: sentBytes >= totalBytes ? 'checking' : 'uploading' }),
        });
      } else {
        result = { ok: false as const, error: errorInfo(ErrorCode.BadOption, `cannot read where ${file.name} is stored`, 'Drop the file from a folder on this computer.') };
      }
      set((s) => ({
        pendingImages: s.pendingImages.filter((p) => p.key !== key),
        ...(result.ok
          ? { images: upsertImage(s.images, result.value) }
          : { imageRefusals: [...s.imageRefusals, { key, fileName: file.name, error: result.error }].slice(-5) }),
      }));
    };

    return {
      api,
      interfaces: [],
      interfacesStatus: 'loading',
      interfacesError: null,
      selectedInterface: null,
      // Proxy is the safe default: it never hands out addresses on a network that has its own DHCP.
      dhcpMode: DhcpMode.Proxy,
      range: '',
      serving: IDLE_STATE,
      busy: false,
      actionError: null,
      events: [],
      link: null,
      serveProfile: undefined,
      setServeProfile(name) {
        if (isActive(get().serving)) return;
        set({ serveProfile: name });
      },
      images: [],
      imagesStatus: 'loading',
      imagesError: null,
      pendingImages: [],
      imageRefusals: [],

      connect() {
        const unsubscribe = api.subscribe(onPush);
        void api.getState().then((r) => {
          if (r.ok) applyServing(r.value);
        });
        void get().refreshInterfaces();
        void get().refreshImages();
        return unsubscribe;
      },

      async refreshInterfaces() {
        set({ interfacesStatus: 'loading' });
        const r = await api.listInterfaces();
        if (!r.ok) {
          set({ interfacesStatus: 'error', interfacesError: r.error });
          return;
        }
        const { selectedInterface, serving } = get();
        const stillThere = selectedInterface !== null && r.value.some((i) => i.name === selectedInterface);
        set({
          interfaces: r.value,
          interfacesStatus: 'ready',
          interfacesError: null,
          selectedInterface: stillThere ? selectedInterface : (serving.interface ?? defaultInterface(r.value)),
        });
      },

      selectInterface(name) {
        if (isActive(get().serving)) return;
        set({ selectedInterface: name, actionError: null });
      },
      setDhcpMode(mode) {
        if (isActive(get().serving)) return;
        set({ dhcpMode: mode });
      },
      setRange(range) {
        if (isActive(get().serving)) return;
        set({ range });
      },

      async startServing(options) {
        const { selectedInterface, dhcpMode, range, busy, serveProfile } = get();
        if (busy || selectedInterface === null) return;
        set({ busy: true, actionError: null });
        const trimmed = range.trim();
        const r = await api.startServing({
          interface: selectedInterface,
          dhcpMode,
          // The range only means something when we hand out addresses.
          ...(dhcpMode === DhcpMode.Full && trimmed ? { range: trimmed } : {}),
          ...(options?.assignAddress ? { assignAddress: options.assignAddress } : {}),
          ...(serveProfile !== undefined ? { profile: serveProfile } : {}),
        });
        if (r.ok) applyServing(r.value);
        // A failed start usually arrives as a "failed" state push too; keep the error either way.
        set({ busy: false, actionError: r.ok ? null : r.error });
        if (!r.ok) void api.getState().then((s) => s.ok && applyServing(s.value));
      },

      async stopServing() {
        if (get().busy) return;
        set({ busy: true, actionError: null });
        const r = await api.stopServing();
        if (r.ok) applyServing(r.value);
        set({ busy: false, actionError: r.ok ? null : r.error });
        if (!r.ok) void api.getState().then((s) => s.ok && applyServing(s.value));
      },

      async cancelStart() {
        // Not held back by `busy`: the request in flight is the very start being cancelled. It resolves idle.
        if (get().serving.phase !== 'starting' || !get().serving.prompt) return;
        const r = await api.stopServing();
        if (r.ok) applyServing(r.value);
        else set({ actionError: r.error });
      },

      clearEvents() {
        set({ events: [] });
      },

      async refreshImages() {
        const r = await api.listImages();
        if (r.ok) set({ images: r.value, imagesStatus: 'ready', imagesError: null });
        else set({ imagesStatus: 'error', imagesError: r.error });
      },

      async addImageFiles(files) {
        // A new drop replaces old refusals: the list of problems is about what was just dropped.
        set({ imageRefusals: [] });
        // One at a time: two multi-GB uploads side by side are each slower and fill the disk twice as fast.
        for (const file of files) await addOne(file);
      },

      async recheckImage(id) {
        const image = get().images.find((i) => i.id === id);
        if (!image) return;
        const key = nextImageKey++;
        set((s) => ({ pendingImages: [...s.pendingImages, { key, fileName: image.fileName, phase: 'checking', sentBytes: 0, totalBytes: image.size }] }));
        const r = await api.addImage(image.path);
        set((s) => ({
          pendingImages: s.pendingImages.filter((p) => p.key !== key),
          ...(r.ok ? { images: upsertImage(s.images, r.value) } : { imageRefusals: [...s.imageRefusals, { key, fileName: image.fileName, error: r.error }] }),
        }));
      },

      async removeImage(id) {
        const r = await api.removeImage(id);
        if (r.ok) set((s) => ({ images: s.images.filter((i) => i.id !== id) }));
        else set((s) => ({ imageRefusals: [...s.imageRefusals, { key: nextImageKey++, fileName: id, error: r.error }] }));
      },

      dismissImageRefusal(key) {
        set((s) => ({ imageRefusals: s.imageRefusals.filter((r) => r.key !== key) }));
      },
    };
  });
}
