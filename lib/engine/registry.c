/* registry.c - see registry.h. */
#define _GNU_SOURCE
#include "registry.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build.h"
#include "cleanup.h"
#include "distribution.h"
#include "fsutil.h"
#include "image.h"
#include "json.h"
#include "kvstore.h"
#include "layer.h"
#include "lock.h"
#include "log.h"
#include "store.h"
#include "timefmt.h"

#define BODY_MAX (16 << 20)
#define MANIFEST_TYPES                                                                              \
	"Accept: application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, " \
	"application/vnd.docker.distribution.manifest.list.v2+json, "                                 \
	"application/vnd.docker.distribution.manifest.v2+json"

/* --- references -------------------------------------------------------------------------------- */

int reg_parse_ref(const char *text, struct reg_ref *out, err_t *err)
{
	memset(out, 0, sizeof(*out));
	if (img_ref_parse(text, out->name, out->tag, out->digest, err) < 0)
		return -1;
	/* The first component is a registry when it has a '.' or a ':', or is localhost (Docker's rule). */
	const char *slash = strchr(out->name, '/');
	size_t first = slash ? (size_t)(slash - out->name) : 0;
	if (slash && (memchr(out->name, '.', first) || memchr(out->name, ':', first) ||
		      (first == 9 && strncmp(out->name, "localhost", 9) == 0))) {
		snprintf(out->host, sizeof(out->host), "%.*s", (int)first, out->name);
		snprintf(out->repo, sizeof(out->repo), "%s", slash + 1);
	} else {
		snprintf(out->host, sizeof(out->host), "docker.io");
		snprintf(out->repo, sizeof(out->repo), "%s%s", slash ? "" : "library/", out->name);
	}
	return 0;
}

/* --- credentials -------------------------------------------------------------------------------- */

/* $HOME/.minidock/config.json, its directory into dir when asked. */
static int config_path(char *path, size_t size, char *dir, size_t dir_size, err_t *err)
{
	const char *home = getenv("HOME");
	if (!home || !*home)
		return err_msg(err, EINVAL, "$HOME is not set: no place for the registries' credentials");
	if (dir)
		snprintf(dir, dir_size, "%s/.minidock", home);
	snprintf(path, size, "%s/.minidock/config.json", home);
	return 0;
}

/* The stored "user:password" of host into out ("" when none). A file that is not Docker's
 * format is an error: it is not overwritten by a login either. */
static int read_credentials(const char *host, char *out, size_t size, json_t **doc, err_t *err)
{
	char path[PATH_MAX];
	*out = '\0';
	if (config_path(path, sizeof(path), NULL, 0, err) < 0)
		return -1;
	json_t *cfg = NULL;
	if (json_read_file(path, 1 << 20, &cfg, err) < 0) {
		if (err->code != ENOENT)
			return -1;
		cfg = json_object();
	}
	json_t *auths = json_object_get(cfg, "auths");
	if (!json_is_object(cfg) || (auths && !json_is_object(auths))) {
		json_decref(cfg);
		return err_msg(err, EINVAL, "%s: not a config file (\"auths\" must be an object)", path);
	}
	const char *auth = json_str(json_object_get(auths, host), "auth");
	if (auth) {
		size_t len;
		_cleanup_free_ char *plain = kv_base64_decode(auth, &len);
		if (!plain || !memchr(plain, ':', len) || memchr(plain, '\0', len) || len >= size) {
			json_decref(cfg);
			return err_msg(err, EINVAL, "%s: the credentials of %s are damaged", path, host);
		}
		memcpy(out, plain, len);
		out[len] = '\0';
	}
	if (doc)
		*doc = cfg;
	else
		json_decref(cfg);
	return 0;
}

static int write_credentials(json_t *cfg, err_t *err)
{
	char path[PATH_MAX], dir[PATH_MAX];
	if (config_path(path, sizeof(path), dir, sizeof(dir), err) < 0)
		return -1;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return err_sys(err, "%s", dir);
	chmod(dir, 0700);
	_cleanup_free_ char *text = json_dumps(cfg, JSON_INDENT(1) | JSON_SORT_KEYS);
	if (!text)
		return err_msg(err, ENOMEM, "%s", path);
	return fs_write_atomic(path, text, strlen(text), 0600, err);
}

/* --- the connection ------------------------------------------------------------------------------- */

/* Is host one minidock speaks plain HTTP to: localhost, 127.0.0.0/8, ::1, or daemon.json's
 * "insecure-registries" (as Docker)? */
static bool insecure(const char *root, const char *host)
{
	char name[256];
	snprintf(name, sizeof(name), "%s", host);
	char *colon = strrchr(name, ':');
	if (colon && !strchr(colon, ']') && strchr(name, ':') == colon)
		*colon = '\0';
	struct in_addr a;
	if (strcmp(name, "localhost") == 0 || strcmp(name, "[::1]") == 0 ||
	    (inet_pton(AF_INET, name, &a) == 1 && (ntohl(a.s_addr) >> 24) == 127))
		return true;
	char path[PATH_MAX];
	_cleanup_json_ json_t *daemon = NULL;
	err_t ignored;
	snprintf(path, sizeof(path), "%s/daemon.json", root);
	if (json_read_file(path, 1 << 20, &daemon, &ignored) < 0)
		return false;
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(daemon, "insecure-registries"), i, v) {
		if (json_is_string(v) && strcmp(json_string_value(v), host) == 0)
			return true;
	}
	return false;
}

int reg_open(struct reg *r, const char *root, const char *host, err_t *err)
{
	memset(r, 0, sizeof(*r));
	if (strcmp(host, "docker.io") == 0)
		host = "registry-1.docker.io";
	snprintf(r->host, sizeof(r->host), "%s", host);
	snprintf(r->base, sizeof(r->base), "%s://%s", insecure(root, host) ? "http" : "https", host);
	if (read_credentials(host, r->basic, sizeof(r->basic), NULL, err) < 0)
		return -1;
	if (!(r->curl = curl_easy_init()))
		return err_msg(err, ENOSYS, "libcurl cannot be loaded (libcurl4 is needed to reach a registry)");
	return 0;
}

void reg_close(struct reg *r)
{
	if (r->curl)
		curl_easy_cleanup(r->curl);
	r->curl = NULL;
	explicit_bzero(r->basic, sizeof(r->basic));
	explicit_bzero(r->auth, sizeof(r->auth));
}

