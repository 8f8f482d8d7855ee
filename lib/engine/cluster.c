/* cluster.c - see cluster.h. */
#include "cluster.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "cleanup.h"
#include "fsutil.h"
#include "json.h"
#include "network.h"

#define NETWORKS "/minidock/networks/"

/* The IPv4 address of interface name, or its text when it is one already. */
static int advertise_address(const char *text, struct in_addr *out, err_t *err)
{
	if (inet_pton(AF_INET, text, out) == 1)
		return 0;
	struct ifaddrs *all, *a;
	if (getifaddrs(&all) < 0)
		return err_sys(err, "cluster-advertise %s", text);
	bool found = false;
	for (a = all; a && !found; a = a->ifa_next)
		if (a->ifa_addr && a->ifa_addr->sa_family == AF_INET && strcmp(a->ifa_name, text) == 0) {
			*out = ((struct sockaddr_in *)a->ifa_addr)->sin_addr;
			found = true;
		}
	freeifaddrs(all);
	return found ? 0 : err_msg(err, EINVAL, "cluster-advertise %s: no interface with an IPv4 address by that name", text);
}

int cluster_open(const char *root, struct cluster *c, err_t *err)
{
	char path[PATH_MAX];
	json_t *config;

	snprintf(path, sizeof(path), "%s/daemon.json", root);
	if (json_read_file(path, 64 * 1024, &config, err) < 0) {
		if (err->code == ENOENT)
			return err_msg(err, ENOENT,
				       "no cluster store: an overlay network needs one, in %s: "
				       "{\"cluster-store\": \"etcd://HOST:2379\", \"cluster-advertise\": \"IFACE\"}",
				       path);
		return -1;
	}
	const char *store = json_str(config, "cluster-store"), *advertise = json_str(config, "cluster-advertise");
	int rc = -1;
	if (!store || !advertise)
		err_msg(err, EINVAL, "%s: cluster-store and cluster-advertise must both be strings", path);
	else if (advertise_address(advertise, &c->advertise, err) == 0)
		rc = kv_open(&c->kv, store, err);
	json_decref(config);
	return rc;
}

void cluster_close(struct cluster *c)
{
	kv_close(&c->kv);
}

/* --- checking what the store says ------------------------------------------------------------ */

/* A network name as `network create` takes it, so that it can be a key's last part. */
static bool is_name(const char *name)
{
	return name && *name && strlen(name) <= 60 && name[0] != '.' && !strchr(name, '/') && !strchr(name, ':') &&
	       strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == strlen(name);
}

/* A container's ID, as a key's last part (the store's own tests use short ones). */
static bool is_id(const char *id)
{
	return id && *id && strlen(id) <= 64 && id[0] != '.' &&
	       strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == strlen(id);
}

/* The network the store's text holds under name, checked to its exact form, or NULL. */
static json_t *network_of(const char *name, const char *text)
{
	json_t *net = json_loads(text, 0, NULL);
	struct in_addr addr, gw;
	int prefix;
	json_int_t vni = json_integer_value(json_object_get(net, "VNI"));
	if (!json_is_object(net) || !json_is_string(json_object_get(net, "Id")) || strcmp(json_str(net, "Name") ? json_str(net, "Name") : "", name) != 0 ||
	    strcmp(json_str(net, "Driver") ? json_str(net, "Driver") : "", "overlay") != 0 ||
	    !net_parse_cidr(json_str(net, "Subnet"), &addr, &prefix) || inet_pton(AF_INET, json_str(net, "Gateway") ? json_str(net, "Gateway") : "", &gw) != 1 ||
	    (gw.s_addr & net_mask(prefix)) != (addr.s_addr & net_mask(prefix)) || !json_is_integer(json_object_get(net, "VNI")) ||
	    vni < OV_VNI_FIRST || vni > OV_VNI_LAST || !json_is_boolean(json_object_get(net, "Attachable"))) {
		json_decref(net);
		return NULL;
	}
	return net;
}

