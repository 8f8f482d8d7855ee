/*
 * handout.c - make labs/ from solutions/, and check that they agree.
 *
 *	handout sync  SOLUTIONS LABS [--force]   write every handout file into LABS
 *	handout check SOLUTIONS LABS             exit 1 if LABS is not what sync would write
 *
 * Every file of SOLUTIONS/NN-name/ has a twin in LABS/NN-name/: C sources and headers are
 * stripped of their solution regions (strip.h), other files (the lab's README.md) are copied.
 *
 * A student's work is never overwritten. LABS/.handout-sums records the sha256 of each file
 * as sync last wrote it; a file whose content no longer has that sum was changed by hand, and
 * sync leaves it alone (and says so, and fails) unless --force is given.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cleanup.h"
#include "digest.h"
#include "fsutil.h"
#include "strip.h"

#define SUMS_FILE ".handout-sums"
#define MAX_FILES 512
#define MAX_FILE_SIZE (4 << 20)

struct entry {
	char path[PATH_MAX]; /* relative: "01-process/process.c" */
	char sum[65];
};

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* The relative paths of the files of solutions/NN-*, sorted. */
static int list_solution_files(const char *dir, struct entry *out, int *out_n, err_t *err)
{
	struct dirent **labs;
	int n_labs = scandir(dir, &labs, NULL, by_name);
	int n = 0;

	if (n_labs < 0)
		return err_sys(err, "read %s", dir);
	for (int i = 0; i < n_labs; i++) {
		const char *lab = labs[i]->d_name;
		if (lab[0] >= '0' && lab[0] <= '9' && lab[1] >= '0' && lab[1] <= '9' && lab[2] == '-') {
			char sub[PATH_MAX];
			struct dirent **files;
			snprintf(sub, sizeof(sub), "%s/%s", dir, lab);
			int n_files = scandir(sub, &files, NULL, by_name);
			for (int j = 0; j < n_files; j++) {
				char full[PATH_MAX];
				struct stat st;
				snprintf(full, sizeof(full), "%s/%s", sub, files[j]->d_name);
				if (stat(full, &st) == 0 && S_ISREG(st.st_mode) && n < MAX_FILES)
					snprintf(out[n++].path, PATH_MAX, "%s/%s", lab, files[j]->d_name);
				free(files[j]);
			}
			free(files);
		}
		free(labs[i]);
	}
	free(labs);
	*out_n = n;
	return 0;
}

/* What the handout twin of solutions file rel must contain. */
static int handout_content(const char *sol_dir, const char *rel, char **out, size_t *out_len, err_t *err)
{
	char path[PATH_MAX];
	_cleanup_free_ char *text = NULL;
	size_t len;

	snprintf(path, sizeof(path), "%s/%s", sol_dir, rel);
	if (fs_read_file(path, MAX_FILE_SIZE, &text, &len, err) < 0)
		return -1;
	const char *dot = strrchr(rel, '.');
	if (dot && (strcmp(dot, ".c") == 0 || strcmp(dot, ".h") == 0)) {
		if (handout_strip(text, len, atoi(rel), out, out_len, err) < 0)
			return err_wrap(err, "%s", path);
		return 0;
	}
	*out = take_ptr(&text);
	*out_len = len;
	return 0;
}

/* The sum recorded for rel in the sums file text, or NULL. */
static const char *recorded_sum(const char *sums, const char *rel, char out[65])
{
	size_t rel_len = strlen(rel);

	for (const char *line = sums; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		if (strlen(line) > 66 && strncmp(line + 66, rel, rel_len) == 0 &&
		    (line[66 + rel_len] == '\n' || line[66 + rel_len] == '\0')) {
			memcpy(out, line, 64);
			out[64] = '\0';
			return out;
		}
	}
	return NULL;
}

static int write_sums(const char *labs_dir, const struct entry *files, int n, char **out_text, err_t *err)
{
	size_t cap = (size_t)n * (PATH_MAX + 70) + 1;
	_cleanup_free_ char *text = malloc(cap);
	size_t len = 0;

	if (!text)
		return err_sys(err, "sums");
	text[0] = '\0';
	for (int i = 0; i < n; i++)
		len += (size_t)snprintf(text + len, cap - len, "%s  %s\n", files[i].sum, files[i].path);
	if (labs_dir) {
		char path[PATH_MAX];
		snprintf(path, sizeof(path), "%s/%s", labs_dir, SUMS_FILE);
		if (fs_write_atomic(path, text, len, 0644, err) < 0)
			return -1;
	}
	if (out_text)
		*out_text = take_ptr(&text);
	return 0;
}

