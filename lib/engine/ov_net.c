/* ov_net.c - see ov_net.h. */
#define _GNU_SOURCE
#include "ov_net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/neighbour.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "json.h"
#include "lock.h"
#include "log.h"
#include "overlay.h"

bool ov_configured(const char *root)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/daemon.json", root);
	return access(path, F_OK) == 0;
}

int ov_find(const char *root, const char *name, json_t **out, err_t *err)
{
	struct cluster cl;

	if (!ov_configured(root))
		return err_msg(err, ENOENT, "network %s not found", name);
	if (cluster_open(root, &cl, err) < 0)
		return -1;
	int rc = ov_net_get(&cl, name, out, err);
	cluster_close(&cl);
	return rc;
}

/* The network's devices on this host, named after its VNI: ov-4096 (the bridge), vx-4096. */
static void device_names(const json_t *net, char bridge[IFNAMSIZ], char vxlan[IFNAMSIZ])
{
	long long vni = (long long)json_integer_value(json_object_get(net, "VNI"));
	snprintf(bridge, IFNAMSIZ, "ov-%lld", vni);
	snprintf(vxlan, IFNAMSIZ, "vx-%lld", vni);
}

/* Taken while a host's bridge and tunnel are made, or removed with its last container: a
 * container starting as another leaves finds them whole, or makes them again. */
static int lock_devices(const char *root, int *out_fd, err_t *err)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/overlay.lock", root);
	return lock_path(path, 0600, out_fd, err);
}

/* Is a container of this host (its advertised address) among endpoints? */
static bool host_has(const struct cluster *cl, const json_t *endpoints)
{
	char self[INET_ADDRSTRLEN];
	const char *id;
	json_t *ep;

	inet_ntop(AF_INET, &cl->advertise, self, sizeof(self));
	json_object_foreach((json_t *)endpoints, id, ep)
		if (strcmp(json_str(ep, "Host"), self) == 0)
			return true;
	return false;
}

/* --- the tunnel's entries -------------------------------------------------------------------- */

struct fdb_walk {
	unsigned int link;
	json_t *have; /* {MAC: HOST} */
};

static int fdb_attr(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	unsigned int type = mnl_attr_get_type(attr);
	if (type <= NDA_MAX)
		tb[type] = attr;
	return MNL_CB_OK;
}

/* One answer of `bridge fdb show`: kept when it is the tunnel's, with a remote host. */
static int fdb_cb(const struct nlmsghdr *msg, void *data)
{
	struct fdb_walk *walk = data;
	const struct ndmsg *ndm = mnl_nlmsg_get_payload(msg);
	const struct nlattr *tb[NDA_MAX + 1] = { 0 };

	if ((unsigned int)ndm->ndm_ifindex != walk->link)
		return MNL_CB_OK;
	mnl_attr_parse(msg, sizeof(*ndm), fdb_attr, tb);
	if (!tb[NDA_LLADDR] || mnl_attr_get_payload_len(tb[NDA_LLADDR]) != 6 || !tb[NDA_DST] ||
	    mnl_attr_get_payload_len(tb[NDA_DST]) != 4)
		return MNL_CB_OK;
	const unsigned char *m = mnl_attr_get_payload(tb[NDA_LLADDR]);
	char mac[18], host[INET_ADDRSTRLEN];
	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
	inet_ntop(AF_INET, mnl_attr_get_payload(tb[NDA_DST]), host, sizeof(host));
	json_object_set_new(walk->have, mac, json_string(host));
	return MNL_CB_OK;
}

