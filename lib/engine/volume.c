/*
 * volume.c - the volume store and a container's mounts (given). Lab 10 mounts them
 * (labs/10-volumes/volumes.c).
 */
#define _GNU_SOURCE
#include "volume.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "events.h"
#include "fsutil.h"
#include "json.h"
#include "lock.h"
#include "log.h"
#include "path.h"
#include "security.h"
#include "timefmt.h"
#include "volumes.h"

/* Docker's mark of a volume made for one container (-v /path, VOLUME): rm -v removes it. */
#define ANONYMOUS_LABEL "com.docker.volume.anonymous"

bool vol_name_valid(const char *name)
{
	size_t len = name ? strlen(name) : 0;

	if (len < 2 || len >= VOL_NAME_MAX)
		return false;
	if (!((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= 'A' && name[0] <= 'Z') || (name[0] >= '0' && name[0] <= '9')))
		return false;
	return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == len;
}

/* ROOT/volumes/NAME, for a valid name. */
static int vol_dir(const char *root, const char *name, char out[PATH_MAX], err_t *err)
{
	if (!vol_name_valid(name))
		return err_msg(err, EINVAL,
			       "\"%s\" includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" "
			       "are allowed",
			       name ? name : "");
	snprintf(out, PATH_MAX, "%s/volumes/%s", root, name);
	return 0;
}

/* The local driver's options: none, type=tmpfs [o=size=...], or type=none o=bind device=DIR. */
static int check_options(const json_t *opts, err_t *err)
{
	const char *key, *type = NULL, *device = NULL, *o = NULL;
	json_t *value;

	if (opts && !json_is_object(opts))
		return err_msg(err, EINVAL, "volume options are not an object");
	json_object_foreach((json_t *)opts, key, value) {
		if (!json_is_string(value))
			return err_msg(err, EINVAL, "volume option %s is not a string", key);
		if (strcmp(key, "type") == 0)
			type = json_string_value(value);
		else if (strcmp(key, "device") == 0)
			device = json_string_value(value);
		else if (strcmp(key, "o") == 0)
			o = json_string_value(value);
		else
			return err_msg(err, EINVAL, "invalid option key: \"%s\" (the local driver takes type, device and o)", key);
	}
	if (!type && !device && !o)
		return 0;
	if (!type)
		return err_msg(err, EINVAL, "missing required option: \"type\"");
	if (strcmp(type, "tmpfs") == 0) {
		if (o && strspn(o, "abcdefghijklmnopqrstuvwxyz0123456789=,_") != strlen(o))
			return err_msg(err, EINVAL, "tmpfs options \"%s\": only size=, mode=, uid=, gid=, nr_inodes=", o);
		return 0;
	}
	if (strcmp(type, "none") == 0 && o && strstr(o, "bind")) {
		struct stat st;
		if (!device || device[0] != '/')
			return err_msg(err, EINVAL, "a bind volume needs device=/absolute/host/directory");
		if (stat(device, &st) < 0 || !S_ISDIR(st.st_mode))
			return err_msg(err, ENOENT, "failed to mount local volume: %s: no such directory", device);
		return 0;
	}
	return err_msg(err, EOPNOTSUPP,
		       "type \"%s\": minidock's local driver mounts type=tmpfs and type=none,o=bind (no NFS or "
		       "block device in the VM)",
		       type);
}