int ov_net_get(struct cluster *c, const char *name, json_t **out, err_t *err)
{
	char key[128];
	_cleanup_free_ char *text = NULL;
	if (!is_name(name))
		return err_msg(err, EINVAL, "invalid network name \"%s\"", name);
	snprintf(key, sizeof(key), NETWORKS "%s", name);
	if (kv_get(&c->kv, key, &text, err) < 0)
		return err->code == ENOENT ? err_msg(err, ENOENT, "network %s not found", name) : -1;
	if (!(*out = network_of(name, text)))
		return err_msg(err, EPROTO, "cluster store: network %s is damaged", name);
	return 0;
}

int ov_net_list(struct cluster *c, json_t **out, err_t *err)
{
	json_t *all, *value;
	const char *key;
	if (kv_list(&c->kv, NETWORKS, &all, err) < 0)
		return -1;
	*out = json_object();
	json_object_foreach(all, key, value) {
		const char *name = key + strlen(NETWORKS);
		json_t *net = is_name(name) ? network_of(name, json_string_value(value)) : NULL;
		if (net)
			json_object_set_new(*out, name, net);
	}
	json_decref(all);
	return 0;
}

/* --- networks ------------------------------------------------------------------------------- */

/* The first /24 of 10.0.0.0/8 (Docker's overlay pool) no network of the cluster has. */
static int free_subnet(const json_t *nets, struct in_addr *out, err_t *err)
{
	for (uint32_t n = 0; n < 65536; n++) {
		struct in_addr candidate = { htonl(0x0a000000U | n << 8) };
		bool taken = false;
		const char *name;
		json_t *net;
		json_object_foreach((json_t *)nets, name, net) {
			struct in_addr addr;
			int prefix;
			if (net_parse_cidr(json_str(net, "Subnet"), &addr, &prefix)) {
				uint32_t mask = net_mask(prefix < 24 ? prefix : 24);
				taken = taken || (addr.s_addr & mask) == (candidate.s_addr & mask);
			}
		}
		if (!taken) {
			*out = candidate;
			return 0;
		}
	}
	return err_msg(err, ENOSPC, "could not find an available, non-overlapping IPv4 address pool");
}

int ov_net_create(struct cluster *c, const char *name, const char *subnet, const char *gateway, bool attachable,
		  json_t **out, err_t *err)
{
	_cleanup_json_ json_t *nets = NULL;
	struct in_addr addr, gw;
	int prefix = 24;
	char key[128], subnet_text[32], gateway_text[32], id[65];

	if (!is_name(name))
		return err_msg(err, EINVAL, "invalid network name \"%s\"", name);
	if (ov_net_list(c, &nets, err) < 0)
		return -1;
	if (json_object_get(nets, name))
		return err_msg(err, EEXIST, "network with name %s already exists", name);
	if (subnet) {
		if (!net_parse_cidr(subnet, &addr, &prefix))
			return err_msg(err, EINVAL, "invalid subnet %s: give A.B.C.D/N, N from 8 to 30", subnet);
		addr.s_addr &= net_mask(prefix);
	} else if (free_subnet(nets, &addr, err) < 0) {
		return -1;
	}
	if (gateway) {
		if (inet_pton(AF_INET, gateway, &gw) != 1 || (gw.s_addr & net_mask(prefix)) != addr.s_addr)
			return err_msg(err, EINVAL, "invalid gateway %s: not an address of the subnet", gateway);
	} else {
		gw.s_addr = htonl(ntohl(addr.s_addr) + 1);
	}
	inet_ntop(AF_INET, &addr, subnet_text, sizeof(subnet_text));
	snprintf(subnet_text + strlen(subnet_text), sizeof(subnet_text) - strlen(subnet_text), "/%d", prefix);
	inet_ntop(AF_INET, &gw, gateway_text, sizeof(gateway_text));
	unsigned char bytes[32];
	if (getrandom(bytes, sizeof(bytes), 0) != (ssize_t)sizeof(bytes))
		return err_sys(err, "getrandom");
	for (size_t i = 0; i < sizeof(bytes); i++)
		sprintf(id + 2 * i, "%02x", bytes[i]);

	/* A VNI of its own: the lowest nobody has taken, taken with a create-once key. */
	json_int_t vni = OV_VNI_FIRST;
	for (;; vni++) {
		if (vni > OV_VNI_LAST)
			return err_msg(err, ENOSPC, "no VXLAN network identifier left");
		snprintf(key, sizeof(key), "/minidock/vni/%lld", (long long)vni);
		if (kv_create(&c->kv, key, name, 0, err) == 0)
			break;
		if (err->code != EEXIST)
			return -1;
	}
	json_t *net = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:b}", "Name", name, "Id", id, "Driver", "overlay",
				"Subnet", subnet_text, "Gateway", gateway_text, "VNI", vni, "Attachable", attachable);
	_cleanup_free_ char *text = json_dumps(net, JSON_COMPACT | JSON_SORT_KEYS);
	char vni_key[64];
	snprintf(vni_key, sizeof(vni_key), "%s", key);
	snprintf(key, sizeof(key), NETWORKS "%s", name);
	if (!text || kv_create(&c->kv, key, text, 0, err) < 0) {
		/* Another host made it meanwhile: its VNI is not ours to keep. */
		err_t ignored;
		kv_delete(&c->kv, vni_key, false, &ignored);
		json_decref(net);
		if (!text)
			return err_msg(err, ENOMEM, "out of memory");
		return err->code == EEXIST ? err_msg(err, EEXIST, "network with name %s already exists", name) : -1;
	}
	*out = net;
	return 0;
}

