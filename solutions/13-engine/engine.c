/*
 * engine.c - lab 13: the API's version in a path, Docker's multiplexed frames, a create request
 * as create's arguments.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "engine.h"
#include "lab.h"

#define MAX_MAJOR 1
#define MAX_MINOR 41
#define MIN_MAJOR 1
#define MIN_MINOR 12

/* SOLUTION BEGIN */
/* Digits at *p into *out (at most 6 of them: a version is small); the first character after. */
static const char *number(const char *p, long *out)
{
	const char *start = p;
	*out = 0;
	while (*p >= '0' && *p <= '9' && p - start < 6)
		*out = *out * 10 + (*p++ - '0');
	return p > start && !(*p >= '0' && *p <= '9') ? p : NULL;
}
/* SOLUTION END */

int api_path(const char *url, char *out, size_t size, err_t *err)
{
	/* SOLUTION BEGIN */
	long major, minor;
	const char *rest = url;
	const char *p = strncmp(url, "/v", 2) == 0 ? number(url + 2, &major) : NULL;
	if (p && *p == '.' && (p = number(p + 1, &minor)) && (*p == '/' || *p == '\0')) {
		if (major > MAX_MAJOR || (major == MAX_MAJOR && minor > MAX_MINOR))
			return err_msg(
			    err, EINVAL,
			    "client version %ld.%ld is too new. Maximum supported API version is %d.%d",
			    major, minor, MAX_MAJOR, MAX_MINOR);
		if (major < MIN_MAJOR || (major == MIN_MAJOR && minor < MIN_MINOR))
			return err_msg(
			    err, EINVAL,
			    "client version %ld.%ld is too old. Minimum supported API version is %d.%d, "
			    "please upgrade your client to a newer version",
			    major, minor, MIN_MAJOR, MIN_MINOR);
		rest = *p ? p : "/";
	}
	if ((size_t)snprintf(out, size, "%s", rest) >= size)
		return err_msg(err, ENAMETOOLONG, "the request's path is too long");
	return 0;
	/* SOLUTION END: return lab_todo(err, 13, __func__); */
}

int api_frame(int fd, int stream, const void *data, size_t len)
{
	/* SOLUTION BEGIN */
	const unsigned char *bytes = data;
	if (stream < 0 || stream > 2) {
		errno = EINVAL;
		return -1;
	}
	while (len > 0) {
		uint32_t n = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len;
		unsigned char header[8] = { (unsigned char)stream, 0, 0, 0, (unsigned char)(n >> 24),
					    (unsigned char)(n >> 16), (unsigned char)(n >> 8), (unsigned char)n };
		/* the header, then the piece: each written whole */
		const unsigned char *parts[2] = { header, bytes };
		size_t sizes[2] = { sizeof(header), n };
		for (int i = 0; i < 2; i++) {
			size_t done = 0;
			while (done < sizes[i]) {
				ssize_t w = write(fd, parts[i] + done, sizes[i] - done);
				if (w < 0 && errno == EINTR)
					continue;
				if (w <= 0)
					return -1;
				done += (size_t)w;
			}
		}
		bytes += n;
		len -= n;
	}
	return 0;
	/* SOLUTION END: errno = ENOSYS; return -1; */
}

/* SOLUTION BEGIN */
/* Append arg (and flag before it, when not NULL). */
static void push(json_t *args, const char *flag, const char *arg)
{
	if (flag)
		json_array_append_new(args, json_string(flag));
	json_array_append_new(args, json_string(arg));
}

/* A field that is a string (or absent or null: *out NULL); another type is refused. */
static int string_field(const json_t *obj, const char *key, const char **out, err_t *err)
{
	const json_t *v = json_object_get(obj, key);
	*out = json_string_value(v);
	if (v && !json_is_null(v) && !json_is_string(v))
		return err_msg(err, EINVAL, "%s: a string", key);
	return 0;
}

/* A string field, when not "", as flag and its value. */
static int string_flag(const json_t *obj, const char *key, const char *flag, json_t *args, err_t *err)
{
	const char *v;
	if (string_field(obj, key, &v, err) < 0)
		return -1;
	if (v && *v)
		push(args, flag, v);
	return 0;
}

/* A list of strings as words, each after flag when not NULL (one string too when one_ok: Cmd and
 * Entrypoint are Docker's "strslice", which takes either). */
static int list_field(const json_t *obj, const char *key, const char *flag, bool one_ok, json_t *args, err_t *err)
{
	const json_t *v = json_object_get(obj, key);
	size_t i;
	const json_t *e;
	if (!v || json_is_null(v))
		return 0;
	if (json_is_string(v) && one_ok) {
		push(args, flag, json_string_value(v));
		return 0;
	}
	if (!json_is_array(v))
		return err_msg(err, EINVAL, "%s: a list of strings", key);
	json_array_foreach(v, i, e)
	{
		if (!json_is_string(e))
			return err_msg(err, EINVAL, "%s: a list of strings", key);
	}
	json_array_foreach(v, i, e)
		push(args, flag, json_string_value(e));
	return 0;
}

