/**
 * What the view's list gets of a record: everything but the log's older lines. With 200 machines a
 * delta batch can hold every record; their full logs (up to 200 lines each) would make each batch
 * megabytes. The detail panel asks for the one full record it shows (clients:get).
 */
import type { ClientRecord } from '../model/client-record';

/** Log lines kept in list records and pushes: the latest few, for a row's tooltip. */
export const LIST_LOG_TAIL = 3;

export function clientSummary(r: ClientRecord): ClientRecord {
  return r.log.length <= LIST_LOG_TAIL ? r : { ...r, log: r.log.slice(-LIST_LOG_TAIL) };
}
