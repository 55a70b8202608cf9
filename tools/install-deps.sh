#!/usr/bin/env bash
# Installs everything Imago needs to build, test and run, from Debian 12 packages only.
# python3-gi + gir1.2-gnomedesktop-3.0: tst_thumbnailloader has GNOME's own thumbnail factory write a
# thumbnail that Imago must accept.
# libopenblas0-openmp matters: without it Debian's libtorch runs on the reference BLAS (~30x slower).
set -euo pipefail
packages=(
  build-essential cmake ninja-build ccache pkg-config git
  qt6-base-dev qt6-base-dev-tools qt6-tools-dev qt6-tools-dev-tools qt6-l10n-tools
  qt6-image-formats-plugins libqt6svg6 qt6-svg-dev
  libtorch-dev libfaiss-dev libsentencepiece-dev sentencepiece
  libturbojpeg0-dev libjpeg62-turbo-dev nlohmann-json3-dev libsqlite3-dev libexif-dev libheif-dev
  libtiff-dev libwebp-dev zlib1g-dev
  libopenblas0-openmp
  python3-torch python3-pil python3-numpy
  xvfb xauth imagemagick desktop-file-utils appstream dpkg-dev file groff-base lintian libglib2.0-bin
  python3-gi gir1.2-gnomedesktop-3.0 gir1.2-gdkpixbuf-2.0
  fonts-wqy-microhei qt6-translations-l10n
  # a real single-node Slurm for the cluster test (tests/cluster), started inside the test
  slurmctld slurmd slurm-client munge
  # only to regenerate tests/data/imaging (make_*.py): cjpeg, tiffcp/tiffset, webpmux
  libjpeg-turbo-progs libtiff-tools webp
)
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${packages[@]}"
# Debian may pick the pthread OpenBLAS or the reference BLAS when several are present; LibTorch
# uses OpenMP, so pin the OpenMP build (one thread pool, honours OMP_WAIT_POLICY).
for alt in libblas.so.3 liblapack.so.3 libopenblas.so.0; do
  target="/usr/lib/x86_64-linux-gnu/openblas-openmp/${alt}"
  if [ -e "$target" ] && update-alternatives --list "${alt}-x86_64-linux-gnu" >/dev/null 2>&1; then
    "${sudo_cmd[@]}" update-alternatives --quiet --set "${alt}-x86_64-linux-gnu" "$target" || true
  fi
done
