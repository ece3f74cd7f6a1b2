/**
 * One entry for every generator: pick kickstart, preseed or autoinstall from the target. Pure; the
 * wizard's live preview, the CLI and (later) the HTTP server all call this.
 */
import { renderAutoinstall } from './autoinstall';
import { renderKickstart } from './kickstart';
import { renderPreseed } from './preseed';
import { TARGETS, type AnswerFormat, type HostVars, type Profile, type RenderContext } from './profile';

export interface RenderedAnswer {
  format: AnswerFormat;
  /** Suggested file name when saved or served (ks.cfg, preseed.cfg, user-data). */
  fileName: string;
  contentType: string;
  text: string;
}

export const ANSWER_FILE_NAMES: Record<AnswerFormat, string> = {
  kickstart: 'ks.cfg',
  preseed: 'preseed.cfg',
  // cloud-init's NoCloud datasource fetches "user-data" (and "meta-data") from the seed URL.
  autoinstall: 'user-data',
};

export function renderAnswer(profile: Profile, host: HostVars, ctx: RenderContext): RenderedAnswer {
  const format = TARGETS[ctx.target].format;
  const text =
    format === 'kickstart' ? renderKickstart(profile, host, ctx)
    : format === 'preseed' ? renderPreseed(profile, host, ctx)
    : renderAutoinstall(profile, host, ctx);
  return { format, fileName: ANSWER_FILE_NAMES[format], contentType: format === 'autoinstall' ? 'text/yaml; charset=utf-8' : 'text/plain; charset=utf-8', text };
}

/** Where the installer finds FieldBoot when the caller gives no URLs (the boot-flow issue owns the real paths). */
export const DEFAULT_PROGRESS_PATH = '/api/progress/{{mac}}';
export const DEFAULT_REPO_PATH = '/images/{{target}}/';

export function defaultRenderContext(target: RenderContext['target'], serverIp: string, httpPort = 80): RenderContext {
  const base = `http://${serverIp}${httpPort === 80 ? '' : `:${httpPort}`}`;
  return {
    target,
    serverIp,
    progressUrl: `${base}${DEFAULT_PROGRESS_PATH}`,
    repoUrl: `${base}${DEFAULT_REPO_PATH.replace('{{target}}', target)}`,
  };
}
