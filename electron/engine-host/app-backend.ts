/**
 * The app backend: what both the Electron IPC handlers and the web-mode server call. It implements the
 * request half of FieldbootApi and pushes state/events to subscribers. Never imports electron.
 */
import type { ApiPush, ServingState, StartRequest } from '../../shared/api/fieldboot-api';
import type { NetworkInterfaceInfo } from '../../shared/model/network';

export interface AppBackend {
  listInterfaces(): Promise<NetworkInterfaceInfo[]>;
  getState(): ServingState;
  /** Throws FieldbootError on failure (validated input, engine refusal). */
  startServing(request: StartRequest): Promise<ServingState>;
  stopServing(): Promise<ServingState>;
  subscribe(listener: (push: ApiPush) => void): () => void;
  /** Stop serving and end the engine process. */
  dispose(): Promise<void>;
}