static int sync_labs(const char *sol_dir, const char *labs_dir, int force)
{
	static struct entry files[MAX_FILES];
	int n, refused = 0;
	err_t err;
	char path[PATH_MAX];
	_cleanup_free_ char *sums = NULL;

	if (list_solution_files(sol_dir, files, &n, &err) < 0)
		goto fail;
	snprintf(path, sizeof(path), "%s/%s", labs_dir, SUMS_FILE);
	if (fs_read_file(path, MAX_FILE_SIZE, &sums, NULL, &err) < 0 && err.code != ENOENT)
		goto fail;

	for (int i = 0; i < n; i++) {
		_cleanup_free_ char *want = NULL, *have = NULL;
		size_t want_len, have_len;
		char have_sum[65], old_sum[65];

		if (handout_content(sol_dir, files[i].path, &want, &want_len, &err) < 0)
			goto fail;
		sha256_hex(want, want_len, files[i].sum);
		snprintf(path, sizeof(path), "%s/%s", labs_dir, files[i].path);
		if (fs_read_file(path, MAX_FILE_SIZE, &have, &have_len, &err) == 0) {
			if (have_len == want_len && memcmp(have, want, want_len) == 0)
				continue;
			sha256_hex(have, have_len, have_sum);
			const char *old = recorded_sum(sums ? sums : "", files[i].path, old_sum);
			if (!force && (!old || strcmp(old, have_sum) != 0)) {
				fprintf(stderr, "handout: %s was changed by hand; left as it is (FORCE=1 overwrites it)\n",
					path);
				memcpy(files[i].sum, old ? old : have_sum, 65); /* keep the record as it was */
				refused = 1;
				continue;
			}
		}
		char dir[PATH_MAX];
		snprintf(dir, sizeof(dir), "%s", path);
		*strrchr(dir, '/') = '\0';
		if (fs_mkdir_p(dir, 0755, &err) < 0 || fs_write_atomic(path, want, want_len, 0644, &err) < 0)
			goto fail;
		printf("handout: wrote %s\n", path);
	}
	if (write_sums(labs_dir, files, n, NULL, &err) < 0)
		goto fail;
	return refused;
fail:
	fprintf(stderr, "handout: %s\n", err.msg);
	return 2;
}

static int check_labs(const char *sol_dir, const char *labs_dir)
{
	static struct entry files[MAX_FILES];
	int n, drift = 0;
	err_t err;
	char path[PATH_MAX];

	if (list_solution_files(sol_dir, files, &n, &err) < 0)
		goto fail;
	for (int i = 0; i < n; i++) {
		_cleanup_free_ char *want = NULL, *have = NULL;
		size_t want_len, have_len;

		if (handout_content(sol_dir, files[i].path, &want, &want_len, &err) < 0)
			goto fail;
		sha256_hex(want, want_len, files[i].sum);
		snprintf(path, sizeof(path), "%s/%s", labs_dir, files[i].path);
		if (fs_read_file(path, MAX_FILE_SIZE, &have, &have_len, &err) < 0) {
			fprintf(stderr, "handout: %s: missing (run make labs)\n", path);
			drift = 1;
		} else if (have_len != want_len || memcmp(have, want, want_len) != 0) {
			fprintf(stderr, "handout: %s differs from what solutions/ gives (run make labs)\n", path);
			drift = 1;
		}
	}
	_cleanup_free_ char *want_sums = NULL, *have_sums = NULL;
	if (write_sums(NULL, files, n, &want_sums, &err) < 0)
		goto fail;
	snprintf(path, sizeof(path), "%s/%s", labs_dir, SUMS_FILE);
	if (fs_read_file(path, MAX_FILE_SIZE, &have_sums, NULL, &err) < 0 || strcmp(want_sums, have_sums) != 0) {
		fprintf(stderr, "handout: %s is out of date (run make labs)\n", path);
		drift = 1;
	}
	return drift;
fail:
	fprintf(stderr, "handout: %s\n", err.msg);
	return 2;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && strcmp(argv[1], "sync") == 0)
		return sync_labs(argv[2], argv[3], argc > 4 && strcmp(argv[4], "--force") == 0);
	if (argc == 4 && strcmp(argv[1], "check") == 0)
		return check_labs(argv[2], argv[3]);
	fprintf(stderr, "usage: handout sync SOLUTIONS LABS [--force]\n"
			"       handout check SOLUTIONS LABS\n");
	return 2;
}
