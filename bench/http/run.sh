#!/usr/bin/env bash
# HTTP benchmark: a 1 GiB file served from inside an ISO by FieldBoot vs nginx serving the extracted file,
# on one namespace switch (root needed). Usage: sudo bash bench/http/run.sh [--size-mb 1024] [--repeat 5]
# [--concurrency 10] [--concurrent-repeat 3] [--nginx-sendfile on|off|both] [--copy-path] [--reuse DIR]
# The namespaces, the image and nginx's config live in temp places the driver removes, even on failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
for cmd in ip curl nginx xorriso sha256sum; do
  command -v "$cmd" >/dev/null || { echo "missing $cmd (nginx: apt-get install nginx-light)" >&2; exit 2; }
done
exec node --import tsx bench/http/http-bench.ts "$@"