int vol_create(const char *root, const char *name, const json_t *opts, const json_t *labels, bool anonymous,
	       char out_name[VOL_NAME_MAX], bool *out_made, err_t *err)
{
	char dir[PATH_MAX], tmp[PATH_MAX + 64], data[PATH_MAX + 80], now[TIME_RFC3339_LEN];
	_cleanup_close_ int lock = -1;

	*out_made = false;
	if (!name) {
		unsigned char bytes[32];
		if (getrandom(bytes, sizeof(bytes), 0) != (ssize_t)sizeof(bytes))
			return err_sys(err, "getrandom");
		for (size_t i = 0; i < sizeof(bytes); i++)
			snprintf(out_name + 2 * i, 3, "%02x", bytes[i]);
	} else {
		snprintf(out_name, VOL_NAME_MAX, "%s", name);
	}
	if (vol_dir(root, out_name, dir, err) < 0 || check_options(opts, err) < 0)
		return -1;
	if (labels && !json_is_object(labels))
		return err_msg(err, EINVAL, "volume labels are not an object");
	if (lock_state(root, &lock, err) < 0)
		return -1;
	if (access(dir, F_OK) == 0)
		return 0; /* there already: kept as it is */
	snprintf(tmp, sizeof(tmp), "%s/volumes/.new-%s-%d", root, out_name, (int)getpid());
	snprintf(data, sizeof(data), "%s/_data", tmp);
	_cleanup_json_ json_t *all_labels = labels ? json_deep_copy(labels) : json_object();
	if (anonymous)
		json_object_set_new(all_labels, ANONYMOUS_LABEL, json_string(""));
	time_now_rfc3339(now);
	_cleanup_json_ json_t *doc = json_pack("{s:s, s:s, s:s, s:O, s:O}", "Name", out_name, "Driver", "local",
						"CreatedAt", now, "Labels", all_labels, "Options",
						opts ? opts : json_null());
	_cleanup_free_ char *text = doc ? json_dumps(doc, JSON_INDENT(2)) : NULL;
	if (!text)
		return err_msg(err, ENOMEM, "out of memory");
	char file[PATH_MAX + 96];
	snprintf(file, sizeof(file), "%s/volume.json", tmp);
	err_t ignored;
	if (fs_mkdir_p(data, 0755, err) < 0 || fs_write_atomic(file, text, strlen(text), 0644, err) < 0 ||
	    rename(tmp, dir) < 0) {
		if (!err->code)
			err_sys(err, "volume %s", out_name);
		fs_remove_tree(tmp, &ignored);
		return -1;
	}
	*out_made = true;
	_cleanup_json_ json_t *attrs = json_pack("{s:s}", "driver", "local");
	ev_emit(root, "volume", "create", out_name, attrs);
	return 0;
}

/* An object whose values are all strings, or null/absent. */
static bool strings_object(const json_t *v)
{
	const char *key;
	json_t *value;

	if (!v || json_is_null(v))
		return true;
	if (!json_is_object(v))
		return false;
	json_object_foreach((json_t *)v, key, value) {
		if (!json_is_string(value))
			return false;
	}
	return true;
}

int vol_load(const char *root, const char *name, json_t **out, err_t *err)
{
	char dir[PATH_MAX], file[PATH_MAX + 16];
	json_t *doc;

	if (vol_dir(root, name, dir, err) < 0)
		return -1;
	snprintf(file, sizeof(file), "%s/volume.json", dir);
	if (json_read_file(file, 1 << 20, &doc, err) < 0)
		return err->code == ENOENT ? err_msg(err, ENOENT, "no such volume: %s", name) : -1;
	const char *doc_name = json_str(doc, "Name");
	if (!doc_name || strcmp(doc_name, name) != 0 || !json_str(doc, "Driver") || !json_str(doc, "CreatedAt") ||
	    !strings_object(json_object_get(doc, "Labels")) || !strings_object(json_object_get(doc, "Options"))) {
		json_decref(doc);
		return err_msg(err, EBADMSG, "volume %s: %s is damaged (Name, Driver, CreatedAt, Labels, Options)", name,
			       file);
	}
	char mountpoint[PATH_MAX + 16];
	snprintf(mountpoint, sizeof(mountpoint), "%s/_data", dir);
	json_object_set_new(doc, "Mountpoint", json_string(mountpoint));
	json_object_set_new(doc, "Scope", json_string("local"));
	if (!json_is_object(json_object_get(doc, "Labels")))
		json_object_set_new(doc, "Labels", json_object());
	*out = doc;
	return 0;
}

/* By name, for `volume ls`. */
static int by_name(const void *a, const void *b)
{
	return strcmp(json_str(*(json_t *const *)a, "Name"), json_str(*(json_t *const *)b, "Name"));
}