int ov_net_remove(struct cluster *c, const char *name, err_t *err)
{
	_cleanup_json_ json_t *net = NULL, *endpoints = NULL;
	char key[128];

	if (ov_net_get(c, name, &net, err) < 0 || ov_endpoints(c, net, &endpoints, err) < 0)
		return -1;
	if (json_object_size(endpoints) > 0)
		return err_msg(err, EBUSY, "error while removing network: network %s id %s has active endpoints", name,
			       json_str(net, "Id"));
	snprintf(key, sizeof(key), NETWORKS "%s", name);
	if (kv_delete(&c->kv, key, false, err) < 0)
		return -1;
	snprintf(key, sizeof(key), "/minidock/ipam/%s/", name);
	kv_delete(&c->kv, key, true, err);
	snprintf(key, sizeof(key), "/minidock/endpoints/%s/", name);
	kv_delete(&c->kv, key, true, err);
	snprintf(key, sizeof(key), "/minidock/vni/%lld", (long long)json_integer_value(json_object_get(net, "VNI")));
	return kv_delete(&c->kv, key, false, err);
}

/* --- endpoints and addresses ------------------------------------------------------------------ */

void ov_mac(struct in_addr addr, char out[18])
{
	const unsigned char *b = (const unsigned char *)&addr;
	snprintf(out, 18, "02:42:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3]);
}

int ov_attach(struct cluster *c, const json_t *net, const char *id, const char *name, int64_t lease,
	      struct in_addr *out, err_t *err)
{
	struct in_addr subnet, gw;
	int prefix;
	char key[160], addr_text[32];
	const char *net_name = json_str(net, "Name");

	net_parse_cidr(json_str(net, "Subnet"), &subnet, &prefix);
	inet_pton(AF_INET, json_str(net, "Gateway"), &gw);
	/* Docker's rule, the lowest free address; "free" is decided by the store, key by key. */
	uint32_t base = ntohl(subnet.s_addr), size = 1U << (32 - prefix);
	for (uint32_t host = 1; host < size - 1; host++) {
		struct in_addr candidate = { htonl(base + host) };
		if (candidate.s_addr == gw.s_addr)
			continue;
		inet_ntop(AF_INET, &candidate, addr_text, sizeof(addr_text));
		snprintf(key, sizeof(key), "/minidock/ipam/%s/%s", net_name, addr_text);
		if (kv_create(&c->kv, key, id, lease, err) == 0) {
			char host_text[32], mac[18], host_name[HOST_NAME_MAX + 1] = "";
			inet_ntop(AF_INET, &c->advertise, host_text, sizeof(host_text));
			gethostname(host_name, sizeof(host_name) - 1);
			ov_mac(candidate, mac);
			_cleanup_json_ json_t *ep = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I}", "Name", name, "IPv4Address",
							      addr_text, "MacAddress", mac, "Host", host_text, "HostName",
							      *host_name ? host_name : host_text, "Lease", (json_int_t)lease);
			_cleanup_free_ char *text = json_dumps(ep, JSON_COMPACT | JSON_SORT_KEYS);
			char ep_key[200];
			snprintf(ep_key, sizeof(ep_key), "/minidock/endpoints/%s/%s", net_name, id);
			if (!text || kv_put(&c->kv, ep_key, text, lease, err) < 0) {
				err_t ignored;
				kv_delete(&c->kv, key, false, &ignored);
				return text ? -1 : err_msg(err, ENOMEM, "out of memory");
			}
			*out = candidate;
			return 0;
		}
		if (err->code != EEXIST)
			return -1;
	}
	return err_msg(err, ENOSPC, "network %s: no address left in the subnet", net_name);
}

