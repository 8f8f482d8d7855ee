/*
 * container.c - the container store: ROOT/containers/ID/container.json and its directory.
 *
 * Three rules keep it truthful when processes die at any instant (container.h tells why):
 *   - a container appears whole or not at all: it is made in ROOT/containers/.new-ID and
 *     renamed to ID, and removed by renaming it to .rm-ID before deleting the tree, so a
 *     `kill -9` halfway leaves only a dot-directory that nothing lists (and `prune` deletes);
 *   - every change is read-modify-write of container.json under the state lock, written
 *     atomically;
 *   - a container whose state says "running" while no monitor holds its lock is dead: loading
 *     it writes that down first.
 */
#define _GNU_SOURCE
#include "container.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "digest.h"
#include "events.h"
#include "fsutil.h"
#include "json.h"
#include "lifecycle.h"
#include "lock.h"
#include "log.h"
#include "network.h"
#include "ov_net.h"
#include "timefmt.h"
#include "volume.h"
#include "volumes.h"

#define DOC_MAX (1 << 20)

/* --- names ------------------------------------------------------------------------------------ */

/* Docker's rule for a name: [a-zA-Z0-9][a-zA-Z0-9_.-]+ */
static bool valid_name(const char *name)
{
	size_t len = strlen(name);

	if (len < 2 || len > 128)
		return false;
	for (size_t i = 0; i < len; i++) {
		char ch = name[i];
		bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
		if (!alnum && (i == 0 || (ch != '_' && ch != '.' && ch != '-')))
			return false;
	}
	return true;
}

/* A random "adjective_noun" name, as Docker gives a container started without --name. */
static int random_name(char *out, size_t size, err_t *err)
{
	static const char *const adjectives[] = {
		"brave", "calm", "clever", "eager", "fancy", "gentle", "happy", "jolly", "keen", "lucid",
		"merry", "nimble", "proud", "quiet", "rapid", "sharp", "sleepy", "steady", "tender", "witty",
	};
	static const char *const nouns[] = {
		"badger", "beaver", "falcon", "ferret", "gecko", "heron", "ibex", "lynx", "marmot", "otter",
		"panda", "puffin", "quokka", "raven", "salmon", "tapir", "walrus", "wombat", "yak", "zebra",
	};
	unsigned int pick[3];

	if (getrandom(pick, sizeof(pick), 0) != (ssize_t)sizeof(pick))
		return err_sys(err, "getrandom");
	snprintf(out, size, "%s_%s%u", adjectives[pick[0] % (sizeof(adjectives) / sizeof(adjectives[0]))],
		 nouns[pick[1] % (sizeof(nouns) / sizeof(nouns[0]))], pick[2] % 100);
	return 0;
}

static int random_id(char out[CTR_ID_LEN + 1], err_t *err)
{
	unsigned char bytes[CTR_ID_LEN / 2];

	if (getrandom(bytes, sizeof(bytes), 0) != (ssize_t)sizeof(bytes))
		return err_sys(err, "getrandom");
	for (size_t i = 0; i < sizeof(bytes); i++)
		sprintf(out + 2 * i, "%02x", bytes[i]);
	return 0;
}

/* The name without Docker's leading '/'. */
static const char *doc_name(const json_t *doc)
{
	const char *name = json_str(doc, "Name");
	return name ? name + (name[0] == '/') : "";
}

/* --- reading and writing one container --------------------------------------------------------- */

static void set_paths(struct container *c, const char *root, const char *id)
{
	snprintf(c->id, sizeof(c->id), "%s", id);
	snprintf(c->root, sizeof(c->root), "%s", root);
	snprintf(c->dir, sizeof(c->dir), "%s/containers/%s", root, id);
}

/* Is member key of obj absent or of JSON type type? */
static bool optional(const json_t *obj, const char *key, json_type type)
{
	const json_t *v = json_object_get(obj, key);
	return !v || json_typeof(v) == type;
}

/* Is member key of obj an array of strings (absent counts when may_lack)? */
static bool strings(const json_t *obj, const char *key, bool may_lack)
{
	const json_t *v = json_object_get(obj, key);
	size_t i;
	json_t *s;

	if (!v)
		return may_lack;
	if (!json_is_array(v))
		return false;
	json_array_foreach(v, i, s) {
		if (!json_is_string(s))
			return false;
	}
	return true;
}

/*
 * Why doc, read from container id's container.json, cannot be used, or NULL. Every value the
 * code reads is checked for its type here, once, so that no later json_*_value() meets a
 * number where it expects a string (or a NULL, and crashes).
 */
static const char *doc_fault(const json_t *doc, const char *id)
{
	const json_t *config = json_object_get(doc, "Config"), *state = json_object_get(doc, "State");
	const char *image = json_str(doc, "Image");

	if (!json_is_object(doc))
		return "it is not an object";
	if (!json_str(doc, "Id") || strcmp(json_str(doc, "Id"), id) != 0)
		return "its Id is not its directory's name";
	if (!json_str(doc, "Name") || json_str(doc, "Name")[0] != '/' || !json_str(doc, "Created"))
		return "Name (\"/NAME\") or Created is not a string";
	if (!json_is_object(state) || !json_str(state, "Status") || !json_is_integer(json_object_get(state, "Pid")) ||
	    !json_is_integer(json_object_get(state, "ExitCode")) || !optional(state, "Error", JSON_STRING) ||
	    !optional(state, "StartedAt", JSON_STRING) || !optional(state, "FinishedAt", JSON_STRING))
		return "State is not an object of Status, Pid, ExitCode and times";
	if (!json_is_object(config) || !strings(config, "Cmd", false) || !strings(config, "Env", true) ||
	    !optional(config, "Hostname", JSON_STRING) || !optional(config, "WorkingDir", JSON_STRING) ||
	    !optional(config, "User", JSON_STRING) || !optional(config, "Image", JSON_STRING))
		return "Config is not an object of Cmd, Env, Hostname, WorkingDir, User and Image";
	if (!optional(doc, "RestartCount", JSON_INTEGER) || !optional(json_object_get(doc, "HostConfig"), "RestartPolicy", JSON_OBJECT))
		return "RestartCount or HostConfig.RestartPolicy has the wrong type";
	if (!optional(doc, "HostConfig", JSON_OBJECT) || !optional(doc, "NetworkSettings", JSON_OBJECT) ||
	    !optional(doc, "MonitorPid", JSON_INTEGER) || !strings(doc, "Args", true) ||
	    !optional(doc, "Path", JSON_STRING) || !optional(doc, "Rootfs", JSON_STRING))
		return "HostConfig, NetworkSettings, MonitorPid, Path, Args or Rootfs has the wrong type";
	/* The image id names the container's layers: sha256 and 64 hex digits, or nothing. */
	if (json_object_get(doc, "Image") && (!image || (*image && !digest_valid(image))))
		return "Image is not an image id";
	const json_t *tmpfs = json_object_get(json_object_get(doc, "HostConfig"), "Tmpfs");
	if (tmpfs && !json_is_object(tmpfs))
		return "HostConfig.Tmpfs is not an object";
	return NULL;
}

