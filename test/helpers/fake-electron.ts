/**
 * A stand-in for the parts of the `electron` module that the preload and the IPC handlers use, wired
 * to each other in one process, so the bridge can be tested without the Electron binary (absent here).
 * Arguments cross "processes" through structuredClone, as Electron's IPC does.
 * Load it in place of `electron` with `useFakeElectron()` before importing the code under test.
 */
import { register } from 'node:module';

type Listener = (event: unknown, ...args: unknown[]) => void;
type Handler = (event: unknown, ...args: unknown[]) => unknown;

const handlers = new Map<string, Handler>();
const rendererListeners = new Map<string, Set<Listener>>();

export const exposed = new Map<string, unknown>();

export const mainFrame = { processId: 1, routingId: 1 };
export const webContents = {
  mainFrame,
  destroyed: false,
  isDestroyed(): boolean {
    return this.destroyed;
  },
  send(channel: string, ...args: unknown[]): void {
    for (const l of rendererListeners.get(channel) ?? []) l({ sender: 'ipc-renderer' }, ...args.map((a) => structuredClone(a)));
  },
};
export const fakeWindow = { webContents, isDestroyed: () => webContents.destroyed };

/** Who the next invoke comes from; tests switch it to play a subframe or another window. */
export const caller: { sender: unknown; senderFrame: { processId: number; routingId: number } | null } = { sender: webContents, senderFrame: mainFrame };

export const contextBridge = {
  exposeInMainWorld(key: string, api: unknown): void {
    exposed.set(key, api);
  },
};

export const ipcRenderer = {
  async invoke(channel: string, ...args: unknown[]): Promise<unknown> {
    const handler = handlers.get(channel);
    if (!handler) throw new Error(`Error invoking remote method '${channel}': No handler registered`);
    return structuredClone(await handler({ sender: caller.sender, senderFrame: caller.senderFrame }, ...args.map((a) => structuredClone(a))));
  },
  on(channel: string, listener: Listener): void {
    const set = rendererListeners.get(channel) ?? new Set();
    set.add(listener);
    rendererListeners.set(channel, set);
  },
  removeListener(channel: string, listener: Listener): void {
    rendererListeners.get(channel)?.delete(listener);
  },
  listenerCount(channel: string): number {
    return rendererListeners.get(channel)?.size ?? 0;
  },
};

/** Electron's webUtils: the real one returns the dropped file's path ('' for a File made in the page). */
export const webUtils = {
  getPathForFile(file: { name?: string; path?: string }): string {
    return file.path ?? '';
  },
};

export const ipcMain = {
  handle(channel: string, handler: Handler): void {
    if (handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
    handlers.set(channel, handler);
  },
  removeHandler(channel: string): void {
    handlers.delete(channel);
  },
  handledChannels(): string[] {
    return [...handlers.keys()];
  },
};

/** Makes `import ... from 'electron'` resolve to this file for everything imported afterwards. */
export function useFakeElectron(): void {
  const self = import.meta.url;
  const hooks = `export async function resolve(specifier, context, next) {
    if (specifier === 'electron') return { url: ${JSON.stringify(self)}, shortCircuit: true };
    return next(specifier, context);
  }`;
  register(`data:text/javascript,${encodeURIComponent(hooks)}`);
}
