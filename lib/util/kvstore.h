/*
 * kvstore.h - the cluster store of the overlay networks (lab 9): etcd, through its v3 API's
 * HTTP/JSON gateway, with libcurl.
 *
 * Docker's classic overlay networks kept what every host must agree on (the networks, which
 * addresses are taken, which container is on which host) in a distributed store given by
 * `--cluster-store etcd://HOST:2379`. etcd is a replicated key-value store: every write goes
 * through its consensus (raft), so all hosts read the same thing, and a transaction ("create
 * this key if nobody has") succeeds for exactly one of two hosts that try at once. A lease is a
 * time-to-live that keys can be attached to: when its holder stops renewing it, etcd deletes
 * them, which is how a dead host's containers leave the store.
 *
 * The gateway speaks JSON over HTTP POSTs to /v3/kv/range, /v3/kv/put, /v3/kv/txn,
 * /v3/kv/deleterange, /v3/lease/grant, /v3/lease/keepalive and /v3/lease/revoke; keys and
 * values travel base64-encoded. Keys here are text ("/minidock/networks/web").
 */
#ifndef MINIDOCK_KVSTORE_H
#define MINIDOCK_KVSTORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "err.h"

struct kv {
	void *curl;       /* CURL * (opaque here: only kvstore.c includes curl.h) */
	char base[256];   /* "http://HOST:PORT/v3/" */
};

/* Open store url, "etcd://HOST:PORT" (Docker's form) or "http://HOST:PORT". EINVAL for
 * anything else. Nothing is sent yet. */
int kv_open(struct kv *kv, const char *url, err_t *err);
void kv_close(struct kv *kv);

/* The value of key (a malloc'd string) or ENOENT. */
int kv_get(struct kv *kv, const char *key, char **out, err_t *err);

/* Set key to value, held by lease (0: none). */
int kv_put(struct kv *kv, const char *key, const char *value, int64_t lease, err_t *err);

/* Set key to value only if no one has: EEXIST when it exists (one transaction). */
int kv_create(struct kv *kv, const char *key, const char *value, int64_t lease, err_t *err);

/* Every key under prefix, as a JSON object {key: value}: a new reference. */
int kv_list(struct kv *kv, const char *prefix, json_t **out, err_t *err);

/* Delete key, or every key under it when prefix is true. */
int kv_delete(struct kv *kv, const char *key, bool prefix, err_t *err);

/* A lease of ttl seconds (*id), renewed by kv_lease_keepalive() and ended by kv_lease_revoke()
 * (which deletes the keys it holds). */
int kv_lease_grant(struct kv *kv, int ttl, int64_t *id, err_t *err);
int kv_lease_keepalive(struct kv *kv, int64_t id, err_t *err);
int kv_lease_revoke(struct kv *kv, int64_t id, err_t *err);

/* Base64 (RFC 4648, with padding), as the gateway wants keys and values: malloc'd strings.
 * kv_base64_decode() gives NULL for text that is not base64, and *len the bytes' count. */
char *kv_base64_encode(const void *data, size_t len);
char *kv_base64_decode(const char *text, size_t *len);

#endif
