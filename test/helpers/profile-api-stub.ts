/**
 * The profiles:* half of FieldbootApi for scripted test APIs that do not exercise profiles: every call
 * answers with an error, so a test that reaches one by accident fails loudly.
 */
import type { ApiResult, FieldbootApi } from '../../shared/api/fieldboot-api';
import { errorInfo } from '../../shared/errors';

const unscripted = (): Promise<ApiResult<never>> => Promise.resolve({ ok: false, error: errorInfo('bad-option', 'profiles are not scripted in this test') });

export function unscriptedProfileApi(): Pick<FieldbootApi, 'listProfiles' | 'getProfile' | 'saveProfile' | 'deleteProfile' | 'renderProfile'> {
  return { listProfiles: unscripted, getProfile: unscripted, saveProfile: unscripted, deleteProfile: unscripted, renderProfile: unscripted };
}
