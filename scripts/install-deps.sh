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
# python3-pytest and python3-boto3 run the Python package's tests
# (tests/python_binding.sh).
PACKAGES="build-essential autoconf automake libtool pkg-config
  libcurl4-openssl-dev libssl-dev libjansson-dev libxml2-dev zlib1g-dev check
  libmicrohttpd-dev python3 chromium rclone s3cmd openssl curl
  python3-pytest python3-boto3"
# --bench: also what bench/run needs (docs/performance.md): the fast server
# it measures pail against. Not for the normal CI install.
case "${1:-}" in
--bench) PACKAGES="$PACKAGES time nginx-light" ;;
esac

# npm_into DIR WHAT CONSEQUENCE PACKAGE@VERSION...: installs the packages
# with npm into DIR (the user's cache rather than a global prefix: no root
# needed, and the tests look there), unless each is there at its version
# already. WHAT names them in messages; CONSEQUENCE says what their absence
# does to the tests. A failure here does not stop the script: it says so.
npm_into() {
  dir=$1 what=$2 consequence=$3
  shift 3
  missing_npm=""
  for package in "$@"; do
    name=${package%@*} version=${package##*@}
    # "|| true": before the first install the file does not exist, and
    # under set -e a failing assignment would end the script silently.
    have=$(sed -n 's/^  "version": "\(.*\)",$/\1/p' \
      "$dir/node_modules/$name/package.json" 2>/dev/null) || true
    [ "$have" = "$version" ] || missing_npm="$missing_npm $package"
  done
  if [ -z "$missing_npm" ]; then
    echo "install-deps: $what: in $dir"
    return 0
  fi
  if ! command -v npm >/dev/null 2>&1; then
    echo "install-deps: npm is missing: $consequence" >&2
    return 0
  fi
  echo "install-deps: installing $what into $dir"
  mkdir -p "$dir" &&
    npm install --prefix "$dir" --no-audit --no-fund --loglevel=error \
      "$@" >/dev/null ||
    echo "install-deps: could not install $what: $consequence" >&2
}

CACHE_DIR=${XDG_CACHE_HOME:-$HOME/.cache}/pail
install_npm_packages() {
  # The Azure tests' server and independent client (tests/azure_lib.sh).
  npm_into "$CACHE_DIR/azurite" "Azurite 3.35.0" "the Azure tests will skip" \
    azurite@3.35.0 @azure/storage-blob@12.32.0
  # The Node.js addon's headers (bindings/node, docs/node.md): configure
  # looks for node_api.h here; without it the addon is not built.
  npm_into "$CACHE_DIR/node-api-headers" "node-api-headers 1.9.0" \
    "the Node.js addon is not built and tests/node_binding.sh skips" \
    node-api-headers@1.9.0
  # Bun, the runtime of many workflow workers, whose binary ships in this
  # npm package: tests/node_binding.sh runs the Node suite under it too.
  npm_into "$CACHE_DIR/bun" "Bun 1.4.4" \
    "tests/node_binding.sh runs its suite under node only" \
    @oven/bun-linux-x64@1.4.4
  # The explorer's browser test (tests/serve_browser.sh) drives Debian's
  # chromium with playwright-core. Playwright's own browser download is
  # never used (it cannot reach its host here): the test launches
  # /usr/bin/chromium.
  export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
  npm_into "$CACHE_DIR/playwright" \
    "playwright-core 1.65.1" "the browser test will skip" \
    playwright-core@1.65.1
  # The S3 gateway's JavaScript clients (tests/gateway_js.mjs): the AWS
  # SDK v3 with lib-storage, and nodejs-polars with its Linux binary,
  # which npm does not pick by itself on node 20.
  npm_into "$CACHE_DIR/gateway-js" "the gateway's JavaScript clients" \
    "tests/gateway_s3.sh will fail" @aws-sdk/client-s3@3.1178.0 \
    @aws-sdk/lib-storage@3.1178.0 nodejs-polars@0.26.1 \
    nodejs-polars-linux-x64-gnu@0.26.1
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
  install_npm_packages
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
install_npm_packages
