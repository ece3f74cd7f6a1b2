/**
 * IPC handlers for the request half of FieldbootApi, one per channel of API_CHANNELS, all dispatched
 * through the same table as web mode (engine-host/api-dispatch.ts: request checked, AppBackend called,
 * ApiResult returned). Backend pushes go to the window on API_PUSH_CHANNEL.
 */
import { ipcMain, type BrowserWindow, type IpcMainInvokeEvent } from 'electron';
import { API_CHANNELS, API_PUSH_CHANNEL, type ApiResult } from '../../shared/api/fieldboot-api';
import { ErrorCode, errorInfo } from '../../shared/errors';
import { dispatchApiCall } from '../engine-host/api-dispatch';
import type { AppBackend } from '../engine-host/app-backend';

/** Registers the handlers; returns a function that removes them and stops forwarding pushes. */
export function registerIpc(backend: AppBackend, window: BrowserWindow): () => void {
  const contents = window.webContents;

  // Only our own window's top frame may drive the backend: not a subframe, not another window.
  // (Frames compared by id: WebFrameMain wrappers are not guaranteed to be the same object.)
  const trusted = (event: IpcMainInvokeEvent): boolean => {
    const frame = event.senderFrame;
    const main = contents.mainFrame;
    return event.sender === contents && frame !== null && frame.processId === main.processId && frame.routingId === main.routingId;
  };

  for (const channel of API_CHANNELS) {
    ipcMain.handle(channel, async (event: IpcMainInvokeEvent, raw: unknown): Promise<ApiResult<unknown>> => {
      if (!trusted(event)) return { ok: false, error: errorInfo(ErrorCode.Internal, `refused IPC call ${channel} from an unknown frame`) };
      return dispatchApiCall(backend, channel, raw);
    });
  }

  const unsubscribe = backend.subscribe((push) => {
    if (!window.isDestroyed() && !contents.isDestroyed()) contents.send(API_PUSH_CHANNEL, push);
  });

  return () => {
    unsubscribe();
    for (const channel of API_CHANNELS) ipcMain.removeHandler(channel);
  };
}
