#!/usr/bin/env bash
# Builds etcd, kube-apiserver and kube-controller-manager from Go modules (no
# downloads of prebuilt binaries) and caches them by version outside the repo.
# Prints the directory that holds them.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
version=v1.36.3
major=1
minor=36
cache=${HOOKOPS_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/hookops}
bin=$cache/bin/$version
# The stamp ties the cache to the exact dependency set in tools/go.sum.
stamp=$(sha256sum "$here/tools/go.sum" | cut -c1-16)

cached() {
  [[ -f $bin/.stamp && $(cat "$bin/.stamp") == "$stamp" ]] &&
    [[ -x $bin/etcd && -x $bin/kube-apiserver && -x $bin/kube-controller-manager ]]
}
if cached; then
  echo "$bin"
  exit 0
fi

mkdir -p "$bin"
# Test packages run in parallel and may all ask for the binaries: one builds,
# the others wait for the lock and then find the cache filled.
exec 9>"$bin/.lock"
flock 9
if cached; then
  echo "$bin"
  exit 0
fi
pkg=k8s.io/component-base/version
ldflags="-s -w -X $pkg.gitVersion=$version -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
build() { # name package
  echo "building $1 ($version) into $bin ..." >&2
  start=$SECONDS
  go build -C "$here/tools" -trimpath -ldflags "$ldflags" -o "$bin/$1.tmp" "$2"
  mv "$bin/$1.tmp" "$bin/$1"
  echo "built $1 in $((SECONDS - start))s" >&2
}
build etcd ./etcd
build kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver
build kube-controller-manager k8s.io/kubernetes/cmd/kube-controller-manager
echo "$stamp" >"$bin/.stamp"
echo "$bin"
