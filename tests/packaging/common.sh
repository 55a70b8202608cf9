# Shared by the packaging checks: failure reporting and the files every install must have.
fail() { echo "FAIL: $*" >&2; exit 1; }
note() { echo "-- $*"; }

# required_files APP_ID [gui]: paths relative to the install prefix.
required_files() {
  local id=$1 size
  echo bin/imago-cli lib/imago/plugins/libimago_sentencepiece.so \
       lib/imago/plugins/libimago_flava_torch.so share/man/man1/imago-cli.1.gz \
       share/doc/imago/copyright share/doc/imago/changelog.gz
  local f
  for f in imago-index.sbatch imago-merge.sbatch submit.sh imago-index-job.yaml; do
    echo share/doc/imago/examples/cluster/$f
  done
  if [ "${2:-}" = gui ]; then
    echo bin/imago share/man/man1/imago.1.gz share/applications/$id.desktop \
         share/metainfo/$id.metainfo.xml share/icons/hicolor/scalable/apps/$id.svg
    for size in 16 22 24 32 48 64 128 256 512; do
      echo share/icons/hicolor/${size}x${size}/apps/$id.png
    done
  fi
}
