#!/bin/sh
# Build the mxverify image from deploy/Containerfile with the first of
# podman, buildah or docker found: ./deploy/build-image.sh [TAG]
set -eu
tag=${1:-mxverify:latest}
root=$(cd "$(dirname "$0")/.." && pwd)
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
version=$(git -C "$root" describe --tags --always --dirty 2>/dev/null || echo dev)
(cd "$root" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=$version" -o "$ctx/mxverify" ./cmd/mxverify)
mkdir -m 1777 "$ctx/tmp"
cp "$root/deploy/Containerfile" "$ctx/Containerfile"
for tool in podman buildah docker; do
	if command -v $tool >/dev/null 2>&1; then
		case $tool in
		buildah) buildah bud --layers=false -t "$tag" -f "$ctx/Containerfile" "$ctx" ;;
		*) $tool build -t "$tag" -f "$ctx/Containerfile" "$ctx" ;;
		esac
		exit 0
	fi
done
echo "build-image.sh: none of podman, buildah or docker is installed (Debian: apt-get install podman)" >&2
exit 1
