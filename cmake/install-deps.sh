#!/usr/bin/env bash
# Installs, from Debian's archive, what building, training and testing tensorguard need and
# this machine lacks. Safe to run again: it installs only what is missing.
set -euo pipefail
# chromium: test_history_svg renders the history SVG headless and checks its pixels.
packages=(cmake g++ make pkgconf libeigen3-dev catch2 zlib1g-dev dataset-fashion-mnist clang-16
          libclang-rt-16-dev chromium)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
