/**
 * The bmc:* half of FieldbootApi for scripted test APIs that do not exercise BMCs: every call answers with an
 * error, so a test that reaches one by accident fails loudly.
 */
import type { ApiResult, FieldbootApi } from '../../shared/api/fieldboot-api';
import { errorInfo } from '../../shared/errors';

const unscripted = (): Promise<ApiResult<never>> => Promise.resolve({ ok: false, error: errorInfo('bad-option', 'BMCs are not scripted in this test') });

export function unscriptedBmcApi(): Pick<FieldbootApi, 'listBmcs' | 'addBmc' | 'updateBmc' | 'importBmcs' | 'removeBmcs' | 'testBmcs' | 'installBmcs' | 'powerBmcs'> {
  return {
    listBmcs: unscripted,
    addBmc: unscripted,
    updateBmc: unscripted,
    importBmcs: unscripted,
    removeBmcs: unscripted,
    testBmcs: unscripted,
    installBmcs: unscripted,
    powerBmcs: unscripted,
  };
}
