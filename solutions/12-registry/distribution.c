/*
 * distribution.c - lab 12: picking a platform's manifest, fetching a blob (checked, resumable),
 * pushing one (exists, mounted, or uploaded whole or in chunks).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "distribution.h"
#include "lab.h"
#include "sha256.h"

int reg_pick_manifest(const json_t *index, const char *os, const char *arch, char out[DIGEST_LEN + 1], err_t *err)
{
	/* SOLUTION BEGIN */
	size_t i;
	json_t *m;
	json_array_foreach(json_object_get(index, "manifests"), i, m) {
		const json_t *platform = json_object_get(m, "platform");
		const char *digest = json_string_value(json_object_get(m, "digest"));
		const char *m_os = json_string_value(json_object_get(platform, "os"));
		const char *m_arch = json_string_value(json_object_get(platform, "architecture"));
		if (digest_valid(digest) && m_os && m_arch && strcmp(m_os, os) == 0 && strcmp(m_arch, arch) == 0) {
			snprintf(out, DIGEST_LEN + 1, "%s", digest);
			return 0;
		}
	}
	return err_msg(err, ENOENT, "no matching manifest for %s/%s in the manifest list entries", os, arch);
	/* SOLUTION END: return lab_todo(err, 12, __func__); */
}

int reg_fetch_blob(struct reg *r, const char *repo, const char *digest, const char *path, struct reg_progress *p,
		   err_t *err)
{
	/* SOLUTION BEGIN */
	char url[700], range[64] = "", got[DIGEST_LEN + 1];
	struct sha256 sum;
	struct reg_resp resp = { 0 };
	_cleanup_close_ int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return err_sys(err, "%s", path);
	/* What an earlier try left: hashed again, and only the rest is asked for. */
	sha256_init(&sum);
	char buf[65536];
	ssize_t n;
	off_t have = 0;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		sha256_update(&sum, buf, (size_t)n);
		have += n;
	}
	if (n < 0)
		return err_sys(err, "%s", path);
	if (have > 0)
		snprintf(range, sizeof(range), "Range: bytes=%lld-", (long long)have);
	const char *headers[] = { range, NULL };
	if (p)
		p->done = have;
	snprintf(url, sizeof(url), "/v2/%s/blobs/%s", repo, digest);
	int rc = reg_request(r, &(struct reg_req){ .method = "GET", .path = url, .headers = have ? headers : NULL,
						   .download = true, .out_fd = fd, .sum = &sum, .progress = p },
			     &resp, err);
	if (rc == 0 && resp.status == 200 && have > 0) {
		/* The registry sent the whole blob: start over (the bytes went after the old ones). */
		reg_resp_free(&resp);
		if (ftruncate(fd, 0) < 0 || lseek(fd, 0, SEEK_SET) < 0)
			return err_sys(err, "%s", path);
		sha256_init(&sum);
		if (p)
			p->done = 0;
		rc = reg_request(r, &(struct reg_req){ .method = "GET", .path = url, .download = true, .out_fd = fd,
						       .sum = &sum, .progress = p },
				 &resp, err);
	}
	if (rc == 0 && resp.status != 200 && resp.status != 206)
		rc = reg_fail(&resp, digest, err);
	reg_resp_free(&resp);
	if (rc < 0)
		return -1;
	digest_final(&sum, got);
	if (strcmp(got, digest) != 0) {
		unlink(path);
		return err_msg(err, EIO, "%s: digest mismatch: its bytes hash to %s: refused", digest, got);
	}
	return 0;
	/* SOLUTION END: return lab_todo(err, 12, __func__); */
}

/* SOLUTION BEGIN */
/* LOCATION with "digest=DIGEST" added to its query. */
static void with_digest(const char *location, const char *digest, char *out, size_t size)
{
	snprintf(out, size, "%s%cdigest=%s", location, strchr(location, '?') ? '&' : '?', digest);
}