static int read_doc(const struct container *c, json_t **out, err_t *err)
{
	char path[PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/container.json", c->dir);
	if (json_read_file(path, DOC_MAX, out, err) < 0) {
		if (err->code == ENOENT)
			return err_msg(err, ENOENT, "No such container: %s", c->id);
		return err_msg(err, EBADMSG, "container %.12s is damaged: %s", c->id, err->msg);
	}
	const char *fault = doc_fault(*out, c->id);
	if (fault) {
		json_decref(*out);
		*out = NULL;
		return err_msg(err, EBADMSG, "container %.12s is damaged: container.json: %s", c->id, fault);
	}
	return 0;
}

/*
 * What stands for a container whose container.json cannot be read: enough for `ps -a` to show
 * it ("Dead", the reason in State.Error) and for `rm -f` to remove it, nothing to run.
 */
static json_t *damaged_doc(const char *id, const char *reason)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:s, s:b, s:b, s:i, s:i, s:s}, s:{s:[], s:s}, s:s}", "Id", id,
			 "Name", "/", "Created", "", "Path", "", "Rootfs", "", "State", "Status", "dead", "Running", 0,
			 "Dead", 1, "Pid", 0, "ExitCode", 0, "Error", reason, "Config", "Cmd", "Image", "", "Damaged",
			 reason);
}

bool ctr_damaged(const struct container *c)
{
	return json_object_get(c->doc, "Damaged") != NULL;
}

/*
 * container.json is replaced atomically (rename) but not flushed to disk: it describes live
 * processes, which a power cut ends anyway, and an fsync per state change would cost each
 * `run` milliseconds. What matters, that no reader ever sees half a file, the rename gives.
 */
static int write_doc(const struct container *c, const json_t *doc, err_t *err)
{
	char path[PATH_MAX + 32];

	/* What could not be read back is not written: a container nobody could load again. */
	size_t size = json_dumpb(doc, NULL, 0, JSON_COMPACT | JSON_SORT_KEYS);
	if (size >= DOC_MAX)
		return err_msg(err, E2BIG,
			       "the container's configuration takes %zu bytes, more than the %d minidock keeps "
			       "(fewer or shorter arguments, environment entries or options)",
			       size, DOC_MAX);
	snprintf(path, sizeof(path), "%s/container.json", c->dir);
	return json_replace_file(path, doc, err);
}

bool ctr_monitor_alive(const struct container *c)
{
	char path[PATH_MAX + 32];
	struct flock probe = { .l_type = F_WRLCK, .l_whence = SEEK_SET };

	snprintf(path, sizeof(path), "%s/monitor.lock", c->dir);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	/* F_OFD_GETLK asks "could I lock this?" without locking: no race with a starting monitor. */
	if (fd < 0 || fcntl(fd, F_OFD_GETLK, &probe) < 0)
		return false;
	return probe.l_type != F_UNLCK;
}

int ctr_monitor_lock(const struct container *c, int *out_fd, err_t *err)
{
	char path[PATH_MAX + 32];
	struct flock lock = { .l_type = F_WRLCK, .l_whence = SEEK_SET };

	snprintf(path, sizeof(path), "%s/monitor.lock", c->dir);
	_cleanup_close_ int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return err_sys(err, "open %s", path);
	if (fcntl(fd, F_OFD_SETLK, &lock) < 0) {
		if (errno == EAGAIN || errno == EACCES)
			return err_msg(err, EBUSY, "container %s is already running", doc_name(c->doc));
		return err_sys(err, "lock %s", path);
	}
	*out_fd = take_fd(&fd);
	return 0;
}

const char *ctr_status(const struct container *c)
{
	const char *status = json_str(json_object_get(c->doc, "State"), "Status");
	return status ? status : "dead";
}

pid_t ctr_pid(const struct container *c)
{
	return (pid_t)json_integer_value(json_object_get(json_object_get(c->doc, "State"), "Pid"));
}

/* Remove c's directory: renamed out of sight first, so that it goes whole. Under the lock. */
static int remove_dir(const struct container *c, err_t *err)
{
	char doomed[PATH_MAX + 16];
	bool oom;

	ctr_cgroup_remove(c->id, &oom); /* a monitor killed with -9 left it */
	snprintf(doomed, sizeof(doomed), "%s/containers/.rm-%s", c->root, c->id);
	if (rename(c->dir, doomed) < 0)
		return errno == ENOENT ? 0 : err_sys(err, "remove container %.12s", c->id);
	ev_container(c->root, "destroy", c->doc, NULL);
	return fs_remove_tree(doomed, err);
}

/* Write the end of c's PID 1 into doc's State. */
static void set_exited(json_t *doc, int status, const char *error)
{
	char now[TIME_RFC3339_LEN];
	json_t *state = json_object_get(doc, "State");

	time_now_rfc3339(now);
	json_object_set_new(state, "Status", json_string("exited"));
	json_object_set_new(state, "Paused", json_false());
	json_object_set_new(state, "Running", json_false());
	json_object_set_new(state, "Pid", json_integer(0));
	json_object_set_new(state, "ExitCode", json_integer(status));
	json_object_set_new(state, "FinishedAt", json_string(now));
	json_object_set_new(state, "Error", json_string(error));
	json_object_del(doc, "MonitorPid");
	/* Its address and ports are freed with it: none of them is its any more. */
	json_object_set_new(doc, "NetworkSettings", json_object());
}

/*
 * Make c's state true: "running" with no monitor means the monitor died (and its container
 * with it: SIGKILL, 137). Re-checked under the lock, as the monitor may just have written the
 * exit itself. A container to remove on exit is removed; ENOENT then.
 */