int vol_list(const char *root, json_t **out, err_t *err)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/volumes", root);
	DIR *dir = opendir(path);
	struct dirent *e;
	json_t *list = json_array();
	size_t n = 0, room = 0;
	json_t **items = NULL;

	if (!dir && errno != ENOENT) {
		json_decref(list);
		return err_sys(err, "open %s", path);
	}
	while (dir && (e = readdir(dir)) != NULL) {
		json_t *doc;
		err_t why;
		if (!vol_name_valid(e->d_name))
			continue; /* ".", "..", a volume being made */
		if (vol_load(root, e->d_name, &doc, &why) < 0) {
			log_warn("%s", why.msg);
			continue;
		}
		if (n == room) {
			room = room ? 2 * room : 16;
			json_t **more = realloc(items, room * sizeof(*items));
			if (!more)
				break;
			items = more;
		}
		items[n++] = doc;
	}
	if (dir)
		closedir(dir);
	qsort(items, n, sizeof(*items), by_name);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(list, items[i]);
	free(items);
	*out = list;
	return 0;
}

int vol_delete(const char *root, const char *name, err_t *err)
{
	char dir[PATH_MAX], gone[PATH_MAX + 32];

	if (vol_dir(root, name, dir, err) < 0)
		return -1;
	if (access(dir, F_OK) < 0)
		return err_msg(err, ENOENT, "no such volume: %s", name);
	/* Renamed out of the way first: a volume half removed is no volume. */
	snprintf(gone, sizeof(gone), "%s/volumes/.gone-%s-%d", root, name, (int)getpid());
	if (rename(dir, gone) < 0)
		return err_sys(err, "remove volume %s", name);
	_cleanup_json_ json_t *attrs = json_pack("{s:s}", "driver", "local");
	ev_emit(root, "volume", "destroy", name, attrs);
	return fs_remove_tree(gone, err);
}

bool vol_is_anonymous(const json_t *vol)
{
	return json_object_get(json_object_get(vol, "Labels"), ANONYMOUS_LABEL) != NULL;
}

/* --- a container's mounts ------------------------------------------------------------------------ */

/* What is being made: the Mounts so far, and the volumes made for them. */
struct making {
	const char *root;
	bool privileged; /* --privileged: a bind of / or of the state is allowed */
	json_t *mounts;
	json_t *made; /* names of the volumes this call made, removed again on failure */
};

/* A destination: absolute, clean, not "/"; cleaned into out. */
static int destination(const char *text, char out[PATH_MAX], err_t *err)
{
	if (!text || text[0] != '/')
		return err_msg(err, EINVAL, "invalid mount config: the destination \"%s\" is not an absolute path",
			       text ? text : "");
	if (path_clean(text, out, PATH_MAX, err) < 0)
		return -1;
	if (strcmp(out, "/") == 0)
		return err_msg(err, EINVAL, "invalid mount config: the destination can't be '/'");
	return 0;
}

/* Is there a mount at dest already? */
static bool taken(const struct making *mk, const char *dest)
{
	size_t i;
	json_t *m;

	json_array_foreach(mk->mounts, i, m) {
		if (strcmp(json_str(m, "Destination"), dest) == 0)
			return true;
	}
	return false;
}

/* Add a mount at dest, refusing a second one there. */
static int add(struct making *mk, json_t *mount, err_t *err)
{
	if (taken(mk, json_str(mount, "Destination"))) {
		err_msg(err, EINVAL, "Duplicate mount point: %s", json_str(mount, "Destination"));
		json_decref(mount);
		return -1;
	}
	json_array_append_new(mk->mounts, mount);
	return 0;
}

/* A volume mount: name NULL makes an anonymous one. */
static int add_volume(struct making *mk, const char *name, const char *dest, bool rw, const char *mode, bool nocopy,
		      err_t *err)
{
	char made_name[VOL_NAME_MAX], dir[PATH_MAX];
	bool made;

	if (vol_create(mk->root, name, NULL, NULL, name == NULL, made_name, &made, err) < 0)
		return -1;
	if (made)
		json_array_append_new(mk->made, json_string(made_name));
	vol_dir(mk->root, made_name, dir, err);
	json_t *m = json_pack("{s:s, s:s, s:s+, s:s, s:s, s:s, s:b, s:s}", "Type", "volume", "Name", made_name, "Source",
			      dir, "/_data", "Destination", dest, "Driver", "local", "Mode", mode, "RW", rw, "Propagation", "");
	if (m && nocopy)
		json_object_set_new(m, "NoCopy", json_true());
	return m ? add(mk, m, err) : err_msg(err, ENOMEM, "out of memory");
}