void reg_resp_free(struct reg_resp *resp)
{
	free(resp->body);
	resp->body = NULL;
}

/* --- progress ---------------------------------------------------------------------------------- */

static void human(long long n, char *out, size_t size)
{
	if (n < 1000)
		snprintf(out, size, "%lldB", n);
	else if (n < 1000 * 1000)
		snprintf(out, size, "%.1fkB", n / 1e3);
	else
		snprintf(out, size, "%.1fMB", n / 1e6);
}

void reg_progress_say(struct reg_progress *p, const char *what)
{
	if (!p || !p->out)
		return;
	fprintf(p->out, "%s%s: %s%s\n", p->tty ? "\r\033[K" : "", p->id, what, "");
	fflush(p->out);
}

/* Redraw the bar (a terminal only, each 1% or so). */
static void progress_draw(struct reg_progress *p)
{
	if (!p || !p->out || !p->tty || p->total <= 0)
		return;
	if (p->done != p->total && p->done - p->shown < p->total / 100)
		return;
	p->shown = p->done;
	char bar[51], done[16], total[16];
	int fill = (int)(50 * p->done / p->total);
	for (int i = 0; i < 50; i++)
		bar[i] = i < fill ? '=' : i == fill ? '>' : ' ';
	bar[50] = '\0';
	human(p->done, done, sizeof(done));
	human(p->total, total, sizeof(total));
	fprintf(p->out, "\r\033[K%s: %s [%s] %s/%s", p->id, p->verb ? p->verb : "", bar, done, total);
	fflush(p->out);
}

/* --- requests ------------------------------------------------------------------------------------- */

struct transfer {
	const struct reg_req *q;
	struct reg_resp *resp;
	FILE *mem;          /* the body, into resp->body */
	size_t body_len;
	bool too_big, write_failed;
	long long sent;
};

static size_t on_body(char *data, size_t size, size_t n, void *userdata)
{
	struct transfer *t = userdata;
	size_t len = size * n;
	/* Only a success's body goes to the file: an error's is the API's JSON, kept to be read. */
	if (t->q->download && t->resp->status >= 200 && t->resp->status < 300) {
		if (fs_write_all(t->q->out_fd, data, len) < 0) {
			t->write_failed = true;
			return 0;
		}
		if (t->q->sum)
			sha256_update(t->q->sum, data, len);
		if (t->q->progress) {
			t->q->progress->done += (long long)len;
			progress_draw(t->q->progress);
		}
		return len;
	}
	if (t->body_len + len > BODY_MAX) {
		t->too_big = true;
		return 0;
	}
	t->body_len += len;
	return fwrite(data, 1, len, t->mem);
}

/* Copy header value (after "Name:") into out, trimmed. */
static void header_value(const char *line, size_t len, size_t name_len, char *out, size_t size)
{
	const char *v = line + name_len;
	size_t n = len - name_len;
	while (n > 0 && isspace((unsigned char)*v))
		v++, n--;
	while (n > 0 && isspace((unsigned char)v[n - 1]))
		n--;
	snprintf(out, size, "%.*s", (int)(n < size ? n : size - 1), v);
}

struct header_sink {
	struct reg_resp *resp;
	char challenge[1024];
};

static size_t on_header(char *line, size_t size, size_t n, void *userdata)
{
	struct header_sink *h = userdata;
	size_t len = size * n;
	struct reg_resp *resp = h->resp;
	if (len > 5 && strncmp(line, "HTTP/", 5) == 0) {
		/* a new answer (after a redirect or a 100 Continue): forget the last one's headers */
		const char *sp = memchr(line, ' ', len);
		resp->status = sp ? strtol(sp + 1, NULL, 10) : 0;
		resp->content_type[0] = resp->digest[0] = resp->location[0] = resp->range[0] = '\0';
		resp->length = -1;
		h->challenge[0] = '\0';
	}
	static const struct {
		const char *name;
		size_t off, size;
	} wanted[] = {
		{ "content-type:", offsetof(struct reg_resp, content_type), sizeof(((struct reg_resp *)0)->content_type) },
		{ "docker-content-digest:", offsetof(struct reg_resp, digest), sizeof(((struct reg_resp *)0)->digest) },
		{ "location:", offsetof(struct reg_resp, location), sizeof(((struct reg_resp *)0)->location) },
		{ "range:", offsetof(struct reg_resp, range), sizeof(((struct reg_resp *)0)->range) },
	};
	for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++) {
		size_t nl = strlen(wanted[i].name);
		if (len > nl && strncasecmp(line, wanted[i].name, nl) == 0)
			header_value(line, len, nl, (char *)resp + wanted[i].off, wanted[i].size);
	}
	if (len > 15 && strncasecmp(line, "content-length:", 15) == 0)
		resp->length = strtoll(line + 15, NULL, 10);
	if (len > 17 && strncasecmp(line, "www-authenticate:", 17) == 0)
		header_value(line, len, 17, h->challenge, sizeof(h->challenge));
	return len;
}

static size_t on_upload(char *buf, size_t size, size_t n, void *userdata)
{
	struct transfer *t = userdata;
	long long left = t->q->upload_len - t->sent;
	size_t want = size * n;
	if (left <= 0)
		return 0;
	if ((long long)want > left)
		want = (size_t)left;
	ssize_t got = read(t->q->upload_fd, buf, want);
	if (got < 0)
		return CURL_READFUNC_ABORT;
	t->sent += got;
	if (t->q->progress) {
		t->q->progress->done += got;
		progress_draw(t->q->progress);
	}
	return (size_t)got;
}

/* The value of key="..." (or key=token) in a challenge, into out. */
static void challenge_param(const char *c, const char *key, char *out, size_t size)
{
	*out = '\0';
	size_t klen = strlen(key);
	for (const char *p = c; (p = strcasestr(p, key)); p += klen) {
		if ((p != c && isalnum((unsigned char)p[-1])) || p[klen] != '=')
			continue;
		const char *v = p + klen + 1;
		size_t n = *v == '"' ? strcspn(++v, "\"") : strcspn(v, ",");
		snprintf(out, size, "%.*s", (int)(n < size ? n : size - 1), v);
		return;
	}
}

static int perform(struct reg *r, const struct reg_req *q, struct reg_resp *resp, struct header_sink *h, err_t *err);

