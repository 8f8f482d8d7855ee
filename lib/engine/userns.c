/*
 * userns.c - user namespaces (given): `--userns-remap`, the ranges of /etc/subuid, and the image
 * layers shifted into them. Lab 5's userns_enter() moves a container's PID 1 into its namespace.
 *
 * In a user namespace, uid 0 is root only over what the namespace owns: with the map
 * "0 100000 65536", the container's root is uid 100000 on the host, a nobody for the host's
 * files, its clock, its devices, even if it escapes its root directory or holds every
 * capability. The cost is ownership. An image's files belong to host uid 0, which the namespace
 * does not map: seen from inside they belong to nobody, and root in the container could write
 * none of them. So, as Docker does under /var/lib/docker/100000.100000, each layer is copied
 * once per remapping with every owner moved up by 100000 (ROOT/remap/100000.100000/layers/),
 * and the container's upper directory belongs to host uid 100000. Bind mounts from the host
 * and `cp` into the container see host ids: the reasons Docker leaves this off by default.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "fsutil.h"
#include "security.h"
#include "store.h"

/* --- the ranges ------------------------------------------------------------------------------- */

/* The first "name:start:count" line of file (/etc/subuid or /etc/subgid) for name. */
static int subid_range(const char *file, const char *name, uint32_t *start, uint32_t *count, err_t *err)
{
	_cleanup_fclose_ FILE *f = fopen(file, "re");
	char line[512];
	size_t len = strlen(name);

	if (!f && errno != ENOENT)
		return err_sys(err, "open %s", file);
	while (f && fgets(line, sizeof(line), f)) {
		unsigned long long s, c;
		char tail;
		if (strncmp(line, name, len) != 0 || line[len] != ':')
			continue;
		if (sscanf(line + len + 1, "%llu:%llu%c", &s, &c, &tail) < 2 || (tail != '\n' && tail != '\0'))
			return err_msg(err, EINVAL, "%s: a bad line for %s: %s", file, name, line);
		if (s == 0)
			return err_msg(err, EINVAL, "%s: %s's range starts at 0: container root would be host root", file, name);
		if (c == 0 || s + c > UINT32_MAX)
			return err_msg(err, EINVAL, "%s: %s's range %llu:%llu is empty or beyond 2^32", file, name, s, c);
		*start = (uint32_t)s;
		*count = (uint32_t)c;
		return 0;
	}
	return err_msg(err, ENOENT, "no range for %s in %s: add one, as `echo %s:100000:65536 >> %s`", name, file, name,
		       file);
}

int userns_lookup(const char *spec, struct userns_map *out, err_t *err)
{
	char user[64], group[64];
	const char *given = spec;

	/* "default": Docker's own user, dockremap. */
	if (strcmp(spec, "default") == 0)
		spec = "dockremap";
	const char *colon = strchr(spec, ':');
	size_t len = colon ? (size_t)(colon - spec) : strlen(spec);
	if (len == 0 || len >= sizeof(user) || (colon && (!colon[1] || strlen(colon + 1) >= sizeof(group))))
		return err_msg(err, EINVAL, "--userns-remap \"%s\": default, USER or USER:GROUP", spec);
	snprintf(user, sizeof(user), "%.*s", (int)len, spec);
	snprintf(group, sizeof(group), "%s", colon ? colon + 1 : user);
	for (const char *p = spec; *p; p++)
		if (*p == '/' || *p == '\n')
			return err_msg(err, EINVAL, "--userns-remap \"%s\": not a user name", spec);
	uint32_t uid_count, gid_count;
	if (subid_range("/etc/subuid", user, &out->uid, &uid_count, err) < 0 ||
	    subid_range("/etc/subgid", group, &out->gid, &gid_count, err) < 0)
		return err_wrap(err, "--userns-remap %s", given);
	/* One count for both: a file's uid and gid are shifted alike. */
	out->count = uid_count < gid_count ? uid_count : gid_count;
	return 0;
}

/* HostConfig.UsernsRemap, minidock's own (Docker's is the daemon's): null, or {"Name": USER,
 * "Uid": N, "Gid": N, "Size": N}, as create resolved it from /etc/subuid and /etc/subgid. */
int userns_from_config(const json_t *host_config, struct userns_map *out, err_t *err)
{
	const json_t *remap = json_object_get(host_config, "UsernsRemap");
	int64_t v[3];
	static const char *const keys[] = { "Uid", "Gid", "Size" };

	*out = (struct userns_map){ 0 };
	if (!remap || json_is_null(remap))
		return 0;
	if (!json_is_object(remap))
		return err_msg(err, EBADMSG, "HostConfig.UsernsRemap is not an object");
	for (size_t i = 0; i < 3; i++) {
		const json_t *value = json_object_get(remap, keys[i]);
		if (!json_is_integer(value))
			return err_msg(err, EBADMSG, "HostConfig.UsernsRemap.%s is not an integer", keys[i]);
		v[i] = (int64_t)json_integer_value(value);
		if (v[i] < 1 || v[i] > UINT32_MAX)
			return err_msg(err, EBADMSG, "HostConfig.UsernsRemap.%s %lld: from 1 to 2^32-1", keys[i], (long long)v[i]);
	}
	if (v[0] + v[2] > UINT32_MAX || v[1] + v[2] > UINT32_MAX)
		return err_msg(err, EBADMSG, "HostConfig.UsernsRemap: the range goes beyond 2^32");
	*out = (struct userns_map){ .uid = (uint32_t)v[0], .gid = (uint32_t)v[1], .count = (uint32_t)v[2] };
	return 0;
}

