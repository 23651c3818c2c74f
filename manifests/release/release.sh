#!/usr/bin/env bash
# Writes what a user applies for one release: the kustomize output of
# manifests/ (CRD, controllers, hook server) and of manifests/clientgo-mirror/,
# with every image pinned by digest, never by tag.
#
#   release.sh OUT_DIR VERSION REGISTRY SERVER_DIGEST MIRROR_DIGEST
#
# `make release-manifests` calls it with the digests of `make images`.
set -euo pipefail

if [[ $# -ne 5 ]]; then
  echo "usage: $0 OUT_DIR VERSION REGISTRY SERVER_DIGEST MIRROR_DIGEST" >&2
  exit 2
fi
out=$1 version=$2 registry=${3%/} server=$4 mirror=$5
for d in "$server" "$mirror"; do
  [[ $d =~ ^sha256:[0-9a-f]{64}$ ]] || { echo "release: $d is not a sha256 digest" >&2; exit 2; }
done
[[ -n $registry && -n $version ]] || { echo "release: REGISTRY and VERSION must be set" >&2; exit 2; }

manifests=$(cd "$(dirname "$0")/.." && pwd)
overlay=$(mktemp -d)
trap 'rm -rf "$overlay"' EXIT
mkdir -p "$out"

# build NAME SOURCE_DIR: one overlay per artifact; kustomize takes only
# relative paths to resources.
build() {
  local src
  src=$(realpath --relative-to="$overlay" "$2")
  cat >"$overlay/kustomization.yaml" <<YAML
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
- $src
labels:
- pairs: {app.kubernetes.io/version: "$version"}
images:
- {name: ghcr.io/hookops/hookops-server, newName: $registry/hookops-server, digest: "$server"}
- {name: ghcr.io/hookops/clientgo-mirror, newName: $registry/clientgo-mirror, digest: "$mirror"}
YAML
  kubectl kustomize --load-restrictor LoadRestrictionsNone "$overlay" >"$out/$1-$version.yaml"
  if grep -nE 'image: .*:latest|image: [^@]*$' "$out/$1-$version.yaml" >&2; then
    echo "release: an image in $1 is not pinned by digest" >&2
    exit 1
  fi
  echo "$out/$1-$version.yaml"
}
build hookops "$manifests"
build clientgo-mirror "$manifests/clientgo-mirror"
