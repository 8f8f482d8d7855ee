/*
 * distribution.h - lab 12's contract: the three exchanges of the OCI distribution API that move
 * an image, on top of registry.h's requests (reg_request(): authentication, redirects and
 * headers are done there).
 */
#ifndef MINIDOCK_DISTRIBUTION_H
#define MINIDOCK_DISTRIBUTION_H

#include <jansson.h>

#include "digest.h"
#include "err.h"
#include "registry.h"

/*
 * From an image index (OCI's application/vnd.oci.image.index.v1+json, or Docker's manifest list)
 * pick the manifest of platform os/arch: the digest of the first entry of "manifests" whose
 * "platform" has that "os" and "architecture" (any "variant"), into out. Entries whose digest is
 * not "sha256:" and 64 hex digits are skipped. ENOENT "no matching manifest for OS/ARCH in the
 * manifest list entries" (Docker's words) when none.
 */
int reg_pick_manifest(const json_t *index, const char *os, const char *arch, char out[DIGEST_LEN + 1], err_t *err);

/*
 * GET blob digest of repository repo into file path, and check it: the whole file must hash to
 * digest, or it is removed and the answer is EIO ("digest mismatch"). A path that already holds
 * the first bytes of the blob (a download cut off) is resumed: those bytes are hashed, and the
 * request asks only for the rest ("Range: bytes=N-"); a registry that answers 206 sends the
 * rest, one that answers 200 sends it all again (the file starts over). A status other than
 * 200 or 206: reg_fail(). p (or NULL) counts the bytes for the progress bar.
 */
int reg_fetch_blob(struct reg *r, const char *repo, const char *digest, const char *path, struct reg_progress *p,
		   err_t *err);

/* Blobs up to this size go in one request; larger ones in chunks of it. */
#define REG_CHUNK (1 << 20)

/*
 * Make sure repository repo has blob digest, whose bytes are the file path:
 *	1. HEAD /v2/REPO/blobs/DIGEST: 200, the registry has it: *out_how = "exists";
 *	2. with mount_from (another repository of the same registry that has it):
 *	   POST /v2/REPO/blobs/uploads/?mount=DIGEST&from=MOUNT_FROM: 201: *out_how = "mounted";
 *	   202: the registry started an upload instead (its Location): go on with 3 from there;
 *	3. POST /v2/REPO/blobs/uploads/: 202 and a Location (the upload session); then
 *	   - a file of at most REG_CHUNK bytes: PUT LOCATION?digest=DIGEST with the bytes (one
 *	     request: a monolithic upload), 201;
 *	   - a bigger one: PATCH LOCATION with each REG_CHUNK-byte chunk (headers Content-Type:
 *	     application/octet-stream and Content-Range: FIRST-LAST), each answered 202 with the
 *	     next Location, then PUT LOCATION?digest=DIGEST with no body, 201;
 *	   *out_how = "pushed". A Location that already has a query gets "&digest=", else "?digest=".
 * Any other answer: reg_fail(). p (or NULL) counts the bytes sent.
 */
int reg_push_blob(struct reg *r, const char *repo, const char *digest, const char *path, const char *mount_from,
		  struct reg_progress *p, const char **out_how, err_t *err);

#endif