/* Answer the challenge of a 401: the Authorization header for the next try into r->auth. */
static int authenticate(struct reg *r, const char *challenge, err_t *err)
{
	_cleanup_free_ char *basic64 = r->basic[0] ? kv_base64_encode(r->basic, strlen(r->basic)) : NULL;
	if (strncasecmp(challenge, "Basic", 5) == 0) {
		if (!basic64)
			return err_msg(err, EACCES, "%s: unauthorized: authentication required (minidock login %s)", r->host,
				       r->host);
		snprintf(r->auth, sizeof(r->auth), "Authorization: Basic %s", basic64);
		return 0;
	}
	if (strncasecmp(challenge, "Bearer", 6) != 0)
		return err_msg(err, EPROTO, "%s: a challenge minidock does not know: %.100s", r->host, challenge);
	char realm[512], service[256], scope[512], url[1600];
	challenge_param(challenge, "realm", realm, sizeof(realm));
	challenge_param(challenge, "service", service, sizeof(service));
	challenge_param(challenge, "scope", scope, sizeof(scope));
	if (strncmp(realm, "https://", 8) != 0 && strncmp(realm, "http://", 7) != 0)
		return err_msg(err, EPROTO, "%s: a token realm that is not a URL: %.100s", r->host, realm);
	char *s = curl_easy_escape(r->curl, service, 0), *sc = curl_easy_escape(r->curl, scope, 0);
	snprintf(url, sizeof(url), "%s?service=%s%s%s", realm, s ? s : "", *scope ? "&scope=" : "", *scope && sc ? sc : "");
	curl_free(s);
	curl_free(sc);
	char header[1000] = "";
	if (basic64)
		snprintf(header, sizeof(header), "Authorization: Basic %s", basic64);
	const char *headers[] = { header, NULL };
	struct reg_resp token_resp = { 0 };
	struct header_sink th = { .resp = &token_resp };
	struct reg_req tq = { .method = "GET", .path = url, .headers = basic64 ? headers : NULL };
	if (perform(r, &tq, &token_resp, &th, err) < 0)
		return -1;
	_cleanup_json_ json_t *doc = token_resp.status == 200 ? json_loadb(token_resp.body, token_resp.len, 0, NULL) : NULL;
	const char *token = json_str(doc, "token") ? json_str(doc, "token") : json_str(doc, "access_token");
	if (!token || strlen(token) > sizeof(r->auth) - 40 || strpbrk(token, "\r\n")) {
		reg_fail(&token_resp, "token", err);
		reg_resp_free(&token_resp);
		return err_wrap(err, "%s: unauthorized", r->host);
	}
	snprintf(r->auth, sizeof(r->auth), "Authorization: Bearer %s", token);
	reg_resp_free(&token_resp);
	return 0;
}

/* One exchange, no retry. */
static int perform(struct reg *r, const struct reg_req *q, struct reg_resp *resp, struct header_sink *h, err_t *err)
{
	char url[2600];
	CURL *c = r->curl;
	struct transfer t = { .q = q, .resp = resp };
	struct curl_slist *headers = NULL;

	if (strncmp(q->path, "http://", 7) == 0 || strncmp(q->path, "https://", 8) == 0)
		snprintf(url, sizeof(url), "%s", q->path);
	else
		snprintf(url, sizeof(url), "%s%s", r->base, q->path);
	free(resp->body);
	memset(resp, 0, sizeof(*resp));
	resp->length = -1;
	h->resp = resp;
	t.mem = open_memstream(&resp->body, &resp->len);
	if (!t.mem)
		return err_msg(err, ENOMEM, "%s", url);
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L); /* a stalled transfer: 60 s without a byte */
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, q->download ? 1L : 0L); /* blobs may be served elsewhere */
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, h);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "minidock");
	if (strcmp(q->method, "HEAD") == 0)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	else if (strcmp(q->method, "GET") != 0)
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, q->method);
	if (q->upload) {
		curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(c, CURLOPT_READFUNCTION, on_upload);
		curl_easy_setopt(c, CURLOPT_READDATA, &t);
		curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)q->upload_len);
		headers = curl_slist_append(headers, "Expect:");
	} else if (q->body || strcmp(q->method, "PUT") == 0 || strcmp(q->method, "POST") == 0 ||
		   strcmp(q->method, "PATCH") == 0) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, q->body ? q->body : "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)q->len);
	}
	for (const char *const *hd = q->headers; hd && *hd; hd++)
		headers = curl_slist_append(headers, *hd);
	/* The credentials go to the registry only, never to a host a redirect names. */
	if (r->auth[0] && strncmp(url, r->base, strlen(r->base)) == 0)
		headers = curl_slist_append(headers, r->auth);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	CURLcode rc = curl_easy_perform(c);
	curl_slist_free_all(headers);
	fclose(t.mem);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
	if (resp->location[0] && resp->location[0] == '/') {
		char abs[2048];
		snprintf(abs, sizeof(abs), "%s%s", r->base, resp->location);
		snprintf(resp->location, sizeof(resp->location), "%s", abs);
	}
	if (t.write_failed)
		return err_sys(err, "%s: write", url);
	if (t.too_big)
		return err_msg(err, EFBIG, "%s: an answer of more than %d bytes", url, BODY_MAX);
	if (rc != CURLE_OK)
		return err_msg(err, rc == CURLE_COULDNT_CONNECT ? ECONNREFUSED : rc == CURLE_OPERATION_TIMEDOUT ? ETIMEDOUT : EPROTO,
			       "%s %s: %s", q->method, url, curl_easy_strerror(rc));
	return 0;
}

int reg_request(struct reg *r, const struct reg_req *q, struct reg_resp *resp, err_t *err)
{
	struct header_sink h = { 0 };
	off_t upload_at = q->upload ? lseek(q->upload_fd, 0, SEEK_CUR) : 0;
	off_t download_at = q->download ? lseek(q->out_fd, 0, SEEK_CUR) : 0;
	struct sha256 sum_at;
	if (q->sum)
		sum_at = *q->sum;
	long long progress_at = q->progress ? q->progress->done : 0;
	if (perform(r, q, resp, &h, err) < 0)
		return -1;
	if (resp->status != 401 || !h.challenge[0])
		return 0;
	/* Once more, with what the challenge asked for, from where the first try started. */
	if (authenticate(r, h.challenge, err) < 0)
		return -1;
	if ((q->upload && lseek(q->upload_fd, upload_at, SEEK_SET) < 0) ||
	    (q->download && (lseek(q->out_fd, download_at, SEEK_SET) < 0 || ftruncate(q->out_fd, download_at) < 0)))
		return err_sys(err, "%s: retry", q->path);
	if (q->sum)
		*q->sum = sum_at;
	if (q->progress)
		q->progress->done = progress_at;
	return perform(r, q, resp, &h, err);
}

