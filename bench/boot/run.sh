#!/usr/bin/env bash
# Boot benchmark: the same Debian-layout ISO booted by the same QEMU BIOS client from FieldBoot (iPXE + HTTP)
# and from dnsmasq + pxelinux + TFTP, alternating, on one namespace switch (root needed).
# Usage: sudo bash bench/boot/run.sh [--repeat 3] [--keep DIR] [--timeout-s 300]
# The namespaces, the image and the TFTP tree are created and removed by the driver, even on failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
for cmd in ip qemu-system-x86_64 xorriso dnsmasq tcpdump; do
  command -v "$cmd" >/dev/null || { echo "missing $cmd (tcpdump: apt-get install tcpdump)" >&2; exit 2; }
done
exec node --import tsx bench/boot/boot-bench.ts "$@"
