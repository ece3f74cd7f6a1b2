#!/usr/bin/env bash
# TFTP benchmark: FieldBoot vs dnsmasq vs atftpd vs tftpd-hpa on one namespace switch (root needed).
# Usage: sudo bash bench/tftp/run.sh [--size-mb 100] [--repeat 3] [--with-512] [--parallel 20] [--servers fieldboot,dnsmasq]
# The namespaces are created and removed by the driver (bench/tftp/tftp-bench.ts), even on failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
for cmd in ip curl atftp; do
  command -v "$cmd" >/dev/null || { echo "missing $cmd" >&2; exit 2; }
done
exec node --import tsx bench/tftp/tftp-bench.ts "$@"
