/* test_layer.c - a container's upper directory as an image layer: the entries, the whiteouts,
 * the same bytes for the same files, read back by libarchive as a tar. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "layer.h"
#include "unit.h"

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* The layer of upper written to path; its diff_id into id. */
static int make_layer(const char *upper, const char *path, long long epoch, char id[DIGEST_LEN + 1])
{
	err_t err;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	int rc = fd < 0 ? -1 : layer_diff(upper, fd, epoch, id, &err);
	if (fd >= 0)
		close(fd);
	return rc;
}

static void upper_as_layer(void)
{
	const char *dir = unit_mktmp();
	char upper[PATH_MAX], path[PATH_MAX + 256], tar[PATH_MAX], id1[DIGEST_LEN + 1], id2[DIGEST_LEN + 1];
	char long_name[160];

	snprintf(upper, sizeof(upper), "%s/upper", dir);
	snprintf(tar, sizeof(tar), "%s/layer.tar", dir);
	mkdir(upper, 0755);
	snprintf(path, sizeof(path), "%s/b.txt", upper);
	write_file(path, "hello\n");
	snprintf(path, sizeof(path), "%s/d", upper);
	mkdir(path, 0750);
	snprintf(path, sizeof(path), "%s/d/x", upper);
	write_file(path, "x");
	snprintf(path, sizeof(path), "%s/l", upper);
	CU_ASSERT_EQUAL(symlink("../../etc/passwd", path), 0); /* written as a link, never followed */
	memset(long_name, 'n', 150);
	long_name[150] = '\0';
	snprintf(path, sizeof(path), "%s/d/%s", upper, long_name);
	write_file(path, "long");
	/* A whiteout and an opaque directory, where this user may make them (root). */
	snprintf(path, sizeof(path), "%s/gone", upper);
	bool whiteout = mknod(path, S_IFCHR | 0600, makedev(0, 0)) == 0;
	snprintf(path, sizeof(path), "%s/o", upper);
	mkdir(path, 0755);
	bool opaque = setxattr(path, "trusted.overlay.opaque", "y", 1, 0) == 0;

	CU_ASSERT_EQUAL_FATAL(make_layer(upper, tar, -1, id1), 0);
	CU_ASSERT_EQUAL(strncmp(id1, "sha256:", 7), 0);

	/* Read back as a tar, in name order. */
	struct archive *a = archive_read_new();
	archive_read_support_format_tar(a);
	CU_ASSERT_EQUAL_FATAL(archive_read_open_filename(a, tar, 10240), ARCHIVE_OK);
	struct archive_entry *e;
	char seen[2048] = "";
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(e);
		if (strncmp(name, "d/nnn", 5) == 0)
			name = "d/LONG";
		snprintf(seen + strlen(seen), sizeof(seen) - strlen(seen), "%s ", name);
		if (strcmp(name, "l") == 0)
			CU_ASSERT_STRING_EQUAL(archive_entry_symlink(e), "../../etc/passwd");
		if (strcmp(name, "d/") == 0)
			CU_ASSERT_EQUAL(archive_entry_perm(e), 0750);
		if (strcmp(name, "d/LONG") == 0)
			CU_ASSERT_EQUAL(strlen(archive_entry_pathname(e)), 152); /* past ustar's 100 bytes */
	}
	archive_read_free(a);
	char want[512];
	snprintf(want, sizeof(want), "b.txt d/ d/LONG d/x %sl o/ %s", whiteout ? ".wh.gone " : "",
		 opaque ? "o/.wh..wh..opq " : "");
	if (strcmp(seen, want) != 0)
		fprintf(stderr, "layer entries: [%s], want [%s]\n", seen, want);
	CU_ASSERT_STRING_EQUAL(seen, want);

	/* The same files, the same bytes; with an epoch, a newer time changes nothing. */
	CU_ASSERT_EQUAL_FATAL(make_layer(upper, tar, -1, id2), 0);
	CU_ASSERT_STRING_EQUAL(id1, id2);
	CU_ASSERT_EQUAL_FATAL(make_layer(upper, tar, 1000, id1), 0);
	snprintf(path, sizeof(path), "%s/b.txt", upper);
	struct timeval later[2] = { { 2000000000, 0 }, { 2000000000, 0 } };
	utimes(path, later);
	CU_ASSERT_EQUAL_FATAL(make_layer(upper, tar, 1000, id2), 0);
	CU_ASSERT_STRING_EQUAL(id1, id2);
	CU_ASSERT_EQUAL_FATAL(make_layer(upper, tar, -1, id2), 0);
	CU_ASSERT_STRING_NOT_EQUAL(id1, id2);

	/* A socket is not something an image holds. */
	snprintf(path, sizeof(path), "%s/fifo", upper);
	mkfifo(path, 0644);
	err_t err;
	int fd = open(tar, O_WRONLY | O_TRUNC);
	CU_ASSERT_EQUAL(layer_diff(upper, fd, -1, id1, &err), -1);
	CU_ASSERT_EQUAL(err.code, EINVAL);
	close(fd);
	unit_rmtmp();
}

static const struct unit_test tests[] = {
	{ "layer: an upper directory as a tar layer, whiteouts and opaque directories, the same bytes each time",
	  upper_as_layer },
	{ NULL, NULL },
};
const struct unit_suite suite_layer = { "layer", tests };