int ov_endpoints(struct cluster *c, const json_t *net, json_t **out, err_t *err)
{
	char prefix[128];
	json_t *all, *value;
	const char *key;

	snprintf(prefix, sizeof(prefix), "/minidock/endpoints/%s/", json_str(net, "Name"));
	if (kv_list(&c->kv, prefix, &all, err) < 0)
		return -1;
	*out = json_object();
	json_object_foreach(all, key, value) {
		json_t *ep = json_loads(json_string_value(value), 0, NULL);
		struct in_addr a;
		char mac[18] = "";
		if (json_is_object(ep) && json_is_string(json_object_get(ep, "Name")) && json_is_integer(json_object_get(ep, "Lease")) &&
		    inet_pton(AF_INET, json_str(ep, "IPv4Address") ? json_str(ep, "IPv4Address") : "", &a) == 1 &&
		    (ov_mac(a, mac), strcmp(mac, json_str(ep, "MacAddress") ? json_str(ep, "MacAddress") : "") == 0) &&
		    inet_pton(AF_INET, json_str(ep, "Host") ? json_str(ep, "Host") : "", &a) == 1 &&
		    is_id(key + strlen(prefix)))
			json_object_set_new(*out, key + strlen(prefix), ep);
		else
			json_decref(ep);
	}
	json_decref(all);
	return 0;
}

int ov_detach(struct cluster *c, const json_t *net, const char *id, err_t *err)
{
	_cleanup_json_ json_t *endpoints = NULL;
	char key[200];

	if (ov_endpoints(c, net, &endpoints, err) < 0)
		return -1;
	json_t *ep = json_object_get(endpoints, id);
	const char *addr = json_str(ep, "IPv4Address");
	json_int_t lease = json_integer_value(json_object_get(ep, "Lease"));
	err_t ignored;
	if (lease > 0)
		kv_lease_revoke(&c->kv, lease, &ignored); /* both keys go with it (an expired one, by itself) */
	if (addr) {
		snprintf(key, sizeof(key), "/minidock/ipam/%s/%s", json_str(net, "Name"), addr);
		if (kv_delete(&c->kv, key, false, err) < 0)
			return -1;
	}
	snprintf(key, sizeof(key), "/minidock/endpoints/%s/%s", json_str(net, "Name"), id);
	return kv_delete(&c->kv, key, false, err);
}

int ov_rename(struct cluster *c, const json_t *net, const char *id, const char *name, err_t *err)
{
	_cleanup_json_ json_t *endpoints = NULL;
	char key[200];

	if (ov_endpoints(c, net, &endpoints, err) < 0)
		return -1;
	json_t *ep = json_object_get(endpoints, id);
	if (!ep)
		return 0; /* not on this network */
	json_object_set_new(ep, "Name", json_string(name));
	_cleanup_free_ char *text = json_dumps(ep, JSON_COMPACT | JSON_SORT_KEYS);
	snprintf(key, sizeof(key), "/minidock/endpoints/%s/%s", json_str(net, "Name"), id);
	if (!text)
		return err_msg(err, ENOMEM, "out of memory");
	return kv_put(&c->kv, key, text, json_integer_value(json_object_get(ep, "Lease")), err);
}
