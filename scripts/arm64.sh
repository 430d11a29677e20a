#!/usr/bin/env bash
# Gets what `deno task test:arm64` needs to run the scripts with the aarch64
# Deno under qemu-user: that Deno, the same version as the one running, from
# the npm registry into .tools/arm64/ (fetched here when missing), and
# Debian's qemu-user, libc6-arm64-cross and libstdc++6-arm64-cross (named in
# one line when missing: installing system packages is the user's call;
# .ci/run installs them).
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v qemu-aarch64 >/dev/null || missing+=(qemu-user)
[ -e /usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1 ] || missing+=(libc6-arm64-cross)
[ -e /usr/aarch64-linux-gnu/lib/libstdc++.so.6 ] || missing+=(libstdc++6-arm64-cross)
if [ ${#missing[@]} -gt 0 ]; then
  echo "test:arm64: needs Debian's ${missing[*]}: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi

version=$(deno --version | head -n 1 | cut -d ' ' -f 2)
deno=.tools/arm64/package/deno
if [ ! -x "$deno" ] || [ "$(cat .tools/arm64/version 2>/dev/null)" != "$version" ]; then
  echo "test:arm64: fetching @deno/linux-arm64-glibc@$version from npm" >&2
  rm -rf .tools/arm64
  mkdir -p .tools/arm64
  (cd .tools/arm64 && npm pack --silent "@deno/linux-arm64-glibc@$version" >/dev/null &&
    tar xzf deno-linux-arm64-glibc-*.tgz && rm deno-linux-arm64-glibc-*.tgz)
  echo "$version" > .tools/arm64/version
fi