/* May host path real (resolved) be bound into a container? Not "/" nor minidock's state, unless
 * privileged. Checked at create, and again at each start (a state file is not trusted). */
static int host_source_allowed(const char *root, const char *real, bool privileged, err_t *err)
{
	char state[PATH_MAX];

	if (privileged)
		return 0;
	if (!realpath(root, state))
		return err_sys(err, "state directory %s", root);
	size_t len = strlen(state);
	if (strcmp(real, "/") == 0)
		return err_msg(err, EPERM,
			       "bind source %s is the host's root: refused (mount what you need of it, or ask with "
			       "--privileged)",
			       real);
	if (strncmp(real, state, len) == 0 && (real[len] == '/' || real[len] == '\0'))
		return err_msg(err, EPERM, "bind source %s is inside minidock's state (%s): refused (--privileged allows it)",
			       real, state);
	return 0;
}

/* A bind mount of host path source: "/" and minidock's state are refused; a missing source is
 * made as a directory when create (-v), an error otherwise (--mount). */
static int add_bind(struct making *mk, const char *source, const char *dest, bool rw, const char *mode,
		    const char *propagation, bool create, err_t *err)
{
	char clean[PATH_MAX], real[PATH_MAX];
	struct stat st;

	if (path_clean(source, clean, sizeof(clean), err) < 0)
		return -1;
	if (stat(clean, &st) < 0) {
		if (!create)
			return err_msg(err, ENOENT,
				       "invalid mount config for type \"bind\": bind source path does not exist: %s", clean);
		if (fs_mkdir_p(clean, 0755, err) < 0)
			return err_wrap(err, "bind source %s", clean);
	}
	if (!realpath(clean, real))
		return err_sys(err, "bind source %s", clean);
	if (host_source_allowed(mk->root, real, mk->privileged, err) < 0)
		return -1;
	/* Name and Driver are empty, as Docker's templates show them. */
	json_t *m = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:s}", "Type", "bind", "Name", "", "Source", real,
			      "Destination", dest, "Driver", "", "Mode", mode, "RW", rw, "Propagation", propagation);
	return m ? add(mk, m, err) : err_msg(err, ENOMEM, "out of memory");
}

/* Docker's propagations: minidock makes every mount of a container private (lab 1 makes its
 * mount namespace private, lab 2 its old root a slave), so only those two are honest. */
static const char *const propagations[] = { "private", "rprivate", NULL };

static bool one_of(const char *word, const char *const *words)
{
	for (; *words; words++)
		if (strcmp(word, *words) == 0)
			return true;
	return false;
}

