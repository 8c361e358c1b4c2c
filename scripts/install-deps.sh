#!/bin/sh
# install-deps.sh: installs what building and testing pail needs on Debian 12
# (the machines pail is developed and tested on). Uses sudo when not root.
set -eu

PACKAGES="build-essential autoconf automake libtool pkg-config
  libcurl4-openssl-dev libssl-dev libjansson-dev libxml2-dev check
  python3"

missing=""
for p in $PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
    missing="$missing $p"
done
if [ -z "$missing" ]; then
  echo "install-deps: everything is installed"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "install-deps: installing$missing"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
