/**
 * Open, check and recognise an image in one call: what `fieldboot iso inspect` and the image library do
 * when an ISO is added. The check walks every directory (no file data is read), so a broken or incomplete
 * image is refused when it is added, not halfway through a client's install.
 */
import type { IsoSummary } from '../../../shared/model/iso-summary';
import { openIso, type OpenIsoOptions } from './iso-image';
import { detectOs } from './os-detect';

export async function inspectIso(path: string, options: OpenIsoOptions & { verify?: boolean } = {}): Promise<IsoSummary> {
  const image = await openIso(path, options);
  try {
    const counts = options.verify === false ? null : await image.verify();
    const summary = await detectOs(image);
    summary.fileCount = counts ? counts.files : null;
    return summary;
  } finally {
    await image.close();
  }
}