static int make_true(struct container *c, err_t *err)
{
	if (strcmp(ctr_status(c), "running") != 0 || ctr_monitor_alive(c))
		return 0;
	_cleanup_close_ int lock = -1;
	if (lock_state(c->root, &lock, err) < 0)
		return -1;
	json_t *doc;
	if (read_doc(c, &doc, err) < 0)
		return -1;
	json_decref(c->doc);
	c->doc = doc;
	if (strcmp(ctr_status(c), "running") != 0 || ctr_monitor_alive(c))
		return 0;
	log_debug("container %.12s: its monitor died, recording the exit", c->id);
	_cleanup_json_ json_t *before = json_deep_copy(doc);
	set_exited(doc, 128 + SIGKILL, "the container's monitor died");
	_cleanup_json_ json_t *code = json_pack("{s:s}", "exitCode", "137");
	ev_container(c->root, "die", doc, code);
	int rc;
	if (json_is_true(json_object_get(json_object_get(doc, "HostConfig"), "AutoRemove")))
		rc = remove_dir(c, err) < 0 ? -1 : err_msg(err, ENOENT, "No such container: %s", c->id);
	else
		rc = write_doc(c, doc, err);
	/* What the dead monitor could not undo (its address, its ports), once the lock is free. */
	close(take_fd(&lock));
	ctr_net_down(c->root, before);
	ov_leave_all(c->root, before);
	bool oom;
	ctr_cgroup_remove(c->id, &oom);
	return rc;
}

int ctr_reload(struct container *c, err_t *err)
{
	json_t *doc;

	if (read_doc(c, &doc, err) < 0)
		return -1;
	json_decref(c->doc);
	c->doc = doc;
	return make_true(c, err);
}

void ctr_release(struct container *c)
{
	json_decref(c->doc);
	c->doc = NULL;
}

/* Every container id in ROOT/containers (dot-directories are being made or removed). */
static int list_ids(const char *root, char ***out, size_t *out_n, err_t *err)
{
	char path[PATH_MAX + 16];
	size_t n = 0, cap = 16;
	_cleanup_strv_ char **ids = calloc(cap + 1, sizeof(char *));

	snprintf(path, sizeof(path), "%s/containers", root);
	DIR *dir = opendir(path);
	if (!dir) {
		if (errno != ENOENT)
			return err_sys(err, "open %s", path);
	}
	struct dirent *de;
	while (dir && ids && (de = readdir(dir))) {
		if (de->d_name[0] == '.' || strlen(de->d_name) != CTR_ID_LEN)
			continue;
		if (n == cap) {
			char **bigger = realloc(ids, (2 * cap + 1) * sizeof(char *));
			if (!bigger)
				break;
			ids = bigger;
			cap *= 2;
		}
		ids[n] = strdup(de->d_name);
		ids[++n] = NULL;
		if (!ids[n - 1])
			break;
	}
	if (dir)
		closedir(dir);
	if (!ids || (n > 0 && !ids[n - 1]))
		return err_set(err, ENOMEM, "list containers");
	*out = take_ptr(&ids);
	*out_n = n;
	return 0;
}

/* Load container id; one whose container.json is damaged only when allow_damaged (rm, ps). */
static int load_id(const char *root, const char *id, struct container *out, bool allow_damaged, err_t *err)
{
	set_paths(out, root, id);
	out->doc = NULL;
	if (read_doc(out, &out->doc, err) < 0) {
		if (err->code != EBADMSG)
			return -1;
		if (allow_damaged) {
			out->doc = damaged_doc(id, err->msg);
			return out->doc ? 0 : err_set(err, ENOMEM, "container %.12s", id);
		}
		char reason[ERR_MSG_MAX];
		snprintf(reason, sizeof(reason), "%s", err->msg);
		return err_msg(err, EBADMSG, "%s (`minidock rm -f %.12s` removes it)", reason, id);
	}
	if (make_true(out, err) < 0) {
		ctr_release(out);
		return -1;
	}
	return 0;
}

static int find(const char *root, const char *ref, struct container *out, bool allow_damaged, err_t *err)
{
	_cleanup_strv_ char **ids = NULL;
	size_t n, ref_len = strlen(ref), matches = 0;
	const char *match = NULL;

	out->doc = NULL;
	if (ref_len == 0)
		return err_msg(err, EINVAL, "invalid container name or id: it is empty");
	if (list_ids(root, &ids, &n, err) < 0)
		return -1;
	/* Docker's order: the full id, then the name, then a unique id prefix. */
	for (size_t i = 0; i < n; i++)
		if (strcmp(ids[i], ref) == 0)
			return load_id(root, ids[i], out, allow_damaged, err);
	const char *name = ref + (ref[0] == '/');
	for (size_t i = 0; i < n; i++) {
		struct container c;
		err_t ignored;
		if (load_id(root, ids[i], &c, false, &ignored) < 0)
			continue;
		bool same = strcmp(doc_name(c.doc), name) == 0;
		if (same) {
			*out = c;
			return 0;
		}
		ctr_release(&c);
	}
	for (size_t i = 0; i < n; i++) {
		if (strncmp(ids[i], ref, ref_len) == 0) {
			matches++;
			match = ids[i];
		}
	}
	if (matches > 1)
		return err_msg(err, EINVAL, "multiple containers match the id prefix \"%s\": give more of it", ref);
	if (matches == 0)
		return err_msg(err, ENOENT, "No such container: %s", ref);
	return load_id(root, match, out, allow_damaged, err);
}

int ctr_load(const char *root, const char *ref, struct container *out, err_t *err)
{
	return find(root, ref, out, false, err);
}

int ctr_load_any(const char *root, const char *ref, struct container *out, err_t *err)
{
	return find(root, ref, out, true, err);
}

static int newest_first(const void *a, const void *b)
{
	const char *ta = json_str(((const struct container *)a)->doc, "Created");
	const char *tb = json_str(((const struct container *)b)->doc, "Created");
	return strcmp(tb ? tb : "", ta ? ta : "");
}

int ctr_list(const char *root, struct container **out, size_t *out_n, err_t *err)
{
	_cleanup_strv_ char **ids = NULL;
	size_t n, kept = 0;

	if (list_ids(root, &ids, &n, err) < 0)
		return -1;
	struct container *list = calloc(n + 1, sizeof(*list));
	if (!list)
		return err_sys(err, "list containers");
	for (size_t i = 0; i < n; i++) {
		err_t ignored; /* removed meanwhile, or half gone: not listed */
		if (load_id(root, ids[i], &list[kept], true, &ignored) == 0)
			kept++;
	}
	qsort(list, kept, sizeof(*list), newest_first);
	*out = list;
	*out_n = kept;
	return 0;
}

void ctr_free_list(struct container *list, size_t n)
{
	for (size_t i = 0; list && i < n; i++)
		ctr_release(&list[i]);
	free(list);
}

/* --- creating -------------------------------------------------------------------------------- */

/* Is name taken? Sets *out_owner. Called under the lock, so it reads the docs as they are
 * (making them true would take the lock again). */