/* A boolean field (absent or null: false); another type is refused. */
static int bool_field(const json_t *obj, const char *key, bool *out, err_t *err)
{
	const json_t *v = json_object_get(obj, key);
	if (v && !json_is_null(v) && !json_is_boolean(v))
		return err_msg(err, EINVAL, "%s: true or false", key);
	*out = json_is_true(v);
	return 0;
}

/* An object field (absent or null: NULL); another type is refused. */
static int object_field(const json_t *obj, const char *key, const json_t **out, err_t *err)
{
	const json_t *v = json_object_get(obj, key);
	*out = json_is_object(v) ? v : NULL;
	if (v && !json_is_null(v) && !json_is_object(v))
		return err_msg(err, EINVAL, "%s: an object", key);
	return 0;
}

/* A number field (absent or null: 0); another type or a negative value is refused. */
static int number_field(const json_t *obj, const char *key, json_int_t *out, err_t *err)
{
	const json_t *v = json_object_get(obj, key);
	*out = json_integer_value(v);
	if ((v && !json_is_null(v) && !json_is_integer(v)) || *out < 0)
		return err_msg(err, EINVAL, "%s: a number, 0 or more", key);
	return 0;
}

static int port_bindings(const json_t *host, json_t *args, err_t *err)
{
	const json_t *ports;
	const char *port;
	json_t *list;
	if (object_field(host, "PortBindings", &ports, err) < 0)
		return -1;
	json_object_foreach((json_t *)ports, port, list)
	{
		size_t i;
		json_t *b;
		if (json_is_null(list))
			continue;
		if (!json_is_array(list))
			return err_msg(err, EINVAL, "PortBindings: %s: a list of bindings", port);
		json_array_foreach(list, i, b)
		{
			const char *ip, *host_port;
			if (!json_is_object(b) || string_field(b, "HostIp", &ip, err) < 0 ||
			    string_field(b, "HostPort", &host_port, err) < 0)
				return err_msg(
				    err, EINVAL,
				    "PortBindings: %s: a binding is {\"HostIp\": ..., \"HostPort\": ...}",
				    port);
			char spec[300];
			snprintf(spec, sizeof(spec), "%s%s%s:%s", ip && *ip ? ip : "", ip && *ip ? ":" : "",
				 host_port ? host_port : "", port);
			push(args, "-p", spec);
		}
	}
	return 0;
}

static int restart_policy(const json_t *host, json_t *args, err_t *err)
{
	const json_t *policy;
	const char *name;
	json_int_t max;
	if (object_field(host, "RestartPolicy", &policy, err) < 0 ||
	    string_field(policy, "Name", &name, err) < 0 ||
	    number_field(policy, "MaximumRetryCount", &max, err) < 0)
		return -1;
	if (!name || !*name || strcmp(name, "no") == 0)
		return 0;
	char text[100];
	if (max > 0)
		snprintf(text, sizeof(text), "%s:%lld", name, (long long)max);
	else
		snprintf(text, sizeof(text), "%s", name);
	push(args, "--restart", text);
	return 0;
}

static int limits(const json_t *host, json_t *args, err_t *err)
{
	json_int_t memory, nano_cpus, pids;
	char text[64];
	if (number_field(host, "Memory", &memory, err) < 0 ||
	    number_field(host, "NanoCpus", &nano_cpus, err) < 0)
		return -1;
	/* PidsLimit: -1 and 0 are "unlimited" in Docker's API */
	const json_t *p = json_object_get(host, "PidsLimit");
	if (p && !json_is_null(p) && !json_is_integer(p))
		return err_msg(err, EINVAL, "PidsLimit: a number");
	pids = json_integer_value(p);
	if (memory > 0)
		snprintf(text, sizeof(text), "%lld", (long long)memory), push(args, "-m", text);
	if (nano_cpus > 0)
		snprintf(text, sizeof(text), "%lld.%09lld", (long long)(nano_cpus / 1000000000),
			 (long long)(nano_cpus % 1000000000)),
		    push(args, "--cpus", text);
	if (pids > 0)
		snprintf(text, sizeof(text), "%lld", (long long)pids), push(args, "--pids-limit", text);
	return 0;
}

/* The aliases of each network the request names (docker-compose's service names). */
static int aliases(const json_t *body, json_t *args, err_t *err)
{
	const json_t *config, *endpoints;
	const char *net;
	json_t *endpoint;
	if (object_field(body, "NetworkingConfig", &config, err) < 0 ||
	    object_field(config, "EndpointsConfig", &endpoints, err) < 0)
		return -1;
	json_object_foreach((json_t *)endpoints, net, endpoint) {
		if (!json_is_object(endpoint) && !json_is_null(endpoint))
			return err_msg(err, EINVAL, "EndpointsConfig: %s: an object", net);
		if (list_field(endpoint, "Aliases", "--network-alias", false, args, err) < 0)
			return -1;
	}
	return 0;
}

