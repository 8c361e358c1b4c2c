# gcs_lib.sh: a private GCS fixture for the GCS tests (sourced after lib.sh).
#
# No GCS server can run here (DESIGN.md section 6), so tests/gcs_fixture.py
# stands in for it, strictly: it verifies the OAuth2 JWT with the public half
# of a service account key generated for this run (openssl), requires its
# bearer tokens, and verifies V4 signed URLs. This file generates the key,
# starts the fixture on a free loopback port and writes pail settings.
#
# Sets:  GCS_PORT GCS_URL (http://127.0.0.1:PORT) GCS_BUCKET GCS_EMAIL
#        GCS_KEY_FILE (the service account JSON) GCS_KEY_PEM GCS_PUB_PEM
#        GCS_HMAC_ID GCS_HMAC_SECRET GCS_SETTINGS (the settings file)
# Gives: gcs_fixture METHOD PATH    a call to the fixture's /_fixture/ API,
#                                   answer on stdout
#        gcs_stat NAME              a counter of the fixture's stats
#        gcs_object NAME FIELD      a field of an object as the fixture holds
#                                   it (size, md5, contentType, ...)
#        gcs_key_json PEM FILE      writes a service account key for PEM
#        gcs_stop                   stops the fixture (also run on exit)
#        gcs_pail_timeout           later pail runs time out after 5 min
#        same_as_fixture KEY FILE NAME  a check: the fixture holds FILE
#        delta NAME BEFORE          growth of a counter since BEFORE
#
# Skips the test (exit 77) only when python3's cryptography package is
# missing (keys are generated with openssl, or with that package where the
# openssl command is not installed). Nothing but loopback is ever
# contacted.

if ! python3 -c 'import cryptography' >/dev/null 2>&1; then
  echo "SKIP: python3 with the cryptography package is needed for the GCS fixture"
  exit 77
fi

# No Google setting of the machine may leak in, and no proxy may stand
# between pail and loopback.
unset GOOGLE_APPLICATION_CREDENTIALS CLOUDSDK_CONFIG
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
export NO_PROXY='127.0.0.1,localhost' no_proxy='127.0.0.1,localhost'

GCS_BUCKET=pail-test
GCS_EMAIL=pail-test@pail-test.iam.gserviceaccount.com
GCS_HMAC_ID=GOOG1EPAILTESTHMACACCESSID
GCS_HMAC_SECRET=HmacSecretNeverPrinted0123456789abcdefXY
# The authorized_user (gcloud's application default login) it accepts.
GCS_USER_CLIENT=764086051850-fixture.apps.googleusercontent.com
GCS_USER_SECRET=ClientSecretNeverPrinted
GCS_USER_REFRESH=1//RefreshTokenNeverPrinted
GCS_DIR=$SCRATCH/gcs
GCS_LOG=$GCS_DIR/log # fixture_start's (lib.sh)
mkdir -p "$GCS_DIR"

# gcs_stop: closes the fixture's standard input (it exits then) and waits.
gcs_stop() { fixture_stop "$GCS_DIR"; }
trap 'gcs_stop; chmod -R u+w "$SCRATCH" 2>/dev/null; rm -rf "$SCRATCH"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# gcs_new_key PEM: a throwaway 2048-bit RSA key (PKCS#8, as Google's).
gcs_new_key() {
  if command -v openssl >/dev/null 2>&1; then
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1" \
      2>/dev/null
  else
    python3 -c '
import sys
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
open(sys.argv[1], "wb").write(key.private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
    serialization.NoEncryption()))' "$1"
  fi
}

# gcs_public_key PEM OUT: the public half of PEM.
gcs_public_key() {
  python3 -c '
import sys
from cryptography.hazmat.primitives import serialization
key = serialization.load_pem_private_key(open(sys.argv[1], "rb").read(), None)
open(sys.argv[2], "wb").write(key.public_key().public_bytes(
    serialization.Encoding.PEM,
    serialization.PublicFormat.SubjectPublicKeyInfo))' "$1" "$2"
}

# gcs_key_json PEM FILE: the service account key file Google would issue for
# PEM, with its token_uri at the fixture.
gcs_key_json() {
  python3 -c '
import json, sys
pem, out, email, uri = sys.argv[1:5]
key = {"type": "service_account", "project_id": "pail-test",
       "private_key_id": "0123456789abcdef0123456789abcdef01234567",
       "private_key": open(pem).read(), "client_email": email,
       "client_id": "100000000000000000001", "token_uri": uri}
json.dump(key, open(out, "w"), indent=2)
' "$1" "$2" "$GCS_EMAIL" "$GCS_URL/token"
}

GCS_KEY_PEM=$GCS_DIR/key.pem
GCS_PUB_PEM=$GCS_DIR/pub.pem
gcs_new_key "$GCS_KEY_PEM" || { echo "key generation failed" >&2; exit 99; }
gcs_public_key "$GCS_KEY_PEM" "$GCS_PUB_PEM" ||
  { echo "cannot take the public key" >&2; exit 99; }