/* The end of an upload: 201, and the digest the registry computed is ours. */
static int upload_done(const struct reg_resp *resp, const char *digest, err_t *err)
{
	if (resp->status != 201)
		return reg_fail(resp, digest, err);
	if (resp->digest[0] && strcmp(resp->digest, digest) != 0)
		return err_msg(err, EIO, "%s: the registry stored it as %s", digest, resp->digest);
	return 0;
}
/* SOLUTION END */

int reg_push_blob(struct reg *r, const char *repo, const char *digest, const char *path, const char *mount_from,
		  struct reg_progress *p, const char **out_how, err_t *err)
{
	/* SOLUTION BEGIN */
	char url[900], location[2048], target[2200];
	struct reg_resp resp = { 0 };
	struct stat st;
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0)
		return err_sys(err, "%s", path);

	snprintf(url, sizeof(url), "/v2/%s/blobs/%s", repo, digest);
	if (reg_request(r, &(struct reg_req){ .method = "HEAD", .path = url }, &resp, err) < 0)
		return -1;
	if (resp.status == 200) {
		*out_how = "exists";
		reg_resp_free(&resp);
		return 0;
	}
	if (mount_from)
		snprintf(url, sizeof(url), "/v2/%s/blobs/uploads/?mount=%s&from=%s", repo, digest, mount_from);
	else
		snprintf(url, sizeof(url), "/v2/%s/blobs/uploads/", repo);
	if (reg_request(r, &(struct reg_req){ .method = "POST", .path = url }, &resp, err) < 0)
		return -1;
	if (mount_from && resp.status == 201) {
		*out_how = "mounted";
		reg_resp_free(&resp);
		return 0;
	}
	if (resp.status != 202 || !resp.location[0]) {
		int rc = reg_fail(&resp, digest, err);
		reg_resp_free(&resp);
		return rc;
	}
	snprintf(location, sizeof(location), "%s", resp.location);
	reg_resp_free(&resp);

	int rc;
	if (st.st_size <= REG_CHUNK) {
		/* Monolithic: the bytes with the digest, in one PUT. */
		const char *headers[] = { "Content-Type: application/octet-stream", NULL };
		with_digest(location, digest, target, sizeof(target));
		rc = reg_request(r, &(struct reg_req){ .method = "PUT", .path = target, .headers = headers, .upload = true,
						       .upload_fd = fd, .upload_len = st.st_size, .progress = p },
				 &resp, err);
	} else {
		/* Chunked: PATCH after PATCH, each to the Location the last one gave. */
		rc = 0;
		for (long long at = 0; rc == 0 && at < (long long)st.st_size; at += REG_CHUNK) {
			long long len = st.st_size - at < REG_CHUNK ? st.st_size - at : REG_CHUNK;
			char range[80];
			snprintf(range, sizeof(range), "Content-Range: %lld-%lld", at, at + len - 1);
			const char *headers[] = { "Content-Type: application/octet-stream", range, NULL };
			rc = reg_request(r, &(struct reg_req){ .method = "PATCH", .path = location, .headers = headers,
							       .upload = true, .upload_fd = fd, .upload_len = len,
							       .progress = p },
					 &resp, err);
			if (rc == 0 && (resp.status != 202 || !resp.location[0]))
				rc = reg_fail(&resp, digest, err);
			if (rc == 0)
				snprintf(location, sizeof(location), "%s", resp.location);
			reg_resp_free(&resp);
		}
		if (rc < 0)
			return -1;
		with_digest(location, digest, target, sizeof(target));
		rc = reg_request(r, &(struct reg_req){ .method = "PUT", .path = target }, &resp, err);
	}
	if (rc == 0)
		rc = upload_done(&resp, digest, err);
	reg_resp_free(&resp);
	if (rc == 0)
		*out_how = "pushed";
	return rc;
	/* SOLUTION END: return lab_todo(err, 12, __func__); */
}