/* Is path the target of one of HostConfig.Binds ("SOURCE:TARGET[:OPTIONS]")? */
static bool bound(const json_t *host, const char *path)
{
	size_t i, len = strlen(path);
	const json_t *b;
	json_array_foreach(json_object_get(host, "Binds"), i, b) {
		const char *colon = json_is_string(b) ? strchr(json_string_value(b), ':') : NULL;
		if (colon && strncmp(colon + 1, path, len) == 0 && (colon[1 + len] == '\0' || colon[1 + len] == ':'))
			return true;
	}
	return false;
}

/* Entrypoint: its first word as --entrypoint (an empty list or string: --entrypoint ""), the rest
 * kept in *rest for after the image. */
static int entrypoint(const json_t *body, json_t *args, const json_t **rest, err_t *err)
{
	const json_t *v = json_object_get(body, "Entrypoint");
	*rest = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (json_is_string(v)) {
		push(args, "--entrypoint", json_string_value(v));
		return 0;
	}
	_cleanup_json_ json_t *words = json_array();
	if (list_field(body, "Entrypoint", NULL, true, words, err) < 0)
		return -1;
	push(args, "--entrypoint", json_array_size(words) ? json_string_value(json_array_get(words, 0)) : "");
	*rest = v;
	return 0;
}
/* SOLUTION END */

int api_create_args(const json_t *body, const char *name, json_t *args, err_t *err)
{
	/* SOLUTION BEGIN */
	const json_t *host, *labels, *volumes, *rest;
	const char *key, *image, *domain;
	json_t *v;
	bool on;
	if (!json_is_object(body))
		return err_msg(err, EINVAL, "a create request is a JSON object");
	if (object_field(body, "HostConfig", &host, err) < 0 ||
	    object_field(body, "Labels", &labels, err) < 0 ||
	    object_field(body, "Volumes", &volumes, err) < 0 ||
	    string_field(body, "Image", &image, err) < 0 ||
	    string_field(body, "Domainname", &domain, err) < 0)
		return -1;
	if (!image || !*image)
		return err_msg(err, EINVAL, "Image is required");
	if (domain && *domain)
		return err_msg(err, EINVAL, "Domainname is not supported");
	if (json_object_get(body, "Healthcheck") && !json_is_null(json_object_get(body, "Healthcheck")))
		return err_msg(err, EINVAL, "Healthcheck is not supported");
	if (name && *name)
		push(args, "--name", name);
	if (string_flag(body, "Hostname", "-h", args, err) < 0 ||
	    string_flag(body, "User", "-u", args, err) < 0 ||
	    string_flag(body, "WorkingDir", "-w", args, err) < 0 ||
	    list_field(body, "Env", "-e", false, args, err) < 0)
		return -1;
	json_object_foreach((json_t *)labels, key, v)
	{
		if (!json_is_string(v))
			return err_msg(err, EINVAL, "Labels: %s: a string", key);
		char *kv;
		if (asprintf(&kv, "%s=%s", key, json_string_value(v)) < 0)
			return err_msg(err, ENOMEM, "out of memory");
		push(args, "-l", kv);
		free(kv);
	}
	if (bool_field(body, "Tty", &on, err) < 0)
		return -1;
	if (on)
		push(args, NULL, "-t");
	if (bool_field(body, "OpenStdin", &on, err) < 0)
		return -1;
	if (on)
		push(args, NULL, "-i");
	json_object_foreach((json_t *)volumes, key, v)
		if (!bound(host, key)) /* a path a bind mount covers is not a volume too */
			push(args, "-v", key);
	static const struct {
		const char *field, *flag;
	} switches[] = {
	    {"AutoRemove", "--rm"},
	    {"Privileged", "--privileged"},
	    {"ReadonlyRootfs", "--read-only"},
	    {"Init", "--init"},
	};
	for (size_t i = 0; i < sizeof(switches) / sizeof(switches[0]); i++) {
		if (bool_field(host, switches[i].field, &on, err) < 0)
			return -1;
		if (on)
			push(args, NULL, switches[i].flag);
	}
	const char *mode;
	if (string_field(host, "NetworkMode", &mode, err) < 0)
		return -1;
	if (mode && *mode && strcmp(mode, "default") != 0)
		push(args, "--network", mode);
	if (list_field(host, "Binds", "-v", false, args, err) < 0 ||
	    list_field(host, "CapAdd", "--cap-add", false, args, err) < 0 ||
	    list_field(host, "CapDrop", "--cap-drop", false, args, err) < 0 ||
	    list_field(host, "SecurityOpt", "--security-opt", false, args, err) < 0 ||
	    port_bindings(host, args, err) < 0 || aliases(body, args, err) < 0 || restart_policy(host, args, err) < 0 ||
	    limits(host, args, err) < 0 || entrypoint(body, args, &rest, err) < 0)
		return -1;
	push(args, NULL, image);
	for (size_t i = 1; i < json_array_size(rest); i++)
		push(args, NULL, json_string_value(json_array_get(rest, i)));
	return list_field(body, "Cmd", NULL, true, args, err);
	/* SOLUTION END: return lab_todo(err, 13, __func__); */
}
