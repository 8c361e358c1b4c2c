/*
 * preview.h: the parts of pail_preview() (preview.c): content sniffing
 * (sniff.c) and the Parquet footer decoder (parquet.c, which reads with
 * thrift.c and renders with parquet_json.c). All work on bytes
 * already read, so that they can be tested and fuzzed without a storage.
 * Everything they put in a JSON document is valid UTF-8 without control
 * characters but tab.
 */
#ifndef PAIL_CORE_PREVIEW_H
#define PAIL_CORE_PREVIEW_H

#include "internal.h"

#include <stdint.h>

/* The largest Parquet footer a preview reads. */
#define PARQUET_FOOTER_MAX (64u << 20)
/* How much of a Parquet file's tail is read at once: nearly every footer
 * fits, so one request usually brings it whole. */
#define PARQUET_TAIL_GUESS (64u << 10)

/* Checks the last 8 bytes of a Parquet file of file_size bytes (footer
 * length, "PAR1") and gives the footer's length. PAIL_ERR_IO for a file
 * that is not Parquet or whose length does not fit, PAIL_ERR_UNSUPPORTED
 * for an encrypted footer ("PARE") or one over PARQUET_FOOTER_MAX. */
PAIL_HIDDEN pail_status parquet_footer_length(const uint8_t *tail,
                                              uint64_t file_size,
                                              uint32_t *footer_length,
                                              pail_error **err);

/* Decodes a footer (Thrift compact FileMetaData, length bytes, untrusted)
 * and adds the fields of docs/preview.md's parquet section to doc.
 * PAIL_ERR_IO naming what is wrong and where when it does not decode; doc
 * may then hold some fields. */
PAIL_HIDDEN pail_status parquet_footer_describe(const uint8_t *footer,
                                                size_t length, json_t *doc,
                                                pail_error **err);

/* Untrusted bytes as a JSON string: at most max of them, escaped by
 * text_escape (tab kept). NULL when out of memory. */
PAIL_HIDDEN json_t *preview_text_json(const uint8_t *p, size_t n, size_t max);

/* Whether the head starts like a Parquet file ("PAR1"). */
PAIL_HIDDEN bool preview_is_parquet(const uint8_t *head, size_t length);

/* Describes the head of an object (length bytes of size; name is its key,
 * for the extension) in doc: "format" and that format's fields, for every
 * format but parquet. Never fails on content, only when out of memory. */
PAIL_HIDDEN pail_status preview_describe_head(const uint8_t *head,
                                              size_t length, uint64_t size,
                                              const char *name, size_t max_rows,
                                              size_t max_bytes, json_t *doc,
                                              pail_error **err);

#endif /* PAIL_CORE_PREVIEW_H */