int ov_sync(struct cluster *cl, const json_t *net, struct nl *nl, err_t *err)
{
	_cleanup_json_ json_t *endpoints = NULL, *want = json_object();
	struct fdb_walk walk = { .have = json_object() };
	char bridge[IFNAMSIZ], vxlan[IFNAMSIZ], self[INET_ADDRSTRLEN];
	const char *key;
	json_t *ep, *value;
	int rc = -1;

	device_names(net, bridge, vxlan);
	inet_ntop(AF_INET, &cl->advertise, self, sizeof(self));
	if (ov_endpoints(cl, net, &endpoints, err) < 0 || !(walk.link = nl_ifindex(nl, vxlan, err)))
		goto out;
	/* bridge fdb show dev VXLAN */
	struct nlmsghdr *msg = nl_request(nl, RTM_GETNEIGH, NLM_F_DUMP);
	msg->nlmsg_flags &= (unsigned short)~NLM_F_ACK;
	struct ndmsg *ndm = mnl_nlmsg_put_extra_header(msg, sizeof(*ndm));
	ndm->ndm_family = AF_BRIDGE;
	if (nl_dump(nl, msg, fdb_cb, &walk, "bridge fdb show", err) < 0)
		goto out;
	/* The other hosts' containers: each behind its host. */
	json_object_foreach(endpoints, key, ep) {
		const char *host = json_str(ep, "Host"), *mac = json_str(ep, "MacAddress");
		if (strcmp(host, self) == 0)
			continue;
		json_object_set_new(want, mac, json_true());
		const char *known = json_str(walk.have, mac);
		if (known && strcmp(known, host) == 0)
			continue;
		struct in_addr addr, at;
		inet_pton(AF_INET, json_str(ep, "IPv4Address"), &addr);
		inet_pton(AF_INET, host, &at);
		if (ov_peer(nl, vxlan, mac, addr, at, true, err) < 0)
			goto out;
	}
	/* And none that has left: its address is the MAC's last four bytes. */
	json_object_foreach(walk.have, key, value) {
		struct in_addr addr, at;
		unsigned char m[6];
		if (json_object_get(want, key) || sscanf(key, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) != 6)
			continue;
		memcpy(&addr, m + 2, 4);
		inet_pton(AF_INET, json_string_value(value), &at);
		if (ov_peer(nl, vxlan, key, addr, at, false, err) < 0)
			goto out;
	}
	rc = 0;
out:
	json_decref(walk.have);
	return rc;
}

/* --- a container joins and leaves ------------------------------------------------------------ */

static void sleep_ms(long ms)
{
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&t, &t) < 0 && errno == EINTR)
		;
}

/* The keeper of a container's place on network name: a child of the monitor, in the host's
 * namespace, that renews the lease every few seconds and keeps the tunnel in step every
 * second, until the lease is revoked (the container has left) or the monitor dies. */
static int keeper_start(const char *root, const char *name, int64_t lease, err_t *err)
{
	pid_t pid = fork();
	if (pid < 0)
		return err_sys(err, "fork the overlay keeper");
	if (pid > 0)
		return 0;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	prctl(PR_SET_NAME, "minidock-ov");
	close_range(3, ~0U, 0); /* above all the monitor's lock, which would keep the container "alive" */
	int devnull = open("/dev/null", O_RDWR);
	dup2(devnull, 0);
	dup2(devnull, 1);
	if (!log_debug_enabled)
		dup2(devnull, 2);
	struct cluster cl;
	struct nl nl;
	err_t e;
	if (cluster_open(root, &cl, &e) < 0 || nl_open(&nl, &e) < 0)
		_exit(1);
	for (unsigned tick = 1;; tick++) {
		sleep_ms(1000);
		if (tick % 3 == 0 && kv_lease_keepalive(&cl.kv, lease, &e) < 0) {
			log_debug("overlay %s: %s", name, e.msg);
			if (e.code == ENOENT)
				_exit(0); /* revoked: the container has left */
			continue;     /* the store is away: try again */
		}
		json_t *net;
		if (ov_net_get(&cl, name, &net, &e) < 0) {
			log_debug("overlay %s: %s", name, e.msg);
			continue;
		}
		if (ov_sync(&cl, net, &nl, &e) < 0)
			log_debug("overlay %s: %s", name, e.msg);
		json_decref(net);
	}
}

/* No container of this host left on net: its bridge and tunnel go (under the host's lock). */
static void drop_if_unused(const char *root, struct cluster *cl, const json_t *net)
{
	_cleanup_json_ json_t *endpoints = NULL;
	_cleanup_close_ int lock = -1;
	struct nl nl;
	err_t err;

	if (lock_devices(root, &lock, &err) == 0 && ov_endpoints(cl, net, &endpoints, &err) == 0 &&
	    !host_has(cl, endpoints) && nl_open(&nl, &err) == 0) {
		char bridge[IFNAMSIZ], vxlan[IFNAMSIZ];
		device_names(net, bridge, vxlan);
		if (ov_remove(&nl, bridge, vxlan, &err) == 0) {
			nl_close(&nl);
			return;
		}
		nl_close(&nl);
	}
	log_debug("overlay network %s, its devices: %s", json_str(net, "Name"), err.msg);
}

