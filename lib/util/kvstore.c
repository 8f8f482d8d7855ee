/* kvstore.c - see kvstore.h. */
#include "kvstore.h"

#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "json.h"

/* The gateway answers small documents; one larger than this is not one. */
#define KV_REPLY_MAX (4 << 20)

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *kv_base64_encode(const void *data, size_t len)
{
	const unsigned char *in = data;
	char *out = malloc((len + 2) / 3 * 4 + 1), *p = out;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t n = (uint32_t)in[i] << 16 | (i + 1 < len ? (uint32_t)in[i + 1] << 8 : 0) |
			     (i + 2 < len ? in[i + 2] : 0);
		*p++ = b64[n >> 18 & 63];
		*p++ = b64[n >> 12 & 63];
		*p++ = i + 1 < len ? b64[n >> 6 & 63] : '=';
		*p++ = i + 2 < len ? b64[n & 63] : '=';
	}
	*p = '\0';
	return out;
}

char *kv_base64_decode(const char *text, size_t *len)
{
	size_t n = strlen(text);
	if (n % 4 != 0)
		return NULL;
	char *out = malloc(n / 4 * 3 + 1);
	size_t o = 0;
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i += 4) {
		uint32_t v = 0;
		int pad = 0;
		for (int j = 0; j < 4; j++) {
			const char *at = text[i + j] ? strchr(b64, text[i + j]) : NULL;
			if (text[i + j] == '=' && i + 4 == n && j >= 2 && (j == 3 || text[i + 3] == '=')) {
				pad++;
				v <<= 6;
			} else if (at && !pad) {
				v = v << 6 | (uint32_t)(at - b64);
			} else {
				free(out);
				return NULL;
			}
		}
		out[o++] = (char)(v >> 16);
		if (pad < 2)
			out[o++] = (char)(v >> 8);
		if (pad < 1)
			out[o++] = (char)v;
	}
	out[o] = '\0';
	*len = o;
	return out;
}

int kv_open(struct kv *kv, const char *url, err_t *err)
{
	const char *host = NULL;
	if (strncmp(url, "etcd://", 7) == 0)
		host = url + 7;
	else if (strncmp(url, "http://", 7) == 0)
		host = url + 7;
	/* HOST:PORT, nothing else (no path, no credentials). */
	if (!host || !*host || strlen(host) > 200 ||
	    strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") != strlen(host) ||
	    !strrchr(host, ':'))
		return err_msg(err, EINVAL, "cluster store %s: give etcd://HOST:PORT", url);
	memset(kv, 0, sizeof(*kv));
	snprintf(kv->base, sizeof(kv->base), "http://%s/v3/", host);
	kv->curl = curl_easy_init();
	if (!kv->curl)
		return err_msg(err, ENOMEM, "cluster store %s: libcurl cannot start", url);
	return 0;
}

void kv_close(struct kv *kv)
{
	if (kv->curl)
		curl_easy_cleanup(kv->curl);
	kv->curl = NULL;
}

struct reply {
	char *data;
	size_t len;
	bool too_long;
};

static size_t collect(char *data, size_t size, size_t n, void *arg)
{
	struct reply *r = arg;
	size_t more = size * n;
	if (r->len + more > KV_REPLY_MAX) {
		r->too_long = true;
		return 0;
	}
	char *grown = realloc(r->data, r->len + more + 1);
	if (!grown)
		return 0;
	memcpy(grown + r->len, data, more);
	r->data = grown;
	r->len += more;
	r->data[r->len] = '\0';
	return more;
}

/* POST request (its reference is taken) to BASE/path; the answer, a JSON object, in *out. */
static int call(struct kv *kv, const char *path, json_t *request, json_t **out, err_t *err)
{
	char url[320];
	struct reply reply = { 0 };
	char *body = request ? json_dumps(request, JSON_COMPACT) : NULL;
	json_decref(request);
	if (!body)
		return err_msg(err, ENOMEM, "cluster store: out of memory");
	snprintf(url, sizeof(url), "%s%s", kv->base, path);
	CURL *c = kv->curl;
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &reply);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 3000L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http");
	CURLcode rc = curl_easy_perform(c);
	free(body);
	long status = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (rc != CURLE_OK || reply.too_long) {
		free(reply.data);
		return err_msg(err, reply.too_long ? EMSGSIZE : ECONNREFUSED, "cluster store %.*s: %s",
			       (int)(strlen(kv->base) - 4), kv->base,
			       reply.too_long ? "an answer too long" : curl_easy_strerror(rc));
	}
	json_t *doc = json_loads(reply.data ? reply.data : "", 0, NULL);
	free(reply.data);
	if (!json_is_object(doc) || status != 200) {
		const char *why = json_str(doc, "error") ? json_str(doc, "error") : json_str(doc, "message");
		err_msg(err, EPROTO, "cluster store: %s: %s (HTTP %ld)", path, why ? why : "not a JSON object", status);
		json_decref(doc);
		return -1;
	}
	*out = doc;
	return 0;
}

/* The gateway's int64 fields are strings; a missing one is 0. */
static int64_t int64_field(const json_t *obj, const char *name)
{
	const json_t *v = json_object_get(obj, name);
	if (json_is_integer(v))
		return json_integer_value(v);
	return json_is_string(v) ? strtoll(json_string_value(v), NULL, 10) : 0;
}

