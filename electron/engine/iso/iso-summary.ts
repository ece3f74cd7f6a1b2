/** The plain summary of an image; the type lives in shared/ because the UI shows it. */
export { AnswerFormat, KERNEL_ARG_PLACEHOLDERS, OsFamily } from '../../../shared/model/iso-summary';
export type { IsoBootEntrySummary, IsoBootFiles, IsoSummary } from '../../../shared/model/iso-summary';