int reg_fail(const struct reg_resp *resp, const char *what, err_t *err)
{
	_cleanup_json_ json_t *doc = resp->body ? json_loadb(resp->body, resp->len, 0, NULL) : NULL;
	json_t *first = json_array_get(json_object_get(doc, "errors"), 0);
	const char *code = json_str(first, "code"), *message = json_str(first, "message");
	int e = resp->status == 404 ? ENOENT : resp->status == 401 || resp->status == 403 ? EACCES : EPROTO;
	if (message)
		return err_msg(err, e, "%s: %s (HTTP %ld%s%s)", what, message, resp->status, code ? ", " : "", code ? code : "");
	return err_msg(err, e, "%s: the registry answered HTTP %ld", what, resp->status);
}

/* --- login ------------------------------------------------------------------------------------ */

int reg_login(const char *root, const char *host, const char *user, const char *password, err_t *err)
{
	if (!*user || strchr(user, ':'))
		return err_msg(err, EINVAL, "a user name is needed, without ':'");
	if (!*password)
		return err_msg(err, EINVAL, "a password is needed");
	json_t *cfg = NULL;
	char old[700];
	if (read_credentials(host, old, sizeof(old), &cfg, err) < 0)
		return -1;
	explicit_bzero(old, sizeof(old));
	/* Checked first: GET /v2/ with them, answering the registry's challenge. */
	struct reg r;
	struct reg_resp resp = { 0 };
	int rc = reg_open(&r, root, host, err);
	if (rc == 0) {
		snprintf(r.basic, sizeof(r.basic), "%s:%s", user, password);
		rc = reg_request(&r, &(struct reg_req){ .method = "GET", .path = "/v2/" }, &resp, err);
		if (rc == 0 && resp.status != 200)
			rc = reg_fail(&resp, resp.status == 401 ? "login: unauthorized: incorrect username or password" : "login",
				      err);
		reg_resp_free(&resp);
		reg_close(&r);
	}
	if (rc == 0) {
		char plain[700];
		snprintf(plain, sizeof(plain), "%s:%s", user, password);
		_cleanup_free_ char *auth = kv_base64_encode(plain, strlen(plain));
		explicit_bzero(plain, sizeof(plain));
		json_t *auths = json_object_get(cfg, "auths");
		if (!auths)
			json_object_set_new(cfg, "auths", auths = json_object());
		json_object_set_new(auths, host, json_pack("{s:s}", "auth", auth ? auth : ""));
		rc = write_credentials(cfg, err);
	}
	json_decref(cfg);
	return rc;
}

int reg_logout(const char *host, err_t *err)
{
	json_t *cfg = NULL;
	char old[700];
	if (read_credentials(host, old, sizeof(old), &cfg, err) < 0)
		return -1;
	explicit_bzero(old, sizeof(old));
	json_t *auths = json_object_get(cfg, "auths");
	int rc = 0;
	if (!json_object_get(auths, host))
		rc = err_msg(err, ENOENT, "Not logged in to %s", host);
	else {
		json_object_del(auths, host);
		rc = write_credentials(cfg, err);
	}
	json_decref(cfg);
	return rc;
}

/* --- what the store keeps of a pulled layer ----------------------------------------------------- */

/*
 * A pulled layer keeps its blob as the registry sent it (compressed), in
 * ROOT/distribution/DIFFHEX/blob, with meta.json {"digest", "mediaType", "size", "repos":
 * ["HOST/REPO", ...]}: a push sends the same bytes (or has the registry mount them from a
 * repository it came from), `image save` unpacks it to the layer's tar, `image rm` removes it
 * with the layer.
 */
static int dist_dir(const char *root, const char *diff_id, char *out, size_t size, err_t *err)
{
	if (!digest_valid(diff_id))
		return err_msg(err, EINVAL, "not a sha256 digest: \"%.80s\"", diff_id);
	snprintf(out, size, "%s/distribution/%s", root, diff_id + 7);
	return 0;
}

/* The meta.json of layer diff_id, checked (NULL when there is none or it is not right). */
static json_t *dist_meta(const char *root, const char *diff_id)
{
	char dir[PATH_MAX], path[PATH_MAX + 16];
	err_t ignored;
	json_t *meta = NULL;
	if (dist_dir(root, diff_id, dir, sizeof(dir), &ignored) < 0)
		return NULL;
	snprintf(path, sizeof(path), "%s/meta.json", dir);
	if (json_read_file(path, 1 << 20, &meta, &ignored) < 0)
		return NULL;
	json_t *repos = json_object_get(meta, "repos");
	if (!digest_valid(json_str(meta, "digest")) || !json_str(meta, "mediaType") ||
	    !json_is_integer(json_object_get(meta, "size")) || !json_is_array(repos)) {
		json_decref(meta);
		return NULL;
	}
	return meta;
}

int reg_layer_tar(const char *root, const char *diff_id, int fd, err_t *err)
{
	char dir[PATH_MAX], blob[PATH_MAX + 8];
	if (dist_dir(root, diff_id, dir, sizeof(dir), err) < 0)
		return -1;
	snprintf(blob, sizeof(blob), "%s/blob", dir);
	if (access(blob, F_OK) < 0)
		return 0;
	return store_blob_tar(blob, diff_id, fd, err) < 0 ? -1 : 1;
}

/* Keep the blob at path (verified) as layer diff_id's, from repository host/repo. */
static int dist_keep(const char *root, const char *diff_id, const char *path, const json_t *desc, const char *from,
		     err_t *err)
{
	char dir[PATH_MAX], file[PATH_MAX + 16];
	if (dist_dir(root, diff_id, dir, sizeof(dir), err) < 0 || fs_mkdir_p(dir, 0700, err) < 0)
		return -1;
	json_t *meta = dist_meta(root, diff_id);
	if (!meta)
		meta = json_pack("{s:s, s:s, s:O, s:[]}", "digest", json_str(desc, "digest"), "mediaType",
				 json_str(desc, "mediaType"), "size", json_object_get(desc, "size"), "repos");
	json_t *repos = json_object_get(meta, "repos");
	bool have = false;
	size_t i;
	json_t *v;
	json_array_foreach(repos, i, v)
		have |= strcmp(json_string_value(v), from) == 0;
	if (!have)
		json_array_append_new(repos, json_string(from));
	snprintf(file, sizeof(file), "%s/blob", dir);
	int rc = (access(file, F_OK) == 0 || rename(path, file) == 0) ? 0 : err_sys(err, "keep %s", file);
	snprintf(file, sizeof(file), "%s/meta.json", dir);
	if (rc == 0)
		rc = json_write_file(file, meta, err);
	json_decref(meta);
	return rc;
}