/* {"key": KEY} with range_end for a prefix: the key with its last byte plus one. */
static json_t *key_request(const char *key, bool prefix)
{
	_cleanup_free_ char *k = kv_base64_encode(key, strlen(key));
	json_t *req = json_pack("{s:s}", "key", k ? k : "");
	if (prefix && *key) {
		_cleanup_free_ char *end = strdup(key);
		if (end) {
			end[strlen(end) - 1]++;
			_cleanup_free_ char *e = kv_base64_encode(end, strlen(end));
			json_object_set_new(req, "range_end", json_string(e ? e : ""));
		}
	}
	return req;
}

/* The value of a key-value pair of a range answer, decoded (NULL: not base64). */
static char *decoded(const json_t *pair, const char *field)
{
	size_t len;
	const char *text = json_str(pair, field);
	return kv_base64_decode(text ? text : "", &len);
}

int kv_get(struct kv *kv, const char *key, char **out, err_t *err)
{
	json_t *doc;
	if (call(kv, "kv/range", key_request(key, false), &doc, err) < 0)
		return -1;
	const json_t *pair = json_array_get(json_object_get(doc, "kvs"), 0);
	*out = pair ? decoded(pair, "value") : NULL;
	json_decref(doc);
	if (!pair)
		return err_msg(err, ENOENT, "cluster store: no key %s", key);
	if (!*out)
		return err_msg(err, EPROTO, "cluster store: key %s: a value that is not base64", key);
	return 0;
}

/* {"key", "value", "lease"} of a put. */
static json_t *put_request(const char *key, const char *value, int64_t lease)
{
	json_t *req = key_request(key, false);
	_cleanup_free_ char *v = kv_base64_encode(value, strlen(value));
	json_object_set_new(req, "value", json_string(v ? v : ""));
	if (lease)
		json_object_set_new(req, "lease", json_sprintf("%" PRId64, lease));
	return req;
}

int kv_put(struct kv *kv, const char *key, const char *value, int64_t lease, err_t *err)
{
	json_t *doc;
	if (call(kv, "kv/put", put_request(key, value, lease), &doc, err) < 0)
		return -1;
	json_decref(doc);
	return 0;
}

int kv_create(struct kv *kv, const char *key, const char *value, int64_t lease, err_t *err)
{
	/* If the key was never created (its create_revision is 0), put it; else nothing. */
	_cleanup_free_ char *k = kv_base64_encode(key, strlen(key));
	json_t *req = json_pack("{s:[{s:s, s:s, s:s, s:s}], s:[{s:o}]}", "compare", "key", k ? k : "", "target",
				"CREATE", "result", "EQUAL", "create_revision", "0", "success", "request_put",
				put_request(key, value, lease));
	json_t *doc;
	if (!req)
		return err_msg(err, ENOMEM, "cluster store: out of memory");
	if (call(kv, "kv/txn", req, &doc, err) < 0)
		return -1;
	bool done = json_is_true(json_object_get(doc, "succeeded"));
	json_decref(doc);
	return done ? 0 : err_msg(err, EEXIST, "cluster store: %s exists", key);
}

int kv_list(struct kv *kv, const char *prefix, json_t **out, err_t *err)
{
	json_t *doc, *pair;
	size_t i;
	if (call(kv, "kv/range", key_request(prefix, true), &doc, err) < 0)
		return -1;
	json_t *all = json_object();
	json_array_foreach(json_object_get(doc, "kvs"), i, pair) {
		_cleanup_free_ char *key = decoded(pair, "key");
		char *value = decoded(pair, "value");
		if (key && value && strncmp(key, prefix, strlen(prefix)) == 0)
			json_object_set_new(all, key, json_string(value));
		free(value);
	}
	json_decref(doc);
	*out = all;
	return 0;
}

int kv_delete(struct kv *kv, const char *key, bool prefix, err_t *err)
{
	json_t *doc;
	if (call(kv, "kv/deleterange", key_request(key, prefix), &doc, err) < 0)
		return -1;
	json_decref(doc);
	return 0;
}

int kv_lease_grant(struct kv *kv, int ttl, int64_t *id, err_t *err)
{
	json_t *doc;
	if (call(kv, "lease/grant", json_pack("{s:i}", "TTL", ttl), &doc, err) < 0)
		return -1;
	*id = int64_field(doc, "ID");
	json_decref(doc);
	return *id ? 0 : err_msg(err, EPROTO, "cluster store: a lease without an ID");
}

/* {"ID": "N"}: the gateway's int64 is a string. */
static json_t *lease_request(int64_t id)
{
	return json_pack("{s:o}", "ID", json_sprintf("%" PRId64, id));
}

int kv_lease_keepalive(struct kv *kv, int64_t id, err_t *err)
{
	json_t *doc;
	if (call(kv, "lease/keepalive", lease_request(id), &doc, err) < 0)
		return -1;
	/* {"result": {"ID": ..., "TTL": ...}}: a TTL of 0 is a lease that has expired. */
	int64_t ttl = int64_field(json_object_get(doc, "result"), "TTL");
	json_decref(doc);
	return ttl > 0 ? 0 : err_msg(err, ENOENT, "cluster store: lease %" PRId64 " has expired", id);
}

int kv_lease_revoke(struct kv *kv, int64_t id, err_t *err)
{
	json_t *doc;
	if (call(kv, "lease/revoke", lease_request(id), &doc, err) < 0)
		return -1;
	json_decref(doc);
	return 0;
}
