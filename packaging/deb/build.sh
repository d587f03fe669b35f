#!/usr/bin/env bash
# Builds the Debian binary package dist/ocf-mfs_VERSION_ARCH.deb with
# dpkg-deb alone (no debhelper, so any Debian or Ubuntu machine with Go can
# build it), from a staged `make install` and the files beside this script:
# control.in, changelog, copyright and lintian-overrides. Called by `make deb`.
#
#   build.sh DEB_VERSION STAGE OUTDIR
#
# STAGE is a DESTDIR `make install` has filled; the script adds the Debian
# files to it, compresses the man pages and the changelog as Debian policy
# asks, and prints the path of the package.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
[ $# -eq 3 ] || { echo "usage: build.sh DEB_VERSION STAGE OUTDIR" >&2; exit 2; }
version=$1 root=$2 out=$3
arch=$(dpkg --print-architecture)
doc=$root/usr/share/doc/ocf-mfs
# Dated by the last commit, not by the clock, so the same tree gives the
# same package.
epoch=$(git -C "$REPO" log -1 --format=%ct 2>/dev/null || date +%s)
date=$(LC_ALL=C date -u -R -d "@$epoch")

install -d -m 0755 "$doc" "$root/usr/share/lintian/overrides" "$root/DEBIAN"
install -m 0644 "$HERE/copyright" "$doc/copyright"
install -m 0644 "$REPO/README.md" "$doc/README.md"
sed -e "s/@VERSION@/$version/" -e "s/@DATE@/$date/" "$HERE/changelog" | gzip -n9 >"$doc/changelog.Debian.gz"
install -m 0644 "$HERE/lintian-overrides" "$root/usr/share/lintian/overrides/ocf-mfs"
# Debian policy 12.1: man pages compressed with gzip -9n.
find "$root/usr/share/man" -type f ! -name '*.gz' -exec gzip -n9 {} +
chmod 0644 "$doc/changelog.Debian.gz"
find "$root" -path "$root/DEBIAN" -prune -o -type d -exec chmod 0755 {} +

size=$(du -k -s --exclude=DEBIAN "$root" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@SIZE@/$size/" "$HERE/control.in" >"$root/DEBIAN/control"
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z | xargs -0 md5sum) >"$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/control" "$root/DEBIAN/md5sums"
find "$root" -exec touch -h -d "@$epoch" {} +

mkdir -p "$out"
deb=$out/ocf-mfs_${version}_${arch}.deb
SOURCE_DATE_EPOCH=$epoch dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb"
