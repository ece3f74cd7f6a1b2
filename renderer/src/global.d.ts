import type { FieldbootApi } from '../../shared/api/fieldboot-api';

declare global {
  interface Window {
    /** Set by the Electron preload (electron/preload/index.ts); absent in web mode. */
    fieldboot?: FieldbootApi;
  }
}

export {};