int ov_join(const char *root, const char *id, const char *ctr_name, const char *name, struct nl *host,
	    struct endpoint *ep, err_t *err)
{
	_cleanup_json_ json_t *net = NULL;
	struct cluster cl;
	int64_t lease = 0;
	int rc = -1;

	if (ov_find(root, name, &net, err) < 0)
		return -1;
	if (!json_is_true(json_object_get(net, "Attachable")))
		return err_msg(err, EPERM, "Could not attach to network %s: network %s not manually attachable", name, name);
	if (cluster_open(root, &cl, err) < 0)
		return -1;
	memset(ep, 0, sizeof(*ep));
	snprintf(ep->network, sizeof(ep->network), "%s", name);
	snprintf(ep->driver, sizeof(ep->driver), "overlay");
	device_names(net, ep->bridge, ep->vxlan);
	ep->vni = (unsigned int)json_integer_value(json_object_get(net, "VNI"));
	ep->local = cl.advertise;
	ep->prefix = atoi(strchr(json_str(net, "Subnet"), '/') + 1); /* checked by ov_net_get() */
	inet_pton(AF_INET, json_str(net, "Gateway"), &ep->gateway);
	if (kv_lease_grant(&cl.kv, OV_TTL, &lease, err) < 0 ||
	    ov_attach(&cl, net, id, ctr_name, lease, &ep->addr, err) < 0)
		goto out;
	ov_mac(ep->addr, ep->mac);
	/* The bridge and tunnel, whole, under the host's lock; the other hosts' containers. */
	int lock = -1;
	if (lock_devices(root, &lock, err) == 0 && ov_ensure(host, ep, err) == 0 && ov_sync(&cl, net, host, err) == 0 &&
	    keeper_start(root, name, lease, err) == 0)
		rc = 0;
	if (lock >= 0)
		close(lock);
	if (rc < 0) {
		err_t ignored;
		ov_detach(&cl, net, id, &ignored);
		drop_if_unused(root, &cl, net);
	}
out:
	if (rc < 0 && lease) {
		err_t ignored;
		kv_lease_revoke(&cl.kv, lease, &ignored);
	}
	cluster_close(&cl);
	return rc;
}

void ov_leave(const char *root, const char *name, const char *id)
{
	_cleanup_json_ json_t *net = NULL;
	struct cluster cl;
	err_t err;

	if (ov_find(root, name, &net, &err) < 0) {
		log_debug("leave overlay network %s: %s", name, err.msg);
		return;
	}
	if (cluster_open(root, &cl, &err) < 0) {
		log_debug("leave overlay network %s: %s", name, err.msg);
		return;
	}
	if (ov_detach(&cl, net, id, &err) < 0)
		log_debug("leave overlay network %s: %s", name, err.msg);
	drop_if_unused(root, &cl, net);
	cluster_close(&cl);
}

void ov_leave_all(const char *root, const json_t *doc)
{
	_cleanup_json_ json_t *store = NULL;
	json_t *networks = json_object_get(json_object_get(doc, "NetworkSettings"), "Networks"), *net;
	const char *id = json_str(doc, "Id"), *name;
	err_t err;

	if (!id || !json_object_size(networks) || !ov_configured(root) || net_store_read(root, &store, &err) < 0)
		return;
	json_object_foreach(networks, name, net)
		if (!json_object_get(store, name))
			ov_leave(root, name, id);
}