static bool name_taken(const char *root, const char *name, char out_owner[CTR_ID_LEN + 1])
{
	_cleanup_strv_ char **ids = NULL;
	size_t n;
	err_t ignored;
	bool taken = false;

	if (list_ids(root, &ids, &n, &ignored) < 0)
		return false;
	for (size_t i = 0; i < n && !taken; i++) {
		struct container c = { 0 };
		set_paths(&c, root, ids[i]);
		if (read_doc(&c, &c.doc, &ignored) < 0)
			continue;
		if (strcmp(doc_name(c.doc), name) == 0) {
			taken = true;
			snprintf(out_owner, CTR_ID_LEN + 1, "%s", ids[i]);
		}
		ctr_release(&c);
	}
	return taken;
}

/* The new container's directory, under the lock: container.json, and the overlay's dirs. */
static int make_dir(const char *dir, const json_t *doc, const char *image_id, err_t *err)
{
	/* upper/ becomes the container's "/": 0755, or only root could walk its tree. */
	static const struct {
		const char *name;
		mode_t mode;
	} subdirs[] = { { "upper", 0755 }, { "work", 0700 }, { "merged", 0755 } };
	char path[PATH_MAX + 32];

	if (mkdir(dir, 0700) < 0)
		return err_sys(err, "make %s", dir);
	for (size_t i = 0; image_id && i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, subdirs[i].name);
		if (mkdir(path, subdirs[i].mode) < 0 || chmod(path, subdirs[i].mode) < 0)
			return err_sys(err, "make %s", path);
	}
	if (image_id) {
		/* `image rm` reads this to know the image is in use. */
		snprintf(path, sizeof(path), "%s/image", dir);
		FILE *f = fopen(path, "we");
		if (!f || fputs(image_id, f) < 0 || fclose(f) != 0)
			return err_sys(err, "write %s", path);
	}
	/* Not yet in place: the rename of the whole directory makes it appear. */
	struct container c = { 0 };
	snprintf(c.dir, sizeof(c.dir), "%s", dir);
	return write_doc(&c, doc, err);
}

int ctr_create(const char *root, json_t *doc, struct container *out, err_t *err)
{
	char id[CTR_ID_LEN + 1], name[160], created[TIME_RFC3339_LEN], owner[CTR_ID_LEN + 1];
	char path[PATH_MAX + 32], tmp[PATH_MAX + 32];
	json_t *config = json_object_get(doc, "Config");
	const char *wanted = json_str(doc, "Name");

	if (wanted && !valid_name(wanted))
		return err_msg(err, EINVAL,
			       "Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", wanted);
	if (random_id(id, err) < 0)
		return -1;
	set_paths(out, root, id);

	/* The host name is the short id unless -h said otherwise (the host's own with --network
	 * host, as Docker); the environment names it. */
	if (!json_str(config, "Hostname") || !*json_str(config, "Hostname")) {
		char host_name[HOST_NAME_MAX + 1] = "";
		const char *mode = json_str(json_object_get(doc, "HostConfig"), "NetworkMode");
		if (!mode || strcmp(mode, "host") != 0 || gethostname(host_name, sizeof(host_name)) < 0)
			snprintf(host_name, sizeof(host_name), "%.12s", id);
		json_object_set_new(config, "Hostname", json_string(host_name));
	}
	/* Config.Env is what the image and -e set, as Docker keeps it: checked now (a bad entry
	 * fails create), with "-e K" resolved now and each key once; Docker's defaults (PATH,
	 * HOSTNAME) are added at every start, by ctr_environ(). */
	json_t *env_in = json_object_get(config, "Env");
	size_t n_env = json_array_size(env_in);
	bool sets_path = false, sets_hostname = false;
	_cleanup_free_ char **user_env = calloc(n_env + 1, sizeof(char *));
	_cleanup_strv_ char **env = NULL;
	if (!user_env)
		return err_sys(err, "environment");
	for (size_t i = 0; i < n_env; i++) {
		user_env[i] = (char *)json_string_value(json_array_get(env_in, i));
		sets_path |= strncmp(user_env[i], "PATH=", 5) == 0;
		sets_hostname |= strncmp(user_env[i], "HOSTNAME=", 9) == 0;
	}
	if (proc_environ(json_str(config, "Hostname"), user_env, &env, err) < 0)
		return -1;
	/* proc_environ() puts PATH first and HOSTNAME second, and replaces in place. */
	json_t *env_out = json_array();
	for (size_t i = 0; env[i]; i++)
		if ((i != 0 || sets_path) && (i != 1 || sets_hostname))
			json_array_append_new(env_out, json_string(env[i]));
	json_object_set_new(config, "Env", env_out);
	/* Fields of Docker's inspect that minidock has no use for yet, with Docker's values. */
	if (!json_object_get(config, "Labels"))
		json_object_set_new(config, "Labels", json_object());
	json_object_set_new(doc, "RestartCount", json_integer(0));
	json_object_set_new(doc, "Driver", json_string(json_str(doc, "Image") && *json_str(doc, "Image") ? "overlay" : ""));
	json_object_set_new(doc, "Platform", json_string("linux"));

	time_now_rfc3339(created);
	json_object_set_new(doc, "Id", json_string(id));
	json_object_set_new(doc, "Created", json_string(created));
	snprintf(path, sizeof(path), "%s/%s-json.log", out->dir, id);
	json_object_set_new(doc, "LogPath", json_string(path));
	json_object_set_new(doc, "State", json_pack("{s:s, s:b, s:b, s:b, s:b, s:b, s:i, s:i, s:s, s:s, s:s}",
						    "Status", "created", "Running", 0, "Paused", 0,
						    "Restarting", 0, "OOMKilled", 0, "Dead", 0, "Pid", 0,
						    "ExitCode", 0, "Error", "", "StartedAt", "0001-01-01T00:00:00Z",
						    "FinishedAt", "0001-01-01T00:00:00Z"));

	_cleanup_close_ int lock = -1;
	if (lock_state(root, &lock, err) < 0)
		return -1;
	if (wanted) {
		snprintf(name, sizeof(name), "%s", wanted);
		if (name_taken(root, name, owner))
			return err_msg(err, EEXIST,
				       "Conflict. The container name \"/%s\" is already in use by container \"%s\". "
				       "You have to remove (or rename) that container to be able to reuse that name.",
				       name, owner);
	} else {
		do {
			if (random_name(name, sizeof(name), err) < 0)
				return -1;
		} while (name_taken(root, name, owner));
	}
	char slash_name[170];
	snprintf(slash_name, sizeof(slash_name), "/%s", name);
	json_object_set_new(doc, "Name", json_string(slash_name));

	snprintf(path, sizeof(path), "%s/containers", root);
	if (fs_mkdir_p(path, 0711, err) < 0)
		return -1;
	snprintf(tmp, sizeof(tmp), "%s/containers/.new-%s", root, id);
	const char *image = json_str(doc, "Image");
	if (make_dir(tmp, doc, image && *image ? image + strlen("sha256:") : NULL, err) < 0 ||
	    rename(tmp, out->dir) < 0) {
		if (!err->msg[0] || err->code == 0)
			err_sys(err, "make container %.12s", id);
		err_t ignored;
		fs_remove_tree(tmp, &ignored);
		return -1;
	}
	out->doc = json_incref(doc);
	ev_container(root, "create", doc, NULL);
	return 0;
}

