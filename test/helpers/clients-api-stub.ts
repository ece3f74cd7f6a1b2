/**
 * The clients:* half of FieldbootApi for scripted test APIs that do not exercise the Clients view: an empty
 * list, and every change answers with an error, so a test that reaches one by accident fails loudly.
 */
import type { ApiResult, FieldbootApi } from '../../shared/api/fieldboot-api';
import { errorInfo } from '../../shared/errors';

const unscripted = (): Promise<ApiResult<never>> => Promise.resolve({ ok: false, error: errorInfo('bad-option', 'clients are not scripted in this test') });

export function unscriptedClientsApi(): Pick<FieldbootApi, 'listClients' | 'getClient' | 'armClients' | 'disarmClients' | 'clearFinishedClients' | 'exportClients'> {
  return {
    listClients: () => Promise.resolve({ ok: true, value: [] }),
    getClient: unscripted,
    armClients: unscripted,
    disarmClients: unscripted,
    clearFinishedClients: unscripted,
    exportClients: unscripted,
  };
}