/* -v SOURCE:DEST[:MODE] or -v DEST (an anonymous volume). */
static int parse_bind(struct making *mk, const char *spec, err_t *err)
{
	char copy[PATH_MAX * 2], dest[PATH_MAX];
	char *parts[4] = { NULL };
	size_t n = 0;

	if (strlen(spec) >= sizeof(copy))
		return err_msg(err, ENAMETOOLONG, "-v %.40s...: too long", spec);
	snprintf(copy, sizeof(copy), "%s", spec);
	/* Split at each ':' (strsep keeps empty fields: ":/x" is two, the first empty). */
	for (char *rest = copy, *p; (p = strsep(&rest, ":")) != NULL;) {
		if (n == 3 || !*p)
			return err_msg(err, EINVAL, "invalid volume specification: '%s'", spec);
		parts[n++] = p;
	}
	if (n == 1) {
		if (destination(parts[0], dest, err) < 0)
			return -1;
		return add_volume(mk, NULL, dest, true, "", false, err);
	}
	if (destination(parts[1], dest, err) < 0)
		return err_wrap(err, "invalid volume specification: '%s'", spec);
	bool rw = true, nocopy = false;
	char mode[64] = "", propagation[16] = "rprivate";
	if (n == 3) {
		snprintf(mode, sizeof(mode), "%s", parts[2]);
		char words[64];
		snprintf(words, sizeof(words), "%s", parts[2]);
		for (char *save = NULL, *w = strtok_r(words, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
			if (strcmp(w, "ro") == 0)
				rw = false;
			else if (strcmp(w, "nocopy") == 0)
				nocopy = true;
			else if (one_of(w, propagations))
				snprintf(propagation, sizeof(propagation), "%s", w);
			else if (strstr(w, "shared") || strstr(w, "slave"))
				return err_msg(err, EINVAL, "%s: minidock keeps every mount private (rprivate)", w);
			else if (strcmp(w, "rw") != 0 && strcmp(w, "z") != 0 && strcmp(w, "Z") != 0)
				return err_msg(err, EINVAL, "invalid mode: %s", parts[2]);
		}
	}
	if (parts[0][0] == '/')
		return add_bind(mk, parts[0], dest, rw, mode, propagation, true, err);
	if (!vol_name_valid(parts[0]))
		return err_msg(err, EINVAL,
			       "\"%s\" includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" "
			       "are allowed. If you intended to pass a host directory, use absolute path",
			       parts[0]);
	return add_volume(mk, parts[0], dest, rw, mode, nocopy, err);
}

/* --mount type=volume|bind|tmpfs,source=,target=,readonly,volume-nocopy,tmpfs-size=,tmpfs-mode=,
 * bind-propagation= (Docker's keys and their aliases). */
static int parse_mount(struct making *mk, const char *spec, err_t *err)
{
	char copy[PATH_MAX * 2], dest[PATH_MAX], tmpfs[96] = "";
	const char *type = "volume", *source = NULL, *target = NULL, *propagation = "rprivate";
	bool readonly = false, nocopy = false;
	int64_t size = 0;
	unsigned long tmode = 0;

	if (strlen(spec) >= sizeof(copy))
		return err_msg(err, ENAMETOOLONG, "--mount %.40s...: too long", spec);
	snprintf(copy, sizeof(copy), "%s", spec);
	for (char *save = NULL, *f = strtok_r(copy, ",", &save); f; f = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(f, '=');
		const char *value = eq ? eq + 1 : NULL;
		if (eq)
			*eq = '\0';
		bool yes = !value || strcmp(value, "true") == 0 || strcmp(value, "1") == 0;
		bool no = value && (strcmp(value, "false") == 0 || strcmp(value, "0") == 0);
		if (strcmp(f, "readonly") == 0 || strcmp(f, "ro") == 0) {
			if (!yes && !no)
				return err_msg(err, EINVAL, "invalid value for %s: %s", f, value);
			readonly = yes;
			continue;
		}
		if (strcmp(f, "volume-nocopy") == 0) {
			if (!yes && !no)
				return err_msg(err, EINVAL, "invalid value for volume-nocopy: %s", value);
			nocopy = yes;
			continue;
		}
		if (!value)
			return err_msg(err, EINVAL, "invalid field '%s' must be a key=value pair", f);
		if (strcmp(f, "type") == 0)
			type = value;
		else if (strcmp(f, "source") == 0 || strcmp(f, "src") == 0)
			source = value;
		else if (strcmp(f, "target") == 0 || strcmp(f, "destination") == 0 || strcmp(f, "dst") == 0)
			target = value;
		else if (strcmp(f, "bind-propagation") == 0 && one_of(value, propagations))
			propagation = value;
		else if (strcmp(f, "bind-propagation") == 0)
			return err_msg(err, EINVAL, "bind-propagation=%s: minidock keeps every mount private (rprivate)", value);
		else if (strcmp(f, "tmpfs-size") == 0 && parse_size(value, &size) == 0 && size > 0)
			;
		else if (strcmp(f, "tmpfs-mode") == 0 && *value && strspn(value, "01234567") == strlen(value) &&
			 (tmode = strtoul(value, NULL, 8)) <= 07777)
			;
		else if (strcmp(f, "volume-driver") == 0 && strcmp(value, "local") == 0)
			;
		else
			return err_msg(err, EINVAL, "unexpected key '%s' in '%s'", f, spec);
	}
	if (!target)
		return err_msg(err, EINVAL, "invalid argument \"%s\" for \"--mount\" flag: target is required", spec);
	if (destination(target, dest, err) < 0)
		return -1;
	if (strcmp(type, "bind") == 0) {
		if (!source)
			return err_msg(err, EINVAL, "invalid mount config for type \"bind\": field Source must not be empty");
		if (source[0] != '/')
			return err_msg(err, EINVAL, "invalid mount config for type \"bind\": invalid mount path: '%s' mount path "
				       "must be absolute", source);
		return add_bind(mk, source, dest, !readonly, "", propagation, false, err);
	}
	if (strcmp(type, "volume") == 0) {
		if (source && !vol_name_valid(source))
			return err_msg(err, EINVAL, "invalid mount config for type \"volume\": invalid name \"%s\"", source);
		return add_volume(mk, source, dest, !readonly, "", nocopy, err);
	}
	if (strcmp(type, "tmpfs") != 0)
		return err_msg(err, EINVAL, "invalid mount type \"%s\": volume, bind or tmpfs", type);
	if (source)
		return err_msg(err, EINVAL, "invalid mount config for type \"tmpfs\": field Source must not be specified");
	int len = 0;
	if (size)
		len += snprintf(tmpfs + len, sizeof(tmpfs) - (size_t)len, "size=%lld", (long long)size);
	snprintf(tmpfs + len, sizeof(tmpfs) - (size_t)len, "%smode=%lo", len ? "," : "", tmode ? tmode : 01777);
	json_t *m = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:s, s:s}", "Type", "tmpfs", "Name", "", "Source", "",
			      "Destination", dest, "Driver", "", "Mode", "", "RW", !readonly, "Propagation", "", "TmpfsOptions",
			      tmpfs);
	return m ? add(mk, m, err) : err_msg(err, ENOMEM, "out of memory");
}

