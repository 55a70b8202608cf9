#!/usr/bin/env bash
# packaging_deb: cpack builds the .deb and the .tar.gz from the build tree; the .deb carries the
# project version, installs into /usr every file a desktop install needs, ships stripped
# programs, depends on the Debian runtime packages and lintian finds nothing to say about it;
# the .tar.gz holds the same tree.
#   usage: check_packages.sh BUILD_DIR APP_ID VERSION gui|nogui
set -euo pipefail
build=$1 id=$2 version=$3 gui=$4
. "$(dirname "$0")/common.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
note "cpack -G DEB;TGZ (in $tmp)"
cpack --config "$build/CPackConfig.cmake" -G "DEB;TGZ" -B "$tmp" >"$tmp/cpack.log" 2>&1 ||
  { cat "$tmp/cpack.log"; fail "cpack failed"; }
grep -i warning "$tmp/cpack.log" && fail "cpack warned"

arch=$(dpkg --print-architecture)
deb=$tmp/imago_${version}_${arch}.deb
[ -s "$deb" ] || { ls "$tmp"; fail "no $(basename "$deb")"; }
[ "$(dpkg-deb -f "$deb" Package)" = imago ] || fail "the package is not named imago"
[ "$(dpkg-deb -f "$deb" Version)" = "$version" ] || fail "the .deb version is not $version"
depends=$(dpkg-deb -f "$deb" Depends)
note "Depends: $depends"

# Runtime packages the programs need; names as in Debian 12 (bookworm).
needed=(libqt6core6 libqt6gui6 libqt6widgets6 libqt6dbus6 libtorch1.13 libsentencepiece0
        libturbojpeg0 libsqlite3-0 libexif12 libheif1 libtiff6 libopenblas0-openmp libqt6svg6
        qt6-image-formats-plugins)
for pkg in "${needed[@]}"; do
  grep -Eq "(^|, |\| )$pkg( |,|$)" <<<"$depends" || fail "Depends lacks $pkg"
done

dpkg-deb -c "$deb" | awk '{ print $NF }' | sed 's#^\./##' >"$tmp/deb.files"
for f in $(required_files "$id" "$([ "$gui" = gui ] && echo gui)"); do
  grep -qx "usr/$f" "$tmp/deb.files" || fail "the .deb lacks /usr/$f"
done
! grep -v '^usr/' "$tmp/deb.files" | grep -q . || fail "the .deb installs outside /usr"

dpkg-deb -x "$deb" "$tmp/deb"
file "$tmp/deb/usr/bin/imago-cli" | grep -q ', stripped' || fail "imago-cli in the .deb is not stripped"

# Debian's checker: no error, warning or info tag on the .deb (5 s idle, 25-35 s when busy).
if command -v lintian >/dev/null; then
  note "lintian --info $(basename "$deb")"
  lintian --info "$deb" 2>&1 | grep -v '^running with root privileges is not recommended!$' \
    >"$tmp/lintian.log" || true
  [ ! -s "$tmp/lintian.log" ] || { cat "$tmp/lintian.log"; fail "lintian reported the above"; }
else
  note "lintian is not installed (tools/install-deps.sh): the .deb is not linted"
fi

tgz=$tmp/imago-$version-Linux.tar.gz
[ -s "$tgz" ] || { ls "$tmp"; fail "no $(basename "$tgz")"; }
tar -tzf "$tgz" | sed "s#^imago-$version-Linux/##" >"$tmp/tgz.files"
for f in $(required_files "$id" "$([ "$gui" = gui ] && echo gui)"); do
  grep -qx "$f" "$tmp/tgz.files" || fail "the .tar.gz lacks $f"
done
note "packages OK: $(basename "$deb") $(du -h "$deb" | cut -f1), $(basename "$tgz")"