int ctr_rename(struct container *c, const char *name, err_t *err)
{
	char owner[CTR_ID_LEN + 1], slash_name[170];
	_cleanup_close_ int lock = -1;
	json_t *doc;

	if (!valid_name(name))
		return err_msg(err, EINVAL, "Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", name);
	if (lock_state(c->root, &lock, err) < 0)
		return -1;
	if (name_taken(c->root, name, owner) && strcmp(owner, c->id) == 0)
		return err_msg(err, EEXIST, "Renaming a container with the same name as its current name");
	if (name_taken(c->root, name, owner))
		return err_msg(err, EEXIST,
			       "Conflict. The container name \"/%s\" is already in use by container \"%s\". "
			       "You have to remove (or rename) that container to be able to reuse that name.",
			       name, owner);
	if (read_doc(c, &doc, err) < 0)
		return -1;
	json_decref(c->doc);
	c->doc = doc;
	_cleanup_json_ json_t *old = json_pack("{s:s}", "oldName", json_str(doc, "Name") ? json_str(doc, "Name") : "");
	snprintf(slash_name, sizeof(slash_name), "/%s", name);
	json_object_set_new(doc, "Name", json_string(slash_name));
	if (write_doc(c, doc, err) < 0)
		return -1;
	ev_container(c->root, "rename", doc, old);
	return 0;
}

/* --- state changes ----------------------------------------------------------------------------- */

/* The journal's "die" (events.h): how c ended, which a waiter reads even when --rm removes c. */
static void died_event(const struct container *c)
{
	char code[24];
	snprintf(code, sizeof(code), "%lld",
		 (long long)json_integer_value(json_object_get(json_object_get(c->doc, "State"), "ExitCode")));
	_cleanup_json_ json_t *attrs = json_pack("{s:s}", "exitCode", code);
	ev_container(c->root, "die", c->doc, attrs);
}

/* Under the lock: read c's doc again, let change() edit it, write it (or remove c); its "die"
 * in the journal when it ended. */
static int update(struct container *c, void (*change)(json_t *doc, const void *arg), const void *arg,
		  err_t *err)
{
	_cleanup_close_ int lock = -1;
	json_t *doc;

	if (lock_state(c->root, &lock, err) < 0)
		return -1;
	if (read_doc(c, &doc, err) < 0)
		return -1;
	json_decref(c->doc);
	c->doc = doc;
	bool was_exited = strcmp(ctr_status(c), "exited") == 0;
	change(doc, arg);
	bool died = !was_exited && strcmp(ctr_status(c), "exited") == 0;
	if (died && json_is_true(json_object_get(json_object_get(doc, "HostConfig"), "AutoRemove"))) {
		died_event(c);
		if (remove_dir(c, err) < 0)
			return -1;
		/* --rm takes its anonymous volumes with it (once the lock is let go: the volumes'
		 * store reads the containers). */
		close(lock);
		lock = -1;
		ctr_volume_release(c->root, doc);
		return 0;
	}
	if (write_doc(c, doc, err) < 0)
		return -1;
	if (died)
		died_event(c);
	return 0;
}

struct running {
	pid_t pid, monitor;
	json_t *network; /* NetworkSettings, or NULL */
};

static void change_running(json_t *doc, const void *arg)
{
	const struct running *r = arg;
	char now[TIME_RFC3339_LEN];
	json_t *state = json_object_get(doc, "State");

	time_now_rfc3339(now);
	json_object_set_new(state, "Status", json_string("running"));
	json_object_set_new(state, "Running", json_true());
	json_object_set_new(state, "Pid", json_integer(r->pid));
	json_object_set_new(state, "ExitCode", json_integer(0));
	json_object_set_new(state, "Error", json_string(""));
	json_object_set_new(state, "StartedAt", json_string(now));
	json_object_set_new(state, "FinishedAt", json_string("0001-01-01T00:00:00Z"));
	json_object_set_new(doc, "MonitorPid", json_integer(r->monitor));
	if (r->network)
		json_object_set(doc, "NetworkSettings", r->network);
	/* Started (again): a stop asked for before no longer holds its restart policy back. */
	json_object_set_new(state, "Restarting", json_false());
	json_object_del(doc, "ManuallyStopped");
}

int ctr_record_running(struct container *c, pid_t pid, err_t *err)
{
	/* Taken before update() reads c's doc again from its file. */
	_cleanup_json_ json_t *network = json_incref(json_object_get(c->doc, "NetworkSettings"));
	struct running r = { pid, getpid(), network };
	if (update(c, change_running, &r, err) < 0)
		return -1;
	ev_container(c->root, "start", c->doc, NULL);
	return 0;
}

static void change_start_error(json_t *doc, const void *arg)
{
	const err_t *start_err = arg;
	json_t *state = json_object_get(doc, "State");

	json_object_set_new(state, "Error", json_string(start_err->msg));
	json_object_set_new(state, "ExitCode", json_integer(start_err->status ? start_err->status : 125));
	json_object_set_new(doc, "NetworkSettings", json_object());
}

int ctr_record_start_error(struct container *c, const err_t *start_err, err_t *err)
{
	bool oom;
	ctr_cgroup_remove(c->id, &oom);
	ctr_net_down(c->root, c->doc);
	ov_leave_all(c->root, c->doc);
	return update(c, change_start_error, start_err, err);
}

struct exit_info {
	int status;
	bool oom_killed;
};

static void change_exited(json_t *doc, const void *arg)
{
	const struct exit_info *info = arg;
	set_exited(doc, info->status, "");
	json_object_set_new(json_object_get(doc, "State"), "OOMKilled", json_boolean(info->oom_killed));
}

int ctr_record_exit(struct container *c, int status, err_t *err)
{
	struct exit_info info = { .status = status };
	json_t *doc;

	/* Its cgroup goes (lab 5), telling whether the OOM killer ended a process in it. */
	ctr_cgroup_remove(c->id, &info.oom_killed);
	/* The network first (the doc as it is now, with its NetworkSettings), outside the lock. */
	if (read_doc(c, &doc, err) == 0) {
		ctr_net_down(c->root, doc);
		ov_leave_all(c->root, doc);
		json_decref(doc);
	}
	return update(c, change_exited, &info, err);
}

