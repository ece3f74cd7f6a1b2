/**
 * Where the engine finds its bundled resources. In a checkout: <repo>/resources. In a packaged app:
 * electron-builder's extraResources (process.resourcesPath). FIELDBOOT_RESOURCES overrides both.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export function resolveResourcesDir(): string {
  const env = process.env.FIELDBOOT_RESOURCES;
  if (env) return resolve(env);
  const packaged = (process as { resourcesPath?: string }).resourcesPath;
  if (packaged && existsSync(join(packaged, 'boot'))) return packaged;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'resources', 'boot'))) return join(dir, 'resources');
    dir = dirname(dir);
  }
  return resolve('resources');
}

/** The repository (or app) root: the folder holding package.json above this file. */
export function resolveAppRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  return process.cwd();
}