/* --- becoming root of the namespace ----------------------------------------------------------- */

int userns_become_root(err_t *err)
{
	/* The group first: once the uid changed, setting groups needs a capability we keep anyway,
	 * but this is the order that always works. */
	if (setresgid(0, 0, 0) < 0)
		return err_sys(err, "setresgid 0 in the user namespace");
	if (setgroups(0, NULL) < 0)
		return err_sys(err, "setgroups in the user namespace");
	if (setresuid(0, 0, 0) < 0)
		return err_sys(err, "setresuid 0 in the user namespace");
	return 0;
}

int userns_join(err_t *err)
{
	/* After setns(CLONE_NEWNS) "/proc" is the container's, where PID 1 is the container's. */
	_cleanup_close_ int fd = open("/proc/1/ns/user", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_sys(err, "open the container's user namespace (/proc/1/ns/user)");
	if (setns(fd, CLONE_NEWUSER) < 0)
		return err_sys(err, "join the container's user namespace");
	return userns_become_root(err);
}

int userns_own(const char *path, const struct userns_map *m, err_t *err)
{
	if (m->count && lchown(path, m->uid, m->gid) < 0)
		return err_sys(err, "chown %s to the container's root (%u:%u)", path, (unsigned)m->uid, (unsigned)m->gid);
	return 0;
}

/* --- layers shifted into the range -------------------------------------------------------------- */

/* ROOT/remap/UID.GID: a store of its own for the remapping (its images.json is the store's). */
static int remap_root(const char *root, const struct userns_map *m, char out[PATH_MAX], err_t *err)
{
	char layers[PATH_MAX + 16];

	snprintf(out, PATH_MAX, "%s/remap/%u.%u", root, (unsigned)m->uid, (unsigned)m->gid);
	snprintf(layers, sizeof(layers), "%s/layers", out);
	if (fs_mkdir_p(layers, 0700, err) < 0)
		return -1;
	char link[PATH_MAX + 16];
	snprintf(link, sizeof(link), "%s/images.json", out);
	if (symlink("../../images.json", link) < 0 && errno != EEXIST)
		return err_sys(err, "symlink %s", link);
	return 0;
}

int userns_layers(const char *root, const char *image, const struct userns_map *m, char out_root[PATH_MAX],
		  err_t *err)
{
	_cleanup_json_ json_t *store = NULL;
	size_t i;
	json_t *layer;

	if (remap_root(root, m, out_root, err) < 0 || store_read(root, &store, err) < 0)
		return -1;
	const json_t *layers = json_object_get(json_object_get(json_object_get(store, "images"), image), "Layers");
	if (!json_is_array(layers))
		return err_msg(err, ENOENT, "image %.12s: not in the store", image);
	json_array_foreach(layers, i, layer) {
		char from[PATH_MAX], to[PATH_MAX], tmp[PATH_MAX + 32];
		if (store_layer_path(root, json_string_value(layer), from, sizeof(from), err) < 0 ||
		    store_layer_path(out_root, json_string_value(layer), to, sizeof(to), err) < 0)
			return -1;
		if (access(to, F_OK) == 0)
			continue; /* shifted already, by an earlier container */
		/* Copied aside, then renamed into place: a layer is there whole or not at all. */
		snprintf(tmp, sizeof(tmp), "%s.%d.tmp", to, (int)getpid());
		err_t ignored;
		fs_remove_tree(tmp, &ignored);
		const struct fs_ids ids = { .uid = m->uid, .gid = m->gid, .count = m->count };
		_cleanup_close_ int src = open(from, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		int rc = src < 0 ? err_sys(err, "layer %s", from) : 0;
		if (rc == 0 && mkdir(tmp, 0700) < 0)
			rc = err_sys(err, "mkdir %s", tmp);
		_cleanup_close_ int dst = rc == 0 ? open(tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
		if (rc == 0 && dst < 0)
			rc = err_sys(err, "open %s", tmp);
		if (rc == 0)
			rc = fs_copy_tree(src, dst, &ids, err);
		/* Another container may have finished the same layer first: its copy is as good. */
		if (rc == 0 && rename(tmp, to) < 0 && errno != ENOTEMPTY && errno != EEXIST)
			rc = err_sys(err, "rename %s", tmp);
		fs_remove_tree(tmp, &ignored);
		if (rc < 0)
			return err_wrap(err, "layer %.19s shifted for --userns-remap", json_string_value(layer));
	}
	return 0;
}

void userns_forget_layer(const char *root, const char *diff_id)
{
	char path[PATH_MAX];
	struct dirent *e;

	snprintf(path, sizeof(path), "%s/remap", root);
	DIR *dir = opendir(path);
	while (dir && (e = readdir(dir)) != NULL) {
		unsigned uid, gid;
		char end;
		char base[PATH_MAX], layer[PATH_MAX];
		/* Only the names userns_layers() makes: UID.GID. */
		if (sscanf(e->d_name, "%u.%u%c", &uid, &gid, &end) != 2)
			continue;
		snprintf(base, sizeof(base), "%s/%s", path, e->d_name);
		err_t ignored;
		if (store_layer_path(base, diff_id, layer, sizeof(layer), &ignored) == 0)
			fs_remove_tree(layer, &ignored);
	}
	if (dir)
		closedir(dir);
}