static void change_paused(json_t *doc, const void *arg)
{
	json_object_set_new(json_object_get(doc, "State"), "Paused", json_boolean(*(const bool *)arg));
}

int ctr_record_paused(struct container *c, bool paused, err_t *err)
{
	if (update(c, change_paused, &paused, err) < 0)
		return -1;
	ev_container(c->root, paused ? "pause" : "unpause", c->doc, NULL);
	return 0;
}

static void change_host_config(json_t *doc, const void *arg)
{
	json_t *host = json_object_get(doc, "HostConfig");
	if (json_is_object(host))
		json_object_update(host, (json_t *)arg);
	else
		json_object_set_new(doc, "HostConfig", json_deep_copy(arg));
}

int ctr_record_host_config(struct container *c, const json_t *fields, err_t *err)
{
	return update(c, change_host_config, fields, err);
}

static void change_network(json_t *doc, const void *arg)
{
	json_object_set(doc, "NetworkSettings", (json_t *)arg);
}

int ctr_record_network(struct container *c, const json_t *settings, err_t *err)
{
	return update(c, change_network, settings, err);
}

struct aliases {
	const char *net;
	const json_t *names;
};

static void change_aliases(json_t *doc, const void *arg)
{
	const struct aliases *a = arg;
	json_t *config = json_object_get(doc, "NetworkingConfig");
	if (!json_is_object(config))
		json_object_set_new(doc, "NetworkingConfig", config = json_object());
	json_t *endpoints = json_object_get(config, "EndpointsConfig");
	if (!json_is_object(endpoints))
		json_object_set_new(config, "EndpointsConfig", endpoints = json_object());
	json_t *endpoint = json_object_get(endpoints, a->net);
	if (!json_is_object(endpoint))
		json_object_set_new(endpoints, a->net, endpoint = json_object());
	json_t *have = json_object_get(endpoint, "Aliases");
	if (!json_is_array(have))
		json_object_set_new(endpoint, "Aliases", have = json_array());
	size_t i, j;
	json_t *name, *old;
	json_array_foreach(a->names, i, name) {
		bool known = false;
		json_array_foreach(have, j, old)
			known = known || json_equal(old, name);
		if (!known)
			json_array_append(have, name);
	}
}

int ctr_record_aliases(struct container *c, const char *net, const json_t *names, err_t *err)
{
	struct aliases a = { net, names };
	return update(c, change_aliases, &a, err);
}

int ctr_wait_monitor(const struct container *c, int timeout_ms)
{
	char path[PATH_MAX + 32];

	if (timeout_ms < 0) {
		/* Forever: ask for the lock and let the kernel wake us when the monitor drops it. */
		struct flock lock = { .l_type = F_RDLCK, .l_whence = SEEK_SET };
		snprintf(path, sizeof(path), "%s/monitor.lock", c->dir);
		_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
		while (fd >= 0 && fcntl(fd, F_OFD_SETLKW, &lock) < 0 && errno == EINTR)
			;
		return 1;
	}
	/* With a limit: look again and again, 1 ms apart at first, then up to 20 ms. */
	struct timespec start, now, pause = { 0, 1000000 };
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (ctr_monitor_alive(c)) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		long elapsed = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
		if (elapsed >= timeout_ms)
			return 0;
		nanosleep(&pause, NULL);
		if (pause.tv_nsec < 20000000)
			pause.tv_nsec *= 2;
	}
	return 1;
}

/*
 * Kill, with SIGKILL, every process that has c's monitor.lock open: its monitor, found without
 * container.json (a damaged one cannot say its MonitorPid). An OFD lock has no owner pid (F_GETLK
 * and /proc/locks say -1), so the holders are found by their open files, /proc/PID/fd/N.
 */
static void kill_lock_holders(const struct container *c)
{
	char path[PATH_MAX + 32], fd_dir[64], fd_path[64 + 256];
	struct stat lock_st, st;

	snprintf(path, sizeof(path), "%s/monitor.lock", c->dir);
	if (stat(path, &lock_st) < 0)
		return;
	DIR *proc = opendir("/proc");
	struct dirent *p;
	while (proc && (p = readdir(proc))) {
		if (p->d_name[0] < '1' || p->d_name[0] > '9' || atoi(p->d_name) == getpid())
			continue;
		snprintf(fd_dir, sizeof(fd_dir), "/proc/%s/fd", p->d_name);
		DIR *fds = opendir(fd_dir);
		struct dirent *f;
		while (fds && (f = readdir(fds))) {
			snprintf(fd_path, sizeof(fd_path), "%s/%s", fd_dir, f->d_name);
			if (f->d_name[0] != '.' && stat(fd_path, &st) == 0 && st.st_dev == lock_st.st_dev &&
			    st.st_ino == lock_st.st_ino) {
				kill(atoi(p->d_name), SIGKILL);
				break;
			}
		}
		if (fds)
			closedir(fds);
	}
	if (proc)
		closedir(proc);
}

int ctr_remove(struct container *c, bool force, err_t *err)
{
	if (ctr_damaged(c)) {
		/* Its state cannot be read: its monitor, if it lives, is found through its lock. */
		if (ctr_monitor_alive(c)) {
			if (!force)
				return err_msg(err, EBUSY,
					       "cannot remove container %.12s: it is damaged and its monitor is alive: "
					       "force remove (rm -f)",
					       c->id);
			kill_lock_holders(c);
			ctr_wait_monitor(c, -1);
		}
		_cleanup_close_ int lock = -1;
		if (lock_state(c->root, &lock, err) < 0)
			return -1;
		return remove_dir(c, err);
	}
	if (ctr_reload(c, err) < 0)
		return err->code == ENOENT ? 0 : -1;
	if (ctr_monitor_alive(c)) {
		if (!force)
			return err_msg(err, EBUSY,
				       "cannot remove container \"%s\": container is running: stop the container "
				       "before removing or force remove",
				       doc_name(c->doc));
		/* rm -f: SIGKILL PID 1; its monitor records the end and goes. One that does not (it is
		 * still starting the container) is killed too: the container dies with it. */
		if (ctr_pid(c) > 0)
			kill(ctr_pid(c), SIGKILL);
		if (!ctr_wait_monitor(c, 5000)) {
			pid_t monitor = (pid_t)json_integer_value(json_object_get(c->doc, "MonitorPid"));
			if (monitor > 0)
				kill(monitor, SIGKILL);
			ctr_wait_monitor(c, -1);
		}
	}
	_cleanup_close_ int lock = -1;
	if (lock_state(c->root, &lock, err) < 0)
		return -1;
	return remove_dir(c, err);
}

