## tests/local.mk: the tests that span every backend, whatever module they
## exercise: the backend contract suite (tests/contract_lib.sh, one driver a
## backend), the soaks, the secret canaries, the threads test and the
## signals at every phase of a put (docs/reliability.md). Included from the
## top Makefile.am after the lists it appends to (SCRIPT_TESTS,
## check_PROGRAMS, dist_check_SCRIPTS, EXTRA_DIST).

# The contract every backend keeps, on fs, mem, moto, Azurite and the GCS
# fixture.
SCRIPT_TESTS += tests/contract_fs.sh tests/contract_mem.sh \
	tests/contract_s3.sh tests/contract_azure.sh tests/contract_gcs.sh
dist_check_SCRIPTS += tests/contract_lib.sh


# tests/soak.py through tests/fault_proxy.py against Azurite and the GCS
# fixture (tests/s3_soak.sh does moto).
SCRIPT_TESTS += tests/azure_soak.sh tests/gcs_soak.sh

# Distinctive fake secrets in every backend's settings, every command's
# error and -v paths: none may be printed (moto, Azurite, the GCS fixture).
SCRIPT_TESTS += tests/canary_secrets.sh

# 8 threads sharing one workspace handle run 10,000 mixed operations against
# mem, fs and moto (tests/concurrency.sh); clean under ThreadSanitizer with
# ./configure CC=clang --enable-sanitizers=thread (docs/reliability.md).
check_PROGRAMS += tests/concurrency
tests_concurrency_SOURCES = tests/concurrency.c
tests_concurrency_LDADD = libpail.la
SCRIPT_TESTS += tests/concurrency.sh

# The S3 gateway of `pail serve --s3-listen`, with real clients (the matrix
# of clients is a CLIENT_TESTS suite: see Makefile.am).
SCRIPT_TESTS += tests/gateway_backends.sh tests/gateway_smoke.sh
CLIENT_TESTS += tests/gateway_s3.sh
EXTRA_DIST += tests/gateway_boto3.py tests/gateway_js.mjs tests/gateway_native.py \
	tests/gateway_checks.py tests/gateway_clients.sh

# moto's ListMultipartUploads with real initiation times (tests/s3_faults.sh).
EXTRA_DIST += tests/moto_fix/sitecustomize.py

# SIGINT and SIGTERM at every phase of a put, through tests/fault_proxy.py:
# what pail reports (a pointer and exit 0, or "cancelled" and death by the
# signal) is what the provider holds (tests/signal_lib.sh).
SCRIPT_TESTS += tests/s3_signals.sh tests/azure_signals.sh tests/gcs_signals.sh
EXTRA_DIST += tests/signal_lib.sh
