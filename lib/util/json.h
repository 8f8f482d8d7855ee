/*
 * json.h - reading and writing minidock's JSON files (with jansson).
 *
 * State and image metadata are JSON documents. These helpers add what jansson leaves to its
 * caller: error messages in minidock's contract, a size limit on input, and atomic writes.
 */
#ifndef MINIDOCK_JSON_H
#define MINIDOCK_JSON_H

#include <jansson.h>

#include "err.h"

/* Parse path (at most max bytes) into *out (a new reference). Malformed JSON is EINVAL with
 * jansson's line and column in the message. */
int json_read_file(const char *path, size_t max, json_t **out, err_t *err);

/* Write value to path atomically (fsutil.h), as compact JSON with sorted keys and a final
 * newline, so the same value always gives the same bytes. */
int json_write_file(const char *path, const json_t *value, err_t *err);

/* As json_write_file(), but without flushing to disk: for state that describes live processes
 * (addresses in use, a container's state), which a power cut ends anyway. A reader still sees
 * the old file or the new one, never half of one. */
int json_replace_file(const char *path, const json_t *value, err_t *err);

/* As json_replace_file(), but only while path does not exist: EEXIST when it does, or when
 * another process makes it meanwhile (whose file is then kept, never replaced). */
int json_create_file(const char *path, const json_t *value, err_t *err);

/* The string member key of obj, or NULL when it is missing or not a string. */
const char *json_str(const json_t *obj, const char *key);

#endif
