#!/usr/bin/env bash
# Builds one policy-engine CLI from Go modules at a pinned version, caches it
# outside the repo and prints its path:
#
#   test/policy/tools.sh kyverno|gator|opa
#
# The cache is ${XDG_CACHE_HOME:-$HOME/.cache}/hookops/tools/<name>-<version>
# (HOOKOPS_CACHE_DIR replaces .../hookops, as for the control plane); build
# progress goes to stderr.
set -euo pipefail

kyverno_version=v1.19.1
gator_version=v3.23.1
opa_version=v1.22.2

name=${1:?usage: $0 kyverno|gator|opa}
case $name in
kyverno) version=$kyverno_version ;;
gator) version=$gator_version ;;
opa) version=$opa_version ;;
*) echo "$0: unknown tool $name (want kyverno, gator or opa)" >&2; exit 2 ;;
esac

tools=${HOOKOPS_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/hookops}/tools
bin=$tools/$name-$version
if [[ -x $bin ]]; then
  echo "$bin"
  exit 0
fi

mkdir -p "$tools"
# Test packages run in parallel and may all ask for the same tool: one builds,
# the others wait for the lock and then find the binary in place.
exec 9>"$tools/.$name-$version.lock"
flock 9
if [[ -x $bin ]]; then
  echo "$bin"
  exit 0
fi

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
# Our own go.mod, a workspace or a GOFLAGS=-mod=vendor must not leak into
# builds of other modules.
export GOWORK=off GOFLAGS=-mod=mod CGO_ENABLED=0

# go install pkg@version builds with the tool's own dependency versions, as
# its release does, and leaves our go.mod alone.
go_install() { # package@version
  GOBIN=$scratch/bin go install -trimpath -ldflags "-s -w" "$1"
  mv "$scratch/bin/$(basename "${1%@*}")" "$bin.tmp"
}

# go install refuses a module whose go.mod has replace directives, which
# Kyverno's does; so build it from a scratch module that requires Kyverno and
# copies those replaces, which gives the dependency set of Kyverno's release.
build_kyverno() {
  local mod=github.com/kyverno/kyverno
  local info gomod
  # On failure (such as a 403 from the proxy) the error is in the JSON.
  info=$(go mod download -json "$mod@$version") || { echo "$info" >&2; return 1; }
  gomod=$(sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p' <<<"$info")
  [[ -n $gomod ]] || { echo "$0: go mod download gave no go.mod for $mod@$version" >&2; return 1; }
  mkdir "$scratch/mod"
  cd "$scratch/mod"
  go mod init hookops.invalid/kyverno-cli
  go mod edit -require="$mod@$version"
  # Copy the replace directives verbatim, single-line and block form alike.
  awk '/^replace[[:space:]]*\(/ {block = 1} block {print} block && /^\)/ {block = 0; next}
    !block && /^replace[[:space:]]/ {print}' "$gomod" >>go.mod
  # -mod=mod (exported above) lets the build fill the scratch go.sum.
  go build -trimpath -ldflags "-s -w -X $mod/pkg/version.BuildVersion=$version" \
    -o "$bin.tmp" "$mod/cmd/cli/kubectl-kyverno"
}

echo "building $name $version into $bin ..." >&2
start=$SECONDS
case $name in
kyverno) build_kyverno ;;
gator) go_install "github.com/open-policy-agent/gatekeeper/v3/cmd/gator@$version" ;;
opa) go_install "github.com/open-policy-agent/opa@$version" ;;
esac
mv "$bin.tmp" "$bin"
echo "built $name $version in $((SECONDS - start))s" >&2
echo "$bin"
