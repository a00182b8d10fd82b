#!/usr/bin/env bash
# Installs the Debian packages flick's tests and benchmarks need, only when missing.
# Usage: scripts/install-system-deps.sh [toolchain] [etcd] [chromium] [bench] [erlang] [oci] [all]
set -euo pipefail
want=("${@:-all}")
pkgs=()
need() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed" || pkgs+=("$1"); }
for w in "${want[@]}"; do
  case "$w" in
    toolchain) for p in clang-14 lld-14 wasi-libc libclang-rt-14-dev-wasm32; do need "$p"; done ;;
    etcd) need etcd-server ;;
    chromium) need chromium ;;
    # bench: wrk is the HTTP load generator the rps bench points at flick and at workerd alike.
    bench) need wrk ;;
    # erlang: the BEAM peer of `flick bench erlang` (process spawn and message round trip).
    erlang) need erlang-base ;;
    # oci: crun runs a minimal OCI bundle whose rootfs is busybox-static (`flick bench crun`).
    oci) for p in crun busybox-static; do need "$p"; done ;;
    # all: what `npm test` needs. The peers (erlang, oci) are installed by their benches when missing.
    all) for p in clang-14 lld-14 wasi-libc libclang-rt-14-dev-wasm32 etcd-server chromium wrk; do need "$p"; done ;;
    *) echo "install-system-deps: unknown group '$w' (use toolchain, etcd, chromium, bench, erlang, oci or all)" >&2; exit 2 ;;
  esac
done
[ ${#pkgs[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "install-system-deps: missing ${pkgs[*]}; run as root: apt-get install -y ${pkgs[*]}" >&2
  exit 1
fi
echo "install-system-deps: installing ${pkgs[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >&2