/* --- running ------------------------------------------------------------------------------------ */

/* The strings of a JSON array, NULL-terminated, prefixed by the n_pre strings of pre. */
static char **strv_from_json(const json_t *array, const char *const *pre, size_t n_pre)
{
	size_t n = json_array_size(array);
	char **v = calloc(n_pre + n + 1, sizeof(char *));

	for (size_t i = 0; v && i < n_pre + n; i++) {
		const char *s = i < n_pre ? pre[i] : json_string_value(json_array_get(array, i - n_pre));
		if (!(v[i] = strdup(s ? s : ""))) {
			strv_free(v);
			return NULL;
		}
	}
	return v;
}

int ctr_init_path(char *out, size_t size, err_t *err)
{
	char self[PATH_MAX];
	ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (len < 0)
		return err_sys(err, "find minidock's own program");
	self[len] = '\0';
	char *slash = strrchr(self, '/');
	if (slash)
		*slash = '\0';
	snprintf(out, size, "%s/minidock-init", self);
	return 0;
}

int ctr_environ(const struct container *c, char ***out, err_t *err)
{
	const json_t *config = json_object_get(c->doc, "Config");
	_cleanup_strv_ char **stored = strv_from_json(json_object_get(config, "Env"), NULL, 0);

	if (!stored)
		return err_set(err, ENOMEM, "environment");
	return proc_environ(json_str(config, "Hostname"), stored, out, err);
}

int ctr_spec_make(const struct container *c, struct ctr_spec *out, err_t *err)
{
	const json_t *doc = c->doc, *config = json_object_get(doc, "Config");
	const json_t *host = json_object_get(doc, "HostConfig");
	const char *image = json_str(doc, "Image");

	memset(out, 0, sizeof(*out));
	out->init_fd = -1;
	out->security.cgroup_fd = -1;
	/* --init: PID 1 is minidock-init, which runs the command (`minidock-init -- CMD...`). It
	 * is executed through /proc/self/fd/N, an fd opened here, so it need not be in the
	 * container's root; it is a static program, so it needs nothing from that root either. */
	const char *pre[2] = { out->init_exe, "--" };
	size_t n_pre = 0;
	if (json_is_true(json_object_get(host, "Init"))) {
		char path[PATH_MAX];
		if (ctr_init_path(path, sizeof(path), err) < 0)
			return -1;
		out->init_fd = open(path, O_RDONLY);
		if (out->init_fd < 0)
			return err_sys(err, "--init: open %s", path);
		snprintf(out->init_exe, sizeof(out->init_exe), "/proc/self/fd/%d", out->init_fd);
		n_pre = 2;
	}
	out->argv = strv_from_json(json_object_get(config, "Cmd"), pre, n_pre);
	json_t *tmpfs = json_object_get(host, "Tmpfs");
	json_t *list = json_array();
	const char *key;
	json_t *value;
	json_object_foreach(tmpfs, key, value)
		json_array_append_new(list, json_string(key));
	out->tmpfs = strv_from_json(list, NULL, 0);
	json_decref(list);
	if (!out->argv || !out->tmpfs || !out->argv[0]) {
		ctr_spec_free(out);
		return err_msg(err, EINVAL, "container %.12s: no command to run", c->id);
	}
	struct run_spec *run = &out->run;
	run->argv = out->argv;
	run->tmpfs = out->tmpfs;
	run->hostname = json_str(config, "Hostname");
	run->workdir = json_str(config, "WorkingDir");
	if (!run->workdir || !*run->workdir)
		run->workdir = "/";
	run->user = json_str(config, "User");
	if (run->user && !*run->user)
		run->user = NULL;
	run->readonly = json_is_true(json_object_get(host, "ReadonlyRootfs"));
	run->root = c->root;
	run->container_dir = c->dir;
	if (ctr_environ(c, &out->env, err) < 0) {
		ctr_spec_free(out);
		return -1;
	}
	run->env = out->env;
	if (image && *image) {
		run->image = image + strlen("sha256:");
		snprintf(out->rootfs, sizeof(out->rootfs), "%s/merged", c->dir);
		/* The overlay is "volatile" (lab 3): it leaves work/work/incompat/volatile behind, and the
		 * kernel refuses to mount it again while that is there, because it never flushed the
		 * upper directory. Started again (restart) on the same boot, nothing was lost. */
		char incompat[PATH_MAX + 32];
		snprintf(incompat, sizeof(incompat), "%s/work/work", c->dir);
		if (fs_remove_tree(incompat, err) < 0) {
			ctr_spec_free(out);
			return -1;
		}
	} else {
		snprintf(out->rootfs, sizeof(out->rootfs), "%s", json_str(doc, "Rootfs"));
	}
	run->rootfs = out->rootfs;
	/* Lab 5: how its processes are confined, and its cgroup, made now with its limits. */
	if (sec_from_config(host, &out->security, err) < 0 || sec_filter_prepare(c->root, &out->security, err) < 0 ||
	    ctr_cgroup_create(c->id, host, &out->security.cgroup_fd, err) < 0) {
		ctr_spec_free(out);
		return -1;
	}
	out->security.first = true;
	run->security = &out->security;
	/* Lab 10: its mounts, each checked again. */
	if (vol_mounts_of(c->root, doc, &out->mounts, &run->n_mounts, err) < 0) {
		ctr_spec_free(out);
		return -1;
	}
	run->mounts = out->mounts;
	/* Under --userns-remap a new volume's directory is the container's root's, as Docker's. */
	for (size_t i = 0; out->security.remap.count && i < run->n_mounts; i++) {
		struct stat st;
		const struct vol_mount *m = &out->mounts[i];
		if (m->type == VOL_VOLUME && stat(m->source, &st) == 0 && st.st_uid == 0 &&
		    userns_own(m->source, &out->security.remap, err) < 0) {
			ctr_spec_free(out);
			return -1;
		}
	}
	/* --userns-remap: the layers shifted into the range, the upper directory its root's. */
	const struct userns_map *remap = &out->security.remap;
	if (remap->count) {
		char upper[PATH_MAX + 16];
		snprintf(upper, sizeof(upper), "%s/upper", c->dir);
		if (!run->image) {
			ctr_spec_free(out);
			return err_msg(err, EINVAL, "--userns-remap needs an image (a --rootfs directory is not shifted)");
		}
		if (userns_layers(c->root, run->image, remap, out->store_root, err) < 0 || userns_own(upper, remap, err) < 0) {
			ctr_spec_free(out);
			return -1;
		}
		run->root = out->store_root;
	}
	return 0;
}

