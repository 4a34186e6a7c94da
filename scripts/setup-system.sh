#!/usr/bin/env bash
# Installs the Debian packages raftwire's tests and benchmarks need, when they are missing:
# Go 1.19 and etcd 3.4.23's Go source (interop harnesses are built against it), the etcd binary,
# openssl (test certificates), iproute2 and nftables (multi-host tests in network namespaces),
# chromium (the status page's browser test, driven by the playwright-core devDependency),
# faketime (clock jumps), fiu-utils (libfiu: libc I/O failures) and a C compiler (the power-cut
# layer, built at test time) for test/faults.
# Needs root to install; says exactly what is missing otherwise. Never skips silently.
set -euo pipefail

need=()
command -v go >/dev/null 2>&1 || need+=(golang-go)
[ -d /usr/share/gocode/src/go.etcd.io/etcd/raft ] || need+=(golang-etcd-server-dev)
command -v etcd >/dev/null 2>&1 || need+=(etcd-server)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v nft >/dev/null 2>&1 || need+=(nftables)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
[ -e /usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1 ] || need+=(faketime)
command -v fiu-run >/dev/null 2>&1 || need+=(fiu-utils)
command -v cc >/dev/null 2>&1 || need+=(gcc libc6-dev)

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "raftwire: the tests need these Debian packages: ${need[*]}" >&2
  echo "raftwire: run as root, or install them first: sudo apt-get install -y ${need[*]}" >&2
  exit 1
fi
echo "raftwire: installing ${need[*]} (apt-get)"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
