/**
 * The store's image actions against a scripted FieldbootApi: desktop adds by path (pathForFile), web mode
 * uploads with progress, refusals are kept per file, pushes replace the list.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ApiPush, ApiResult, FieldbootApi, UploadOptions } from '../../../../shared/api/fieldboot-api';
import { IDLE_STATE } from '../../../../shared/api/fieldboot-api';
import { errorInfo } from '../../../../shared/errors';
import type { LibraryImage } from '../../../../shared/model/library-image';
import { createFieldbootStore } from '../../../../renderer/src/store/fieldboot-store';
import { unscriptedProfileApi } from '../../../helpers/profile-api-stub';
import { unscriptedBmcApi } from '../../../helpers/bmc-api-stub';
import { unscriptedClientsApi } from '../../../helpers/clients-api-stub';

const ok = <T>(value: T): Promise<ApiResult<T>> => Promise.resolve({ ok: true, value });

function image(id: string, fileName: string): LibraryImage {
  return { id, path: `/isos/${fileName}`, fileName, size: 10, mtimeMs: 1, addedAt: '2024-01-01T00:00:00.000Z', origin: 'path', warnings: [], summary: { name: id } as never };
}

function api(over: Partial<FieldbootApi>): { api: FieldbootApi; push: (p: ApiPush) => void; added: string[] } {
  const listeners = new Set<(p: ApiPush) => void>();
  const added: string[] = [];
  return {
    added,
    push: (p) => listeners.forEach((l) => l(p)),
    api: {
      listInterfaces: () => ok([]),
      getState: () => ok(IDLE_STATE),
      startServing: () => ok(IDLE_STATE),
      stopServing: () => ok(IDLE_STATE),
      listImages: () => ok([image('a-1', 'a.iso')]),
      addImage: (path) => {
        added.push(path);
        return path.endsWith('.iso') ? ok(image('b-2', 'b.iso')) : Promise.resolve({ ok: false, error: errorInfo('iso-unreadable', `${path.split('/').pop()}: not an ISO 9660 or UDF image`) });
      },
      removeImage: (id) => ok(image(id, 'x.iso')),
      ...unscriptedProfileApi(),
      ...unscriptedBmcApi(),
    ...unscriptedClientsApi(),
      subscribe: (l) => {
        listeners.add(l);
        return () => listeners.delete(l);
      },
      ...over,
    },
  };
}

const file = (name: string, path?: string) => ({ name, size: 100, path }) as unknown as File;
const tick = () => new Promise((r) => setTimeout(r, 0));

test('desktop: dropped files are added by path; a refusal names the file and adds nothing', async () => {
  const s = api({ pathForFile: (f) => (f as unknown as { path?: string }).path ?? null });
  const store = createFieldbootStore(s.api);
  store.getState().connect();
  await tick();
  assert.deepEqual(store.getState().images.map((i) => i.id), ['a-1']);
  await store.getState().addImageFiles([file('b.iso', '/isos/b.iso'), file('notes.txt', '/home/t/notes.txt')]);
  assert.deepEqual(s.added, ['/isos/b.iso', '/home/t/notes.txt']);
  assert.deepEqual(store.getState().images.map((i) => i.id), ['a-1', 'b-2']);
  const refusals = store.getState().imageRefusals;
  assert.equal(refusals.length, 1);
  assert.equal(refusals[0]?.fileName, 'notes.txt');
  assert.match(refusals[0]?.error.message ?? '', /^notes\.txt: not an ISO/);
  assert.deepEqual(store.getState().pendingImages, []);
  // The next drop starts with a clean slate; a push replaces the list.
  await store.getState().addImageFiles([file('b.iso', '/isos/b.iso')]);
  assert.deepEqual(store.getState().imageRefusals, []);
  s.push({ type: 'images', images: [] });
  assert.deepEqual(store.getState().images, []);
});

test('web mode: files are uploaded, with progress shown while it runs', async () => {
  let progress: UploadOptions['onProgress'];
  let finish: (r: ApiResult<LibraryImage>) => void = () => undefined;
  const s = api({
    uploadImage: (_f, o) => {
      progress = o?.onProgress;
      return new Promise((resolve) => (finish = resolve));
    },
  });
  const store = createFieldbootStore(s.api);
  const done = store.getState().addImageFiles([file('c.iso')]);
  await tick();
  assert.deepEqual(store.getState().pendingImages.map((p) => [p.fileName, p.phase]), [['c.iso', 'uploading']]);
  progress?.({ sentBytes: 40, totalBytes: 100 });
  assert.equal(store.getState().pendingImages[0]?.sentBytes, 40);
  progress?.({ sentBytes: 100, totalBytes: 100 });
  assert.equal(store.getState().pendingImages[0]?.phase, 'checking', 'all bytes sent: the server is inspecting');
  finish({ ok: true, value: image('c-3', 'c.iso') });
  await done;
  assert.deepEqual(store.getState().pendingImages, []);
  assert.deepEqual(store.getState().images.map((i) => i.id), ['c-3']);
  assert.deepEqual(s.added, [], 'nothing added by path in web mode');
});
