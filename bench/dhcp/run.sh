#!/usr/bin/env bash
# DHCP benchmark: perfdhcp against FieldBoot's full-mode server and dnsmasq in two private network namespaces.
# Usage: sudo bash bench/dhcp/run.sh [--rates 250,500,1000] [--period 10] [--clients 500] [--storage disk,tmpfs]
#                                    [--servers fieldboot,dnsmasq] [--profile DIR]
# perfdhcp is in the kea-admin package (/usr/sbin/perfdhcp). See bench/dhcp/README.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PATH:/usr/sbin:/sbin"
for cmd in ip perfdhcp dnsmasq nstat ss; do
  command -v "$cmd" >/dev/null || { echo "missing $cmd (perfdhcp: apt-get install kea-admin)" >&2; exit 2; }
done
exec node --import tsx bench/dhcp/dhcp-bench.ts "$@"