/* --- pull ------------------------------------------------------------------------------------- */

static const char *const layer_types[] = {
	"application/vnd.oci.image.layer.v1.tar",
	"application/vnd.oci.image.layer.v1.tar+gzip",
	"application/vnd.oci.image.layer.v1.tar+zstd",
	"application/vnd.docker.image.rootfs.diff.tar.gzip",
	NULL,
};

static bool is_index(const char *type)
{
	return type && (strcmp(type, "application/vnd.oci.image.index.v1+json") == 0 ||
			strcmp(type, "application/vnd.docker.distribution.manifest.list.v2+json") == 0);
}

/* GET manifest ref of repo; its bytes must hash to want (when given) and to the registry's
 * Docker-Content-Digest (when sent). The manifest into *out, its digest into digest, its
 * media type into type. */
static int get_manifest(struct reg *r, const char *repo, const char *ref, const char *want, json_t **out,
			char digest[DIGEST_LEN + 1], char *type, size_t type_size, err_t *err)
{
	char path[700], hex[DIGEST_HEX_LEN + 1];
	const char *headers[] = { MANIFEST_TYPES, NULL };
	struct reg_resp resp = { 0 };
	snprintf(path, sizeof(path), "/v2/%s/manifests/%s", repo, ref);
	if (reg_request(r, &(struct reg_req){ .method = "GET", .path = path, .headers = headers }, &resp, err) < 0)
		return -1;
	if (resp.status != 200) {
		char what[600];
		snprintf(what, sizeof(what), "manifest for %s/%s:%s", r->host, repo, ref);
		reg_fail(&resp, what, err);
		reg_resp_free(&resp);
		return -1;
	}
	sha256_hex(resp.body ? resp.body : "", resp.len, hex);
	snprintf(digest, DIGEST_LEN + 1, "sha256:%s", hex);
	int rc = 0;
	if (want && strcmp(want, digest) != 0)
		rc = err_msg(err, EIO, "manifest %s: its bytes hash to %s: refused", want, digest);
	else if (resp.digest[0] && strcmp(resp.digest, digest) != 0)
		rc = err_msg(err, EIO, "manifest %s: the registry says %s, its bytes hash to %s: refused", ref,
			     resp.digest, digest);
	else if (!(*out = json_loadb(resp.body ? resp.body : "", resp.len, 0, NULL)) || !json_is_object(*out))
		rc = err_msg(err, EINVAL, "manifest %s: not a JSON object", ref);
	if (rc == 0) {
		const char *t = json_str(*out, "mediaType");
		snprintf(type, type_size, "%s", t ? t : resp.content_type);
	}
	reg_resp_free(&resp);
	return rc;
}

/* A descriptor's digest and size, checked. */
static bool good_descriptor(const json_t *desc)
{
	return json_is_object(desc) && digest_valid(json_str(desc, "digest")) &&
	       json_is_integer(json_object_get(desc, "size")) && json_integer_value(json_object_get(desc, "size")) >= 0;
}

static void short_id(const char *digest, char out[13])
{
	snprintf(out, 13, "%.12s", digest + 7);
}

