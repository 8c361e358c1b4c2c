#!/bin/sh
# install-deps.sh: installs what building and testing pail needs on Debian 12
# (the machines pail is developed and tested on). Uses sudo when not root.
set -eu

# Nothing may end this script without saying so: under set -e any failing
# command ends it, so an EXIT trap names the step that was running and what
# to do about it. Each step sets $doing and $fix.
doing="starting" fix="run it again with sh -x to see the failing command"
on_exit() {
  rc=$?
  [ "$rc" -eq 0 ] && return 0
  echo "install-deps: failed while $doing (exit $rc)" >&2
  echo "install-deps: $fix" >&2
}
trap on_exit EXIT

# rclone, s3cmd and openssl are clients of the S3 gateway's tests
# (tests/gateway_s3.sh), which makes its certificate with openssl.
PACKAGES="build-essential autoconf automake libtool pkg-config
  libcurl4-openssl-dev libssl-dev libjansson-dev libxml2-dev zlib1g-dev check
  libmicrohttpd-dev python3 chromium rclone s3cmd openssl curl"
# --bench: also what bench/run needs (docs/performance.md): the fast server
# it measures pail against. Not for the normal CI install.
case "${1:-}" in
--bench) PACKAGES="$PACKAGES time nginx-light" ;;
esac

# The Azure tests' server and independent client (tests/azure_lib.sh),
# from npm, into the user's cache rather than a global prefix: no root
# needed, and the tests look there. A failure here only makes those tests
# skip, so it does not stop the script.
AZURITE_DIR=${XDG_CACHE_HOME:-$HOME/.cache}/pail/azurite
AZURITE_PACKAGES="azurite@3.35.0 @azure/storage-blob@12.32.0"
install_azurite() {
  want_azurite=3.35.0 want_sdk=12.32.0
  have() { sed -n 's/^  "version": "\(.*\)",$/\1/p' "$AZURITE_DIR/node_modules/$1/package.json" 2>/dev/null; }
  if [ "$(have azurite)" = "$want_azurite" ] && [ "$(have @azure/storage-blob)" = "$want_sdk" ]; then
    echo "install-deps: Azurite $want_azurite is in $AZURITE_DIR"
    return 0
  fi
  if ! command -v npm >/dev/null 2>&1; then
    echo "install-deps: npm is missing: the Azure tests will skip" >&2
    return 0
  fi
  echo "install-deps: installing $AZURITE_PACKAGES into $AZURITE_DIR"
  mkdir -p "$AZURITE_DIR" &&
    npm install --prefix "$AZURITE_DIR" --no-audit --no-fund --loglevel=error \
      $AZURITE_PACKAGES >/dev/null ||
    echo "install-deps: could not install Azurite: the Azure tests will skip" >&2
}

# The explorer's browser test (tests/serve_browser.sh) drives Debian's
# chromium with playwright-core, from npm, into the user's cache as for
# Azurite. Playwright's own browser download is never used (it cannot reach
# its host here): the test launches /usr/bin/chromium.
PLAYWRIGHT_DIR=${XDG_CACHE_HOME:-$HOME/.cache}/pail/playwright
PLAYWRIGHT_VERSION=1.65.1
install_playwright() {
  # "|| true": before the first install the file does not exist, sed fails,
  # and under set -e a failing assignment would end the script silently.
  have=$(sed -n 's/^  "version": "\(.*\)",$/\1/p' \
    "$PLAYWRIGHT_DIR/node_modules/playwright-core/package.json" 2>/dev/null) || true
  if [ "$have" = "$PLAYWRIGHT_VERSION" ]; then
    echo "install-deps: playwright-core $have is in $PLAYWRIGHT_DIR"
    return 0
  fi
  if ! command -v npm >/dev/null 2>&1; then
    echo "install-deps: npm is missing: the browser test will skip" >&2
    return 0
  fi
  echo "install-deps: installing playwright-core@$PLAYWRIGHT_VERSION into $PLAYWRIGHT_DIR"
  mkdir -p "$PLAYWRIGHT_DIR" &&
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --prefix "$PLAYWRIGHT_DIR" \
      --no-audit --no-fund --loglevel=error \
      "playwright-core@$PLAYWRIGHT_VERSION" >/dev/null ||
    echo "install-deps: could not install playwright-core: the browser test will skip" >&2
}

# The S3 gateway's JavaScript clients (tests/gateway_js.mjs): the AWS SDK
# v3 with lib-storage, and nodejs-polars with its Linux binary, which npm
# does not pick by itself on node 20. Into the user's cache, as Azurite.
GATEWAY_JS_DIR=${XDG_CACHE_HOME:-$HOME/.cache}/pail/gateway-js
GATEWAY_JS_PACKAGES="@aws-sdk/client-s3@3.1178.0 @aws-sdk/lib-storage@3.1178.0
  nodejs-polars@0.26.1 nodejs-polars-linux-x64-gnu@0.26.1"
install_gateway_js() {
  have=$(sed -n 's/^  "version": "\(.*\)",$/\1/p' \
    "$GATEWAY_JS_DIR/node_modules/nodejs-polars-linux-x64-gnu/package.json" \
    "$GATEWAY_JS_DIR/node_modules/@aws-sdk/lib-storage/package.json" \
    2>/dev/null | tr '\n' ' ') || true
  if [ "$have" = "0.26.1 3.1178.0 " ]; then
    echo "install-deps: the gateway's JavaScript clients are in $GATEWAY_JS_DIR"
    return 0
  fi
  if ! command -v npm >/dev/null 2>&1; then
    echo "install-deps: npm is missing: the gateway's JavaScript test will fail" >&2
    return 0
  fi
  echo "install-deps: installing the gateway's JavaScript clients into $GATEWAY_JS_DIR"
  # shellcheck disable=SC2086
  mkdir -p "$GATEWAY_JS_DIR" &&
    npm install --prefix "$GATEWAY_JS_DIR" --no-audit --no-fund \
      --loglevel=error $GATEWAY_JS_PACKAGES >/dev/null ||
    echo "install-deps: could not install the gateway's JavaScript clients: tests/gateway_s3.sh will fail" >&2
}

missing=""
for p in $PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
    missing="$missing $p"
done
command -v node >/dev/null 2>&1 || missing="$missing nodejs"
command -v npm >/dev/null 2>&1 || missing="$missing npm"
if [ -z "$missing" ]; then
  echo "install-deps: everything is installed"
  install_azurite
  install_playwright
  install_gateway_js
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  doing="looking for sudo" fix="run this script as root, or install sudo"
  command -v sudo >/dev/null 2>&1 || exit 1
  SUDO=sudo
fi
echo "install-deps: installing$missing"
doing="updating apt's package lists"
fix="check that this machine reaches its Debian mirror (apt-get update), then run this script again"
$SUDO apt-get update -qq
doing="installing$missing with apt-get"
fix="install them yourself (apt-get install$missing) and read apt's message above, then run this script again"
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
doing="installing the npm packages"
fix="run this script again with sh -x to see the failing command"
install_azurite
install_playwright
install_gateway_js
