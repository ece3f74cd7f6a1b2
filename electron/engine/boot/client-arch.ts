/**
 * Client system architecture types, RFC 4578 section 2.1 (option 93), as updated by the IANA
 * "Processor Architecture Types" registry.
 */
export const ClientArch = {
  BiosX86: 0,
  NecPc98: 1,
  EfiItanium: 2,
  DecAlpha: 3,
  ArcX86: 4,
  IntelLeanClient: 5,
  EfiIa32: 6,
  EfiBc: 7, // RFC 4578 says "EFI BC"; every firmware that sends 7 is x86-64 UEFI
  EfiXscale: 8,
  EfiX64: 9,
  EfiArm32: 10,
  EfiArm64: 11,
  EfiX86Http: 15,
  EfiX64Http: 16,
  EfiArm32Http: 18,
  EfiArm64Http: 19,
} as const;
export type ClientArch = (typeof ClientArch)[keyof typeof ClientArch];

export const Firmware = {
  Bios: 'bios',
  EfiX64: 'efi-x64',
  EfiIa32: 'efi-ia32',
  EfiArm64: 'efi-arm64',
  EfiX64Http: 'efi-x64-http',
  EfiArm64Http: 'efi-arm64-http',
  Unknown: 'unknown',
} as const;
export type Firmware = (typeof Firmware)[keyof typeof Firmware];

export function firmwareOf(arch: number | undefined): Firmware {
  switch (arch) {
    case undefined:
    case ClientArch.BiosX86:
      return Firmware.Bios;
    case ClientArch.EfiIa32:
      return Firmware.EfiIa32;
    case ClientArch.EfiBc:
    case ClientArch.EfiX64:
      return Firmware.EfiX64;
    case ClientArch.EfiArm64:
      return Firmware.EfiArm64;
    case ClientArch.EfiX64Http:
      return Firmware.EfiX64Http;
    case ClientArch.EfiArm64Http:
      return Firmware.EfiArm64Http;
    default:
      return Firmware.Unknown;
  }
}
