#!/usr/bin/env bash
# packaging_metadata: the desktop entry and AppStream metainfo validate; the app id, version and
# program names agree everywhere; the man pages describe what the programs' --help says.
#   usage: check_metadata.sh SOURCE_DIR BUILD_DIR APP_ID VERSION IMAGO_CLI [IMAGO]
set -euo pipefail
src=$1 build=$2 id=$3 version=$4 cli=$5 gui=${6:-}
. "$(dirname "$0")/common.sh"
desktop=$src/installer/$id.desktop
metainfo=$src/installer/$id.metainfo.xml

note "desktop-file-validate $desktop"
desktop-file-validate "$desktop" || fail "desktop-file-validate rejects $desktop"
note "appstreamcli validate --no-net $metainfo"
appstreamcli validate --no-net "$metainfo" || fail "appstreamcli rejects $metainfo"

# One app id: desktop file name, Icon=, metainfo id and launchable, setDesktopFileName().
grep -qx "Icon=$id" "$desktop" || fail "$desktop: Icon= is not $id"
grep -q "Exec=imago " "$desktop" || fail "$desktop: Exec= does not run imago"
grep -q "<id>$id</id>" "$metainfo" || fail "$metainfo: <id> is not $id"
grep -q "<launchable type=\"desktop-id\">$id.desktop</launchable>" "$metainfo" ||
  fail "$metainfo: the launchable is not $id.desktop"
grep -q "setDesktopFileName(QStringLiteral(\"$id\"))" "$src/app/gui/main.cpp" ||
  fail "app/gui/main.cpp does not call setDesktopFileName(\"$id\")"

# The newest release in the metainfo is the project version (the root CMakeLists.txt).
newest=$(grep -o '<release version="[^"]*"' "$metainfo" | head -1 | cut -d'"' -f2)
[ "$newest" = "$version" ] ||
  fail "$metainfo: newest <release> is '$newest', project(Imago VERSION) is $version"

# The versions the programs print come from the same place.
[ "$("$cli" --version)" = "imago-cli $version" ] || fail "imago-cli --version is not $version"

# imago-cli(1) is generated from --help; it must exist, render cleanly and name every verb.
man_cli=$build/installer/man/imago-cli.1.gz
[ -s "$man_cli" ] || fail "$man_cli was not generated"
warnings=$(zcat "$man_cli" | groff -man -ww -z 2>&1) || true
[ -z "$warnings" ] || fail "groff warns about imago-cli.1: $warnings"
page=$(zcat "$man_cli")
for verb in $("$cli" --help | awk '/^Verbs:$/ { on = 1; next } on && /^  [a-z]/ { print $1 }'); do
  grep -q "^\\.SS \"$verb" <<<"$page" || fail "imago-cli.1 has no section for '$verb'"
done
grep -q "^\\\\-\\\\-threads <N>" <<<"$page" || fail "imago-cli.1 lists no options"

# imago(1) is written by hand: every long option of `imago --help` must be in it.
if [ -n "$gui" ]; then
  [ "$("$gui" --version)" = "imago $version" ] || fail "imago --version is not '$version'"
  warnings=$(groff -man -ww -z "$src/installer/imago.1" 2>&1) || true
  [ -z "$warnings" ] || fail "groff warns about imago.1: $warnings"
  for opt in $("$gui" --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
    grep -q -- "${opt//-/\\\\-}" "$src/installer/imago.1" || fail "imago.1 does not describe $opt"
  done
fi
note "packaging metadata OK"