int vol_mounts_make(const char *root, char *const *binds, char *const *mounts, const json_t *inherited,
		    const json_t *image_volumes, bool privileged, json_t **out, err_t *err)
{
	struct making mk = { .root = root, .privileged = privileged, .mounts = json_array(), .made = json_array() };
	int rc = mk.mounts && mk.made ? 0 : err_msg(err, ENOMEM, "out of memory");

	for (size_t i = 0; rc == 0 && binds && binds[i]; i++)
		rc = parse_bind(&mk, binds[i], err);
	for (size_t i = 0; rc == 0 && mounts && mounts[i]; i++)
		rc = parse_mount(&mk, mounts[i], err);
	/* --volumes-from's, and the image's VOLUME: where -v and --mount put nothing (as Docker). */
	size_t n;
	json_t *from;
	json_array_foreach((json_t *)inherited, n, from) {
		if (rc == 0 && !taken(&mk, json_str(from, "Destination")))
			rc = add(&mk, json_deep_copy(from), err);
	}
	const char *path;
	json_t *ignored_value;
	json_object_foreach((json_t *)image_volumes, path, ignored_value) {
		char dest[PATH_MAX];
		if (rc < 0 || destination(path, dest, err) < 0) {
			rc = -1;
			break;
		}
		if (!taken(&mk, dest))
			rc = add_volume(&mk, NULL, dest, true, "", false, err);
	}
	if (rc < 0) {
		size_t i;
		json_t *name;
		json_array_foreach(mk.made, i, name) {
			err_t ignored;
			vol_delete(root, json_string_value(name), &ignored);
		}
		json_decref(mk.mounts);
	} else {
		*out = mk.mounts;
	}
	json_decref(mk.made);
	return rc;
}

/* Deeper destinations after shallower ones: /data before /data/logs. */
static size_t depth(const char *path)
{
	size_t n = 0;
	for (; *path; path++)
		n += *path == '/';
	return n;
}

static int by_depth(const void *a, const void *b)
{
	size_t x = depth(((const struct vol_mount *)a)->target), y = depth(((const struct vol_mount *)b)->target);
	return (x > y) - (x < y);
}

