/**
 * Content-Type by file extension. UEFI HTTP boot (EDK II HttpBootDxe, HttpBootCheckImageType) decides how to
 * start a download from its media type, and looks at the extension only when the type is none of
 * application/efi, application/vnd.efi-iso and application/vnd.efi-img: those three are sent for .efi, .iso
 * and .img. Text types let a technician read menus and answer files in a browser.
 */
const TEXT = 'text/plain; charset=utf-8';

export const MIME_TYPES = {
  // UEFI HTTP boot image types (UEFI spec 2.10 section 24.7, EDK II HttpBootDxe; IANA vnd.efi-iso / vnd.efi-img).
  '.efi': 'application/efi',
  '.iso': 'application/vnd.efi-iso',
  '.img': 'application/vnd.efi-img',
  // Boot menus, scripts and answer files.
  '.cfg': TEXT,
  '.conf': TEXT,
  '.ipxe': TEXT,
  '.txt': TEXT,
  '.ks': TEXT,
  '.seed': TEXT,
  '.preseed': TEXT,
  '.treeinfo': TEXT,
  '.discinfo': TEXT,
  '.sh': TEXT,
  '.lst': TEXT,
  '.yaml': 'application/yaml',
  '.yml': 'application/yaml',
  '.json': 'application/json',
  '.xml': 'application/xml',
  '.html': 'text/html; charset=utf-8',
  '.htm': 'text/html; charset=utf-8',
  // Packages and compressed payloads (install trees).
  '.gz': 'application/gzip',
  '.xz': 'application/x-xz',
  '.bz2': 'application/x-bzip2',
  '.zst': 'application/zstd',
  '.rpm': 'application/x-rpm',
  '.deb': 'application/vnd.debian.binary-package',
  '.udeb': 'application/vnd.debian.binary-package',
} as const satisfies Record<string, string>;

export const DEFAULT_MIME_TYPE = 'application/octet-stream';

/** Names that are text whatever their extension (extensionless Debian/RHEL metadata, pxelinux configs). */
const TEXT_NAMES = new Set(['release', 'inrelease', 'packages', 'default', 'md5sum.txt', 'sha256sum.txt', 'user-data', 'meta-data', 'vendor-data']);

export function mimeTypeFor(path: string): string {
  const name = (path.slice(path.lastIndexOf('/') + 1) || path).toLowerCase();
  const dot = name.lastIndexOf('.');
  if (dot > 0) {
    const ext = name.slice(dot) as keyof typeof MIME_TYPES;
    if (Object.hasOwn(MIME_TYPES, ext)) return MIME_TYPES[ext];
  }
  // ".treeinfo" and ".discinfo" are whole names starting with a dot.
  if (dot === 0 && Object.hasOwn(MIME_TYPES, name)) return MIME_TYPES[name as keyof typeof MIME_TYPES];
  if (TEXT_NAMES.has(name)) return TEXT;
  return DEFAULT_MIME_TYPE;
}