# The fixture's CRC-32C in C when a compiler is at hand: Python needs
# seconds for each 64 MiB. An implementation of its own (bitwise table),
# not the core's, so that both sides are not wrong the same way.
GCS_CRC_ARGS=
cat >"$GCS_DIR/crc32c.c" <<'EOF'
#include <stddef.h>
#include <stdint.h>
uint32_t fixture_crc32c(uint32_t crc, const unsigned char *p, size_t n) {
  static uint32_t table[256];
  if (table[1] == 0)
    for (uint32_t i = 0; i < 256; i++) {
      uint32_t c = i;
      for (int k = 0; k < 8; k++)
        c = c & 1 ? (c >> 1) ^ 0x82F63B78u : c >> 1;
      table[i] = c;
    }
  crc = ~crc;
  while (n--)
    crc = table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
  return ~crc;
}
EOF
if ${CC:-cc} -O2 -shared -fPIC -o "$GCS_DIR/crc32c.so" "$GCS_DIR/crc32c.c" \
  2>/dev/null; then
  GCS_CRC_ARGS="--crc32c-lib $GCS_DIR/crc32c.so"
else
  echo "NOTE: no C compiler for the fixture's CRC-32C; big objects will be slow"
fi

# gcs_start ARGS...: starts the fixture with extra ARGS (fixture_start,
# lib.sh).
gcs_start() {
  # shellcheck disable=SC2086
  fixture_start "$GCS_DIR" python3 "$top_srcdir/tests/gcs_fixture.py" \
    --public-key "$GCS_PUB_PEM" --client-email "$GCS_EMAIL" \
    --hmac "$GCS_HMAC_ID:$GCS_HMAC_SECRET" \
    --refresh-token "$GCS_USER_CLIENT:$GCS_USER_SECRET:$GCS_USER_REFRESH" \
    $GCS_CRC_ARGS "$@" || exit 99
  GCS_PORT=$FIXTURE_PORT
  GCS_URL=http://127.0.0.1:$GCS_PORT
}

# gcs_small_chunks_settings FILE PORT: pail settings for the bucket at
# 127.0.0.1:PORT (the fixture, or a proxy in front of it) with a service
# account key, in chunks of 256 KiB, the least GCS allows: most puts are
# resumable uploads. The key's token_uri is the fixture itself.
gcs_small_chunks_settings() {
  GCS_KEY_FILE=$GCS_DIR/service-account.json
  gcs_key_json "$GCS_KEY_PEM" "$GCS_KEY_FILE"
  cat >"$1" <<EOF
{ "storage": { "type": "gcs", "bucket": "$GCS_BUCKET",
               "endpoint": "127.0.0.1:$2", "useSSL": false,
               "serviceAccountKey": "$GCS_KEY_FILE", "chunkSize": 262144 } }
EOF
}

# gcs_fixture METHOD PATH: the fixture's own API.
gcs_fixture() {
  curl -sS --fail --max-time 30 -X "$1" "$GCS_URL$2"
}

# gcs_stat NAME: one of the fixture's counters.
gcs_stat() {
  gcs_fixture GET /_fixture/stats |
    python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"
}

# gcs_object NAME FIELD: a field of object NAME in the bucket, or "missing".
gcs_object() {
  gcs_name=$(python3 -c 'import sys, urllib.parse as u; print(u.quote(sys.argv[1], safe=""))' "$1")
  gcs_fixture GET "/_fixture/object?bucket=$GCS_BUCKET&name=$gcs_name" \
    2>/dev/null |
    python3 -c 'import json, sys
try:
    v = json.load(sys.stdin)[sys.argv[1]]
except ValueError:
    v = "missing"
print(json.dumps(v) if isinstance(v, dict) else v)' "$2"
}

# gcs_pail_timeout: every later pail run of the test gets 5 minutes at most,
# so that no command can hang the suite.
gcs_pail_timeout() {
  PAIL_BINARY=$PAIL
  mkdir -p "$SCRATCH/bin"
  cat >"$SCRATCH/bin/pail" <<EOF
#!/bin/sh
exec timeout -k 10 300 "$PAIL_BINARY" "\$@"
EOF
  chmod +x "$SCRATCH/bin/pail"
  PAIL=$SCRATCH/bin/pail
}

# same_as_fixture KEY FILE NAME: the fixture holds KEY with FILE's bytes
# (checked through its own view, not by reading back with pail).
same_as_fixture() {
  want_size=$(wc -c <"$2" | tr -d ' ')
  want_md5=$(md5sum <"$2" | cut -d' ' -f1)
  got_size=$(gcs_object "$1" size)
  got_md5=$(gcs_object "$1" md5)
  if [ "$got_size" = "$want_size" ] && [ "$got_md5" = "$want_md5" ]; then
    pass "$3: the fixture holds $want_size bytes, MD5 equal"
  else
    fail "$3: the fixture holds $got_size bytes MD5 $got_md5, wanted $want_size bytes MD5 $want_md5"
  fi
}

# delta NAME BEFORE: how much the fixture's counter NAME grew since BEFORE.
delta() { echo $(($(gcs_stat "$1") - $2)); }