int vol_mounts_of(const char *root, const json_t *doc, struct vol_mount **out, size_t *out_n, err_t *err)
{
	const json_t *mounts = json_object_get(doc, "Mounts");
	size_t n = json_array_size(mounts), i;
	json_t *m;

	*out = NULL;
	*out_n = 0;
	if (mounts && !json_is_null(mounts) && !json_is_array(mounts))
		return err_msg(err, EBADMSG, "Mounts is not a list");
	if (n == 0)
		return 0;
	bool privileged = json_is_true(json_object_get(json_object_get(doc, "HostConfig"), "Privileged"));
	/* One block: the mounts, then room for each one's source path. */
	struct vol_mount *list = calloc(n, sizeof(*list) + PATH_MAX);
	char *paths = (char *)(list + n);
	if (!list)
		return err_msg(err, ENOMEM, "out of memory");
	json_array_foreach(mounts, i, m) {
		struct vol_mount *v = &list[i];
		char *source = paths + i * PATH_MAX, clean[PATH_MAX];
		const char *type = json_str(m, "Type"), *dest = json_str(m, "Destination");
		const json_t *rw = json_object_get(m, "RW");
		if (!type || !dest || !json_is_boolean(rw) || destination(dest, clean, err) < 0 || strcmp(clean, dest) != 0) {
			free(list);
			return err_msg(err, EBADMSG, "Mounts[%zu] is damaged (Type, Destination, RW)", i);
		}
		v->target = dest;
		v->readonly = !json_is_true(rw);
		const char *prop = json_str(m, "Propagation");
		if (prop && *prop && strcmp(prop, "private") != 0 && strcmp(prop, "rprivate") != 0) {
			free(list);
			return err_msg(err, EBADMSG, "Mounts[%zu]: Propagation \"%s\" (only rprivate)", i, prop);
		}
		if (strcmp(type, "bind") == 0) {
			/* The source as create resolved it: absolute, canonical, and still allowed. */
			const char *src = json_str(m, "Source");
			char real[PATH_MAX];
			if (src && src[0] == '/' && !realpath(src, real)) {
				free(list);
				return err_sys(err, "bind source %s", src);
			}
			if (!src || src[0] != '/' || strcmp(real, src) != 0) {
				free(list);
				return err_msg(err, EBADMSG, "Mounts[%zu]: a bind whose Source is not a resolved host path", i);
			}
			if (host_source_allowed(root, real, privileged, err) < 0) {
				free(list);
				return -1;
			}
			v->type = VOL_BIND;
			v->source = src;
		} else if (strcmp(type, "tmpfs") == 0) {
			const char *opts = json_str(m, "TmpfsOptions");
			if (opts && strspn(opts, "abcdefghijklmnopqrstuvwxyz0123456789=,") != strlen(opts)) {
				free(list);
				return err_msg(err, EBADMSG, "Mounts[%zu]: bad TmpfsOptions", i);
			}
			v->type = VOL_TMPFS;
			v->tmpfs_options = opts;
		} else if (strcmp(type, "volume") == 0) {
			/* The source comes from the name, never from the file. A volume removed meanwhile is
			 * made again, empty (as Docker makes a named volume on use). */
			const char *name = json_str(m, "Name");
			char made[VOL_NAME_MAX], dir[PATH_MAX];
			bool was_made;
			json_t *vol = NULL;
			if (vol_dir(root, name, dir, err) < 0 || vol_create(root, name, NULL, NULL, false, made, &was_made, err) < 0 ||
			    vol_load(root, name, &vol, err) < 0) {
				free(list);
				return -1;
			}
			/* Its options name a device (a host directory): checked as at create. */
			const json_t *opts = json_object_get(vol, "Options");
			const char *vtype = json_str(opts, "type");
			if (check_options(json_is_object(opts) ? opts : NULL, err) < 0) {
				json_decref(vol);
				free(list);
				return err_wrap(err, "volume %s", name);
			}
			v->type = VOL_VOLUME;
			v->copy_up = !json_is_true(json_object_get(m, "NoCopy"));
			if (vtype && strcmp(vtype, "tmpfs") == 0) {
				/* A tmpfs of its own in each container (Docker's is one, shared while in use). */
				snprintf(source, PATH_MAX, "%s", json_str(opts, "o") ? json_str(opts, "o") : "");
				v->type = VOL_TMPFS;
				v->tmpfs_options = source;
			} else if (vtype && strcmp(vtype, "none") == 0) {
				snprintf(source, PATH_MAX, "%s", json_str(opts, "device"));
				v->source = source;
			} else {
				snprintf(source, PATH_MAX, "%s/_data", dir);
				v->source = source;
			}
			json_decref(vol);
		} else {
			free(list);
			return err_msg(err, EBADMSG, "Mounts[%zu]: unknown Type \"%s\"", i, type);
		}
	}
	qsort(list, n, sizeof(*list), by_depth);
	*out = list;
	*out_n = n;
	return 0;
}