void ctr_spec_free(struct ctr_spec *spec)
{
	sec_release(&spec->security);
	free(spec->mounts);
	spec->mounts = NULL;
	spec->run.mounts = NULL;
	spec->run.n_mounts = 0;
	strv_free(spec->argv);
	strv_free(spec->tmpfs);
	strv_free(spec->env);
	spec->argv = spec->tmpfs = spec->env = spec->run.env = NULL;
	if (spec->init_fd >= 0)
		close(spec->init_fd);
	spec->init_fd = -1;
}

/* --- the volumes containers use (volume.h has the store) ---------------------------------------- */

int ctr_volume_users(const char *root, const char *name, json_t **out, err_t *err)
{
	struct container *list;
	size_t n;

	if (ctr_list(root, &list, &n, err) < 0)
		return -1;
	json_t *ids = json_array();
	for (size_t i = 0; i < n; i++) {
		size_t j;
		json_t *m;
		json_array_foreach(json_object_get(list[i].doc, "Mounts"), j, m) {
			const char *type = json_str(m, "Type"), *used = json_str(m, "Name");
			if (type && used && strcmp(type, "volume") == 0 && strcmp(used, name) == 0) {
				json_array_append_new(ids, json_string(list[i].id));
				break;
			}
		}
	}
	ctr_free_list(list, n);
	*out = ids;
	return 0;
}

int ctr_volume_remove(const char *root, const char *name, bool force, err_t *err)
{
	json_t *doc, *users;

	if (vol_load(root, name, &doc, err) < 0)
		return force && err->code == ENOENT ? 0 : -1;
	json_decref(doc);
	if (ctr_volume_users(root, name, &users, err) < 0)
		return -1;
	if (json_array_size(users) > 0) {
		char ids[256] = "";
		size_t i, len = 0;
		json_t *id;
		json_array_foreach(users, i, id) {
			len += (size_t)snprintf(ids + len, sizeof(ids) - len, "%s%.64s", i ? ", " : "", json_string_value(id));
			if (len >= sizeof(ids))
				break;
		}
		json_decref(users);
		return err_msg(err, EBUSY, "remove %s: volume is in use - [%s]", name, ids);
	}
	json_decref(users);
	return vol_delete(root, name, err);
}

void ctr_volume_release(const char *root, const json_t *doc)
{
	size_t i;
	json_t *m;

	json_array_foreach(json_object_get(doc, "Mounts"), i, m) {
		const char *type = json_str(m, "Type"), *name = json_str(m, "Name");
		json_t *vol;
		err_t why;
		if (!type || strcmp(type, "volume") != 0 || !name || vol_load(root, name, &vol, &why) < 0)
			continue;
		bool anonymous = vol_is_anonymous(vol);
		json_decref(vol);
		if (anonymous && ctr_volume_remove(root, name, false, &why) < 0 && why.code != EBUSY)
			log_warn("%s", why.msg);
	}
}

/* --- restart policies -------------------------------------------------------------------------- */

static void change_stopped(json_t *doc, const void *arg)
{
	(void)arg;
	json_object_set_new(doc, "ManuallyStopped", json_true());
	json_object_set_new(json_object_get(doc, "State"), "Restarting", json_false());
}

int ctr_mark_stopped(struct container *c, err_t *err)
{
	return update(c, change_stopped, NULL, err);
}

static void change_restarting(json_t *doc, const void *arg)
{
	json_object_set_new(json_object_get(doc, "State"), "Restarting", json_boolean(*(const bool *)arg));
}

static void change_restart_count(json_t *doc, const void *arg)
{
	(void)arg;
	json_object_set_new(doc, "RestartCount", json_integer(json_integer_value(json_object_get(doc, "RestartCount")) + 1));
	json_object_set_new(json_object_get(doc, "State"), "Restarting", json_false());
}

/* Docker's delay before restart N (from 0): 100 ms, doubled at each restart, at most a minute;
 * back to 100 ms when the container had run for 10 seconds or more. */
static long restart_delay_ms(const json_t *doc)
{
	const json_t *state = json_object_get(doc, "State");
	struct timespec started, finished;
	long count = (long)json_integer_value(json_object_get(doc, "RestartCount"));

	if (time_parse_rfc3339(json_str(state, "StartedAt"), &started) &&
	    time_parse_rfc3339(json_str(state, "FinishedAt"), &finished) && finished.tv_sec - started.tv_sec >= 10)
		return 100;
	long delay = 100;
	for (long i = 0; i < count && delay < 60000; i++)
		delay *= 2;
	return delay < 60000 ? delay : 60000;
}

void ctr_schedule_restart(struct container *c, int status)
{
	const json_t *policy = json_object_get(json_object_get(c->doc, "HostConfig"), "RestartPolicy");
	const char *name = json_str(policy, "Name");
	long max = (long)json_integer_value(json_object_get(policy, "MaximumRetryCount"));
	long count = (long)json_integer_value(json_object_get(c->doc, "RestartCount"));

	if (!name || strcmp(name, "no") == 0 || json_is_true(json_object_get(c->doc, "ManuallyStopped")))
		return;
	if (strcmp(name, "on-failure") == 0 && (status == 0 || (max > 0 && count >= max)))
		return;
	long delay = restart_delay_ms(c->doc);
	bool yes = true;
	err_t ignored;
	if (update(c, change_restarting, &yes, &ignored) < 0)
		return;
	log_debug("container %.12s: restart policy %s: starting it again in %ld ms", c->id, name, delay);
	/* The restart is a process of its own: it waits for this monitor to be gone (its lock), then
	 * starts the container as `minidock start` does, with a new monitor. */
	if (fork() != 0)
		return;
	setsid();
	prctl(PR_SET_NAME, "minidock-rst");
	int devnull = open("/dev/null", O_RDWR);
	for (int fd = 0; fd < 3 && devnull >= 0; fd++)
		dup2(devnull, fd);
	close_range(3, ~0U, 0); /* the monitor's lock above all: its end must show */
	ctr_wait_monitor(c, -1);
	struct timespec pause = { delay / 1000, (delay % 1000) * 1000000 };
	nanosleep(&pause, NULL);
	/* Not if it was stopped, started by someone else or removed meanwhile. */
	if (ctr_reload(c, &ignored) < 0 || !json_is_true(json_object_get(json_object_get(c->doc, "State"), "Restarting")) ||
	    json_is_true(json_object_get(c->doc, "ManuallyStopped")) || ctr_monitor_alive(c) ||
	    update(c, change_restart_count, NULL, &ignored) < 0)
		_exit(0);
	struct ctr_io io = { .tty = false, .tty_master = -1 };
	pid_t monitor, pid;
	_exit(ctr_start(c, &io, &monitor, &pid, &ignored) < 0 ? 1 : 0);
}
