## tests/local.mk: the backend contract suite (tests/contract_lib.sh), one
## driver a backend. Included from the top Makefile.am, after the lists it
## appends to (SCRIPT_TESTS, dist_check_SCRIPTS).
SCRIPT_TESTS += tests/contract_fs.sh tests/contract_mem.sh \
	tests/contract_s3.sh tests/contract_azure.sh tests/contract_gcs.sh
dist_check_SCRIPTS += tests/contract_lib.sh