int ov_remove_network(const char *root, const char *name, err_t *err)
{
	_cleanup_json_ json_t *net = NULL;
	struct cluster cl;
	struct nl nl;

	if (ov_find(root, name, &net, err) < 0 || cluster_open(root, &cl, err) < 0)
		return -1;
	int rc = ov_net_remove(&cl, name, err);
	cluster_close(&cl);
	if (rc < 0)
		return -1;
	/* Its devices here, should a killed container have left them. */
	_cleanup_close_ int lock = -1;
	if (lock_devices(root, &lock, err) < 0 || nl_open(&nl, err) < 0)
		return -1;
	char bridge[IFNAMSIZ], vxlan[IFNAMSIZ];
	device_names(net, bridge, vxlan);
	rc = ov_remove(&nl, bridge, vxlan, err);
	nl_close(&nl);
	return rc;
}

/* --- what is shown ---------------------------------------------------------------------------- */

json_t *ov_inspect_json(struct cluster *cl, const json_t *net)
{
	json_t *shown = json_deep_copy(net), *endpoints = NULL;
	char vni[16], self[INET_ADDRSTRLEN];
	err_t err;

	snprintf(vni, sizeof(vni), "%lld", (long long)json_integer_value(json_object_get(net, "VNI")));
	json_object_del(shown, "VNI");
	json_object_set_new(shown, "IPAM", json_pack("{s:s, s:[{s:s, s:s}]}", "Driver", "default", "Config", "Subnet",
						     json_str(net, "Subnet"), "Gateway", json_str(net, "Gateway")));
	json_object_set_new(shown, "Options", json_pack("{s:s}", "com.docker.network.driver.overlay.vxlanid_list", vni));
	json_object_set_new(shown, "Scope", json_string("global"));
	json_object_set_new(shown, "Internal", json_false());
	json_t *containers = json_object(), *peers = json_array(), *seen = json_object();
	if (ov_endpoints(cl, net, &endpoints, &err) < 0)
		log_debug("network %s: %s", json_str(net, "Name"), err.msg);
	inet_ntop(AF_INET, &cl->advertise, self, sizeof(self));
	const char *id;
	json_t *ep;
	json_object_foreach(endpoints, id, ep) {
		const char *host = json_str(ep, "Host");
		char addr[40];
		snprintf(addr, sizeof(addr), "%s/%s", json_str(ep, "IPv4Address"), strchr(json_str(net, "Subnet"), '/') + 1);
		if (strcmp(host, self) == 0) /* as Docker: the containers of this host only */
			json_object_set_new(containers, id, json_pack("{s:s, s:s, s:s}", "Name", json_str(ep, "Name"),
								      "MacAddress", json_str(ep, "MacAddress"), "IPv4Address", addr));
		if (!json_object_get(seen, host)) {
			json_object_set_new(seen, host, json_true());
			json_array_append_new(peers, json_pack("{s:s, s:s}", "Name", json_str(ep, "HostName") ? json_str(ep, "HostName") : host,
							       "IP", host));
		}
	}
	json_decref(endpoints);
	json_decref(seen);
	json_object_set_new(shown, "Containers", containers);
	json_object_set_new(shown, "Peers", peers);
	return shown;
}

bool ov_dns_lookup(const char *root, const char *net_name, const char *name, struct in_addr *out)
{
	_cleanup_json_ json_t *net = NULL, *endpoints = NULL;
	struct cluster cl;
	err_t err;
	bool found = false;

	if (ov_find(root, net_name, &net, &err) < 0 || cluster_open(root, &cl, &err) < 0)
		return false;
	if (ov_endpoints(&cl, net, &endpoints, &err) == 0) {
		const char *id;
		json_t *ep;
		json_object_foreach(endpoints, id, ep)
			if (!found && (strcasecmp(json_str(ep, "Name"), name) == 0 || strncmp(id, name, 12) == 0))
				found = inet_pton(AF_INET, json_str(ep, "IPv4Address"), out) == 1;
	}
	cluster_close(&cl);
	return found;
}

int ov_rename_endpoints(const char *root, const char *id, const char *name, err_t *err)
{
	_cleanup_json_ json_t *nets = NULL;
	struct cluster cl;
	const char *key;
	json_t *net;

	if (!ov_configured(root))
		return 0;
	if (cluster_open(root, &cl, err) < 0)
		return -1;
	int rc = ov_net_list(&cl, &nets, err);
	json_object_foreach(nets, key, net)
		if (rc == 0)
			rc = ov_rename(&cl, net, id, name, err);
	cluster_close(&cl);
	return rc;
}