/* Record a pulled image: its layers (staged) moved in, its config, its names. */
static int store_pulled(const char *root, const char *stage, const char *config_text, const json_t *diff_ids,
			const struct reg_ref *ref, const char *manifest_digest, char out_id[DIGEST_LEN + 1], err_t *err)
{
	char hex[DIGEST_HEX_LEN + 1], path[PATH_MAX], from[PATH_MAX];
	_cleanup_close_ int lock = -1;
	_cleanup_json_ json_t *store = NULL;
	sha256_hex(config_text, strlen(config_text), hex);
	snprintf(out_id, DIGEST_LEN + 1, "sha256:%s", hex);
	if (lock_state(root, &lock, err) < 0 || store_read(root, &store, err) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/layers", root);
	if (fs_mkdir_p(path, 0700, err) < 0)
		return -1;
	size_t i;
	json_t *d;
	json_array_foreach(diff_ids, i, d) {
		if (store_layer_path(root, json_string_value(d), path, sizeof(path), err) < 0 ||
		    store_layer_path(stage, json_string_value(d), from, sizeof(from), err) < 0)
			return -1;
		if (access(path, F_OK) < 0 && access(from, F_OK) == 0 && rename(from, path) < 0)
			return err_sys(err, "move layer %s into the store", json_string_value(d));
	}
	snprintf(path, sizeof(path), "%s/blobs/sha256", root);
	if (fs_mkdir_p(path, 0700, err) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/blobs/sha256/%s", root, hex);
	if (fs_write_atomic(path, config_text, strlen(config_text), 0644, err) < 0)
		return -1;
	json_t *images = json_object_get(store, "images");
	json_t *entry = json_object_get(images, hex);
	if (!entry) {
		_cleanup_json_ json_t *config = json_loads(config_text, 0, NULL);
		entry = json_pack("{s:[], s:[], s:O, s:s}", "RepoTags", "RepoDigests", "Layers", diff_ids, "Created",
				  json_str(config, "created") ? json_str(config, "created") : "");
		json_object_set_new(images, hex, entry);
	}
	char name[700];
	snprintf(name, sizeof(name), "%s@%s", ref->name, manifest_digest);
	json_t *digests = json_object_get(entry, "RepoDigests");
	bool have = false;
	json_array_foreach(digests, i, d)
		have |= strcmp(json_string_value(d), name) == 0;
	if (!have)
		json_array_append_new(digests, json_string(name));
	if (store_write(root, store, err) < 0)
		return -1;
	close(lock);
	lock = -1;
	if (ref->digest[0])
		return 0; /* pulled by digest: no tag moves */
	snprintf(name, sizeof(name), "%s:%s", ref->name, ref->tag);
	return build_tag(root, out_id, name, err);
}

/* Pull layer desc (diff_id) into stage, unless the store has it. */
static int pull_layer(struct reg *r, const char *root, const char *stage, const struct reg_ref *ref,
		      const json_t *desc, const char *diff_id, FILE *out, bool quiet, err_t *err)
{
	char in_store[PATH_MAX], staged[PATH_MAX], partial[PATH_MAX], from[600];
	struct reg_progress p = { .out = quiet ? NULL : out, .tty = !quiet && isatty(fileno(out)), .verb = "Downloading",
				  .total = json_integer_value(json_object_get(desc, "size")) };
	const char *digest = json_str(desc, "digest"), *type = json_str(desc, "mediaType");
	short_id(digest, p.id);
	if (store_layer_path(root, diff_id, in_store, sizeof(in_store), err) < 0 ||
	    store_layer_path(stage, diff_id, staged, sizeof(staged), err) < 0)
		return -1;
	bool known = false;
	for (const char *const *t = layer_types; *t; t++)
		known |= type && strcmp(type, *t) == 0;
	if (!known)
		return err_msg(err, EINVAL, "layer %s: a media type minidock does not unpack: %.100s", digest,
			       type ? type : "(none)");
	if (access(in_store, F_OK) == 0 || access(staged, F_OK) == 0) {
		reg_progress_say(&p, "Already exists");
		return 0;
	}
	/* ROOT/tmp/partial/HEX: a download that stops half way is taken up again by the next pull. */
	snprintf(partial, sizeof(partial), "%s/tmp/partial", root);
	if (fs_mkdir_p(partial, 0700, err) < 0)
		return -1;
	snprintf(partial, sizeof(partial), "%s/tmp/partial/%s", root, digest + 7);
	reg_progress_say(&p, "Pulling fs layer");
	if (reg_fetch_blob(r, ref->repo, digest, partial, &p, err) < 0)
		return err_wrap(err, "layer %s", digest);
	reg_progress_say(&p, "Verifying Checksum");
	struct stat st;
	size_t max = stat(partial, &st) == 0 ? (size_t)st.st_size * 64 + (1 << 20) : 0;
	if (fs_mkdir_p(staged, 0755, err) < 0 || layer_unpack(partial, digest, diff_id, max, staged, err) < 0) {
		unlink(partial); /* bytes that hash right but do not unpack: not kept for a resume */
		return err_wrap(err, "layer %s", digest);
	}
	snprintf(from, sizeof(from), "%s/%s", r->host, ref->repo);
	if (dist_keep(root, diff_id, partial, desc, from, err) < 0)
		return -1;
	reg_progress_say(&p, "Pull complete");
	return 0;
}

int img_pull(const char *root, const char *text, FILE *out, bool quiet, char out_id[DIGEST_LEN + 1], err_t *err)
{
	struct reg_ref ref;
	struct reg r = { 0 };
	char stage[PATH_MAX] = "", digest[DIGEST_LEN + 1], top_digest[DIGEST_LEN + 1], type[160], path[PATH_MAX + 32];
	_cleanup_close_ int stage_lock = -1;
	json_t *manifest = NULL, *config = NULL;
	_cleanup_free_ char *config_text = NULL;
	int rc = -1;
	err_t ignored;

	if (reg_parse_ref(text, &ref, err) < 0 || reg_open(&r, root, ref.host, err) < 0)
		goto out;
	const char *at = ref.digest[0] ? ref.digest : ref.tag;
	if (!quiet && !ref.digest[0] && !strchr(strrchr(text, '/') ? strrchr(text, '/') : text, ':'))
		fprintf(out, "Using default tag: latest\n");
	if (!quiet) {
		fprintf(out, "%s: Pulling from %s\n", at, ref.repo);
		fflush(out); /* before an error on stderr */
	}
	if (get_manifest(&r, ref.repo, at, ref.digest[0] ? ref.digest : NULL, &manifest, top_digest, type, sizeof(type),
			 err) < 0)
		goto out;
	snprintf(digest, sizeof(digest), "%s", top_digest);
	if (is_index(type)) {
		/* A multi-platform image: the manifest of linux/amd64 (lab 12). */
		char chosen[DIGEST_LEN + 1];
		if (reg_pick_manifest(manifest, "linux", "amd64", chosen, err) < 0)
			goto out;
		json_decref(manifest);
		manifest = NULL;
		if (get_manifest(&r, ref.repo, chosen, chosen, &manifest, digest, type, sizeof(type), err) < 0)
			goto out;
	}
	json_t *cfg_desc = json_object_get(manifest, "config"), *layers = json_object_get(manifest, "layers");
	if (is_index(type) || !good_descriptor(cfg_desc) || !json_is_array(layers) || json_array_size(layers) == 0) {
		err_msg(err, EINVAL, "manifest %s: not an image manifest (schema 2, a config and layers)", digest);
		goto out;
	}
	size_t i;
	json_t *desc;
	json_array_foreach(layers, i, desc) {
		if (!good_descriptor(desc)) {
			err_msg(err, EINVAL, "manifest %s: layer %zu has no digest or size", digest, i);
			goto out;
		}
	}
	if (build_tmp_dir(root, "pull", stage, sizeof(stage), &stage_lock, err) < 0) {
		stage[0] = '\0';
		goto out;
	}
	/* The config (the image's id is its digest), then each layer. */
	snprintf(path, sizeof(path), "%s/config", stage);
	size_t len;
	if (reg_fetch_blob(&r, ref.repo, json_str(cfg_desc, "digest"), path, NULL, err) < 0 ||
	    fs_read_file(path, 16 << 20, &config_text, &len, err) < 0)
		goto out;
	if (strlen(config_text) != len || !(config = json_loads(config_text, 0, NULL))) {
		err_msg(err, EINVAL, "config %s: not JSON", json_str(cfg_desc, "digest"));
		goto out;
	}
	json_t *diff_ids = json_object_get(json_object_get(config, "rootfs"), "diff_ids");
	if (!json_is_array(diff_ids) || json_array_size(diff_ids) != json_array_size(layers)) {
		err_msg(err, EINVAL, "config %s: rootfs.diff_ids lists %zu layers, the manifest %zu",
			json_str(cfg_desc, "digest"), json_array_size(diff_ids), json_array_size(layers));
		goto out;
	}
	json_array_foreach(layers, i, desc) {
		const char *diff_id = json_string_value(json_array_get(diff_ids, i));
		if (pull_layer(&r, root, stage, &ref, desc, diff_id, out, quiet, err) < 0)
			goto out;
	}
	/* Was it here already, by that name? Then Docker says it is up to date. */
	_cleanup_json_ json_t *before = NULL;
	char had[DIGEST_HEX_LEN + 1] = "", config_hex[DIGEST_HEX_LEN + 1];
	err_t none;
	sha256_hex(config_text, strlen(config_text), config_hex);
	if (store_read(root, &before, &none) == 0 && img_resolve(before, text, had, &none) < 0)
		had[0] = '\0';
	if (store_pulled(root, stage, config_text, diff_ids, &ref, top_digest, out_id, err) < 0)
		goto out;
	if (!quiet) {
		fprintf(out, "Digest: %s\n", top_digest);
		fprintf(out, "Status: %s for %s%s%s\n",
			strcmp(had, config_hex) == 0 ? "Image is up to date" : "Downloaded newer image", ref.name,
			ref.digest[0] ? "@" : ":", ref.digest[0] ? ref.digest : ref.tag);
	}
	rc = 0;
out:
	if (stage[0])
		fs_remove_tree(stage, &ignored);
	json_decref(manifest);
	json_decref(config);
	reg_close(&r);
	return rc;
}

/* --- push ------------------------------------------------------------------------------------- */

/* A layer as it will be pushed: a file, its digest, its media type, where it may be mounted from. */
struct outgoing {
	char path[PATH_MAX + 32];
	char digest[DIGEST_LEN + 1];
	const char *type;
	char mount_from[300];
	long long size;
	bool remade; /* a loaded layer's tar, made again: its digest may not be its diff_id */
};

/* The blob of layer diff_id: the one pulled (compressed, as the registry had it), the tar a
 * build kept, or (a loaded layer) the tar made again from its directory into stage, whose
 * digest then may differ from diff_id. */
static int outgoing_layer(const char *root, const char *stage, const char *host, const char *diff_id, size_t index,
			  struct outgoing *o, err_t *err)
{
	char dir[PATH_MAX];
	struct stat st;
	memset(o, 0, sizeof(*o));
	_cleanup_json_ json_t *meta = dist_meta(root, diff_id);
	if (meta && dist_dir(root, diff_id, dir, sizeof(dir), err) == 0) {
		snprintf(o->path, sizeof(o->path), "%s/blob", dir);
		if (stat(o->path, &st) == 0) {
			snprintf(o->digest, sizeof(o->digest), "%s", json_str(meta, "digest"));
			o->type = strstr(json_str(meta, "mediaType"), "zstd")     ? "application/vnd.oci.image.layer.v1.tar+zstd"
				  : strstr(json_str(meta, "mediaType"), "docker") ? "application/vnd.docker.image.rootfs.diff.tar.gzip"
				  : strstr(json_str(meta, "mediaType"), "gzip")   ? "application/vnd.oci.image.layer.v1.tar+gzip"
										  : "application/vnd.oci.image.layer.v1.tar";
			o->size = st.st_size;
			size_t i;
			json_t *v;
			size_t host_len = strlen(host);
			json_array_foreach(json_object_get(meta, "repos"), i, v) {
				const char *repo = json_string_value(v);
				if (repo && strncmp(repo, host, host_len) == 0 && repo[host_len] == '/')
					snprintf(o->mount_from, sizeof(o->mount_from), "%s", repo + host_len + 1);
			}
			return 0;
		}
	}
	o->type = "application/vnd.oci.image.layer.v1.tar";
	snprintf(o->path, sizeof(o->path), "%s/blobs/sha256/%s", root, diff_id + 7);
	if (stat(o->path, &st) == 0) {
		snprintf(o->digest, sizeof(o->digest), "%s", diff_id);
		o->size = st.st_size;
		return 0;
	}
	if (store_layer_path(root, diff_id, dir, sizeof(dir), err) < 0)
		return -1;
	snprintf(o->path, sizeof(o->path), "%s/layer-%zu.tar", stage, index);
	_cleanup_close_ int fd = open(o->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return err_sys(err, "%s", o->path);
	if (layer_diff(dir, fd, -1, o->digest, err) < 0 || fstat(fd, &st) < 0)
		return -1;
	o->size = st.st_size;
	o->remade = true;
	return 0;
}

static int push_file(struct reg *r, const char *repo, const struct outgoing *o, FILE *out, bool quiet, err_t *err)
{
	struct reg_progress p = { .out = quiet ? NULL : out, .tty = !quiet && isatty(fileno(out)), .verb = "Pushing",
				  .total = o->size };
	const char *how = NULL;
	short_id(o->digest, p.id);
	reg_progress_say(&p, "Preparing");
	if (reg_push_blob(r, repo, o->digest, o->path, o->mount_from[0] ? o->mount_from : NULL, &p, &how, err) < 0)
		return err_wrap(err, "blob %s", o->digest);
	char said[400];
	if (how && strcmp(how, "exists") == 0)
		snprintf(said, sizeof(said), "Layer already exists");
	else if (how && strcmp(how, "mounted") == 0)
		snprintf(said, sizeof(said), "Mounted from %s", o->mount_from);
	else
		snprintf(said, sizeof(said), "Pushed");
	reg_progress_say(&p, said);
	return 0;
}

int img_push(const char *root, const char *text, FILE *out, bool quiet, err_t *err)
{
	struct reg_ref ref;
	struct reg r = { 0 };
	char hex[DIGEST_HEX_LEN + 1], stage[PATH_MAX] = "", path[PATH_MAX + 32], full[600];
	_cleanup_close_ int stage_lock = -1;
	_cleanup_json_ json_t *store = NULL, *doc = NULL, *outs = json_array();
	_cleanup_free_ char *config_text = NULL, *manifest_text = NULL;
	struct outgoing *layers = NULL;
	int rc = -1;
	err_t ignored;

	if (reg_parse_ref(text, &ref, err) < 0)
		return -1;
	if (ref.digest[0])
		return err_msg(err, EINVAL, "push %s: a tag, not a digest (the registry makes the digest)", text);
	snprintf(full, sizeof(full), "%s:%s", ref.name, ref.tag);
	if (store_read(root, &store, err) < 0 || img_resolve(store, full, hex, err) < 0 ||
	    img_read_config(root, hex, &doc, err) < 0)
		return err_wrap(err, "An image does not exist locally with the tag: %s", full);
	json_t *diff_ids = json_object_get(json_object_get(doc, "rootfs"), "diff_ids");
	size_t n = json_array_size(diff_ids);
	if (!json_is_array(diff_ids) || n == 0)
		return err_msg(err, EINVAL, "image %.12s: no layers", hex);
	if (reg_open(&r, root, ref.host, err) < 0 || build_tmp_dir(root, "push", stage, sizeof(stage), &stage_lock, err) < 0) {
		stage[0] = '\0';
		goto out;
	}
	if (!quiet) {
		fprintf(out, "The push refers to repository [%s/%s]\n", r.host, ref.repo);
		fflush(out);
	}
	layers = calloc(n, sizeof(*layers));
	bool rewritten = false, docker_types = false;
	for (size_t i = 0; layers && i < n; i++) {
		const char *diff_id = json_string_value(json_array_get(diff_ids, i));
		if (outgoing_layer(root, stage, ref.host, diff_id, i, &layers[i], err) < 0 ||
		    push_file(&r, ref.repo, &layers[i], out, quiet, err) < 0)
			goto out;
		docker_types |= strstr(layers[i].type, "docker") != NULL;
		if (layers[i].remade && strcmp(layers[i].digest, diff_id) != 0) {
			json_array_set_new(diff_ids, i, json_string(layers[i].digest)); /* a loaded layer, made again */
			rewritten = true;
		}
	}
	/* The config: as stored, or with the diff_ids of layers made again (a new image id). */
	if (rewritten) {
		config_text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
		fprintf(stderr, "minidock: note: %s: layers loaded from an archive are pushed as minidock writes them: "
			"the image gets another id\n", full);
	} else {
		size_t len;
		snprintf(path, sizeof(path), "%s/blobs/sha256/%s", root, hex);
		if (fs_read_file(path, 16 << 20, &config_text, &len, err) < 0)
			goto out;
	}
	struct outgoing cfg = { .type = "" };
	char cfg_hex[DIGEST_HEX_LEN + 1];
	sha256_hex(config_text, strlen(config_text), cfg_hex);
	snprintf(cfg.digest, sizeof(cfg.digest), "sha256:%s", cfg_hex);
	snprintf(cfg.path, sizeof(cfg.path), "%s/config", stage);
	cfg.size = (long long)strlen(config_text);
	if (fs_write_atomic(cfg.path, config_text, strlen(config_text), 0600, err) < 0 ||
	    push_file(&r, ref.repo, &cfg, quiet ? NULL : out, true, err) < 0)
		goto out;
	/* The manifest: OCI's, or Docker's schema 2 when a layer came from a Docker image. */
	const char *manifest_type = docker_types ? "application/vnd.docker.distribution.manifest.v2+json"
						 : "application/vnd.oci.image.manifest.v1+json";
	json_t *manifest = json_pack("{s:i, s:s, s:{s:s, s:s, s:I}, s:[]}", "schemaVersion", 2, "mediaType", manifest_type,
				     "config", "mediaType",
				     docker_types ? "application/vnd.docker.container.image.v1+json"
						  : "application/vnd.oci.image.config.v1+json",
				     "digest", cfg.digest, "size", (json_int_t)cfg.size, "layers");
	for (size_t i = 0; i < n; i++) {
		const char *type = layers[i].type;
		if (docker_types && strcmp(type, "application/vnd.oci.image.layer.v1.tar") == 0)
			type = "application/vnd.docker.image.rootfs.diff.tar";
		else if (docker_types && strcmp(type, "application/vnd.oci.image.layer.v1.tar+gzip") == 0)
			type = "application/vnd.docker.image.rootfs.diff.tar.gzip";
		json_array_append_new(json_object_get(manifest, "layers"),
				      json_pack("{s:s, s:s, s:I}", "mediaType", type, "digest", layers[i].digest, "size",
						(json_int_t)layers[i].size));
	}
	manifest_text = json_dumps(manifest, JSON_INDENT(3));
	json_decref(manifest);
	char content_type[200], mhex[DIGEST_HEX_LEN + 1], mdigest[DIGEST_LEN + 1];
	snprintf(content_type, sizeof(content_type), "Content-Type: %s", manifest_type);
	const char *headers[] = { content_type, NULL };
	struct reg_resp resp = { 0 };
	sha256_hex(manifest_text, strlen(manifest_text), mhex);
	snprintf(mdigest, sizeof(mdigest), "sha256:%s", mhex);
	snprintf(path, sizeof(path), "/v2/%s/manifests/%s", ref.repo, ref.tag);
	if (reg_request(&r, &(struct reg_req){ .method = "PUT", .path = path, .headers = headers, .body = manifest_text,
					      .len = strlen(manifest_text) },
			&resp, err) < 0)
		goto out;
	if (resp.status != 201) {
		reg_fail(&resp, "manifest", err);
		reg_resp_free(&resp);
		goto out;
	}
	if (resp.digest[0] && strcmp(resp.digest, mdigest) != 0) {
		err_msg(err, EIO, "manifest: the registry says %s, the bytes sent hash to %s", resp.digest, mdigest);
		reg_resp_free(&resp);
		goto out;
	}
	reg_resp_free(&resp);
	if (!quiet)
		fprintf(out, "%s: digest: %s size: %zu\n", ref.tag, mdigest, strlen(manifest_text));
	/* The store now knows the image by that digest too (unless its config was made again). */
	if (!rewritten) {
		_cleanup_close_ int lock = -1;
		json_decref(store);
		store = NULL;
		if (lock_state(root, &lock, err) == 0 && store_read(root, &store, err) == 0) {
			json_t *digests = json_object_get(json_object_get(json_object_get(store, "images"), hex), "RepoDigests");
			char name[700];
			snprintf(name, sizeof(name), "%s@%s", ref.name, mdigest);
			bool have = false;
			size_t i;
			json_t *d;
			json_array_foreach(digests, i, d)
				have |= strcmp(json_string_value(d), name) == 0;
			if (digests && !have) {
				json_array_append_new(digests, json_string(name));
				store_write(root, store, &ignored);
			}
		}
	}
	rc = 0;
out:
	free(layers);
	if (stage[0])
		fs_remove_tree(stage, &ignored);
	reg_close(&r);
	return rc;
}
