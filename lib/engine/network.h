/*
 * network.h - networks: the store and the address manager (given: network.c), on which labs
 * 6 and 7 build (labs/06-net-basics/netns.h, labs/07-bridge/bridge.h).
 *
 * Docker names a container's network with `--network`: `none` (a network namespace with only
 * a loopback), `host` (the host's own namespace), `bridge` (the default: a namespace joined
 * to a bridge on the host by a veth pair, with an address of its own and NAT to the outside)
 * or the name of a network made with `network create`. minidock keeps its networks in
 * ROOT/networks.json, changed under the state lock:
 *
 *	{"bridge": {"Name": "bridge", "Id": "...", "Driver": "bridge", "Bridge": "minidock0",
 *	            "Subnet": "172.17.0.0/16", "Gateway": "172.17.0.1", "Internal": false,
 *	            "Containers": {"<container id>": {"Name": "web", "IPv4Address": "172.17.0.2/16",
 *	                                              "MacAddress": "02:..."}}},
 *	 "host": {...}, "none": {...}, "mynet": {...}}
 *
 * The "Containers" of a network are its address manager's (IPAM's) memory: an address is
 * handed out under the lock, written down before it is used, and freed when the container
 * ends, so two containers never get the same one, even twenty started at once.
 *
 * Setting a container's network up happens in its monitor, just before PID 1 starts
 * (ctr_net_up(), ctr_net.h): the monitor moves itself into a new network namespace (lab 6),
 * which PID 1 then inherits, and (lab 7) plugs it into its network's bridge. Tearing it down
 * is mostly the kernel's: when the last process of a network namespace ends, its interfaces
 * go, and a veth's other end with them. What is left to undo, ctr_net_down() undoes: the
 * address, the published ports' NAT entries.
 */
#ifndef MINIDOCK_NETWORK_H
#define MINIDOCK_NETWORK_H

#include <jansson.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "netlink.h"

/* The default network and its bridge, and where Docker's address pools start. */
#define NET_DEFAULT "bridge"
#define NET_DEFAULT_BRIDGE "minidock0"

/* One container's place on a network. */
struct endpoint {
	char network[64];     /* the network's name */
	char driver[16];      /* "bridge", "macvlan", "ipvlan" or "overlay" */
	char bridge[IFNAMSIZ]; /* the host's bridge device (bridge, overlay) */
	char parent[IFNAMSIZ]; /* the host's card the links hang on (macvlan, ipvlan: lab 8) */
	char mode[16];        /* macvlan: bridge, private, vepa, passthru; ipvlan: l2, l3 */
	struct in_addr addr;  /* the container's address */
	struct in_addr gateway;
	int prefix;           /* the subnet's prefix length */
	char mac[18];         /* "02:xx:xx:xx:xx:xx" */
	bool internal;        /* --internal: no way out */
	char ifname[IFNAMSIZ]; /* the container's interface: eth0, then eth1... (network connect) */
	bool default_route;   /* the container's way out goes through this network (its first) */
	/* overlay (lab 9): the network's tunnel on this host */
	char vxlan[IFNAMSIZ]; /* its vxlan device, enslaved to bridge */
	unsigned int vni;     /* the network's VXLAN network identifier */
	struct in_addr local; /* this host's address on the underlay (cluster-advertise) */
};

/* A published port: HOST_IP:HOST_PORT on the host goes to the container's port. */
struct port_map {
	char proto[4];         /* "tcp" or "udp" */
	struct in_addr host_ip; /* INADDR_ANY: every address of the host */
	int host_port;
	int container_port;
};

/* "A.B.C.D/N" (N from 8 to 30) into *addr and *prefix; false for anything else. */
bool net_parse_cidr(const char *text, struct in_addr *addr, int *prefix);

/* The netmask of a prefix length, in network byte order. */
uint32_t net_mask(int prefix);

/* ROOT/networks.json (with the built-in bridge, host and none made on first use). */
int net_store_read(const char *root, json_t **out, err_t *err);

/* What `network create` asks for. */
struct net_spec {
	const char *name;
	const char *driver;   /* "bridge" (NULL too), "macvlan" or "ipvlan" */
	const char *subnet;   /* NULL: the next of Docker's pools free */
	const char *gateway;  /* NULL: the subnet's first address */
	const char *ip_range; /* NULL: the whole subnet; else containers' addresses come from it */
	const char *parent;   /* -o parent= (macvlan, ipvlan); NULL: a dummy parent */
	const char *mode;     /* -o macvlan_mode= or ipvlan_mode=; NULL: bridge, or l2 */
	bool internal;
	const json_t *labels; /* --label K=V: an object of strings, or NULL */
};

/* Create network spec->name under root, on its subnet with its gateway. A macvlan or ipvlan
 * network records its parent ("Parent": the card, or "dm-" and 12 digits of its id for a dummy
 * one, made by lab 8 when it is internal or has none) and its mode in Options, as Docker's;
 * two such networks on one parent are refused. EEXIST when the name is taken, EINVAL for a bad
 * or overlapping subnet, range, driver or mode. *out_net is the new network (a new reference). */
int net_create(const char *root, const struct net_spec *spec, json_t **out_net, err_t *err);

/* What the kernel holds of network net, removed from the store (net_remove()): its bridge
 * and table entries (lab 7's br_remove()), or the parent minidock made for it (lab 8). */
int net_remove_devices(const json_t *net, err_t *err);

/* Network name's parent was made by minidock (lab 8's mv_parent_make()): `network rm` removes it. */
int net_parent_made(const char *root, const char *name, err_t *err);

/* Remove network ref (name or id prefix): refused for bridge, host and none, and while a
 * container is on it. *out_net gets what it was (a new reference), for the bridge to go. */
int net_remove(const char *root, const char *ref, json_t **out_net, err_t *err);

/* Network net as `docker network inspect` shows it (with IPAM and Scope): a new object. */
json_t *net_inspect_json(const json_t *net);

/* Find network ref (name, id or id prefix) in store; a borrowed reference, or NULL (ENOENT). */
json_t *net_find(json_t *store, const char *ref, err_t *err);

/* The lowest free address of a subnet, as Docker hands them out (the first container of a
 * network gets .2): not the network's, the broadcast's or the gateway's, nor one of
 * used[0..n_used). ENOSPC when the subnet is full. */
int ipam_first_free(struct in_addr subnet, int prefix, struct in_addr gateway, const struct in_addr *used,
		    size_t n_used, struct in_addr *out, err_t *err);

/* Give container id (named name) an address on network ref, written down under the lock,
 * and fill *out: ip (`run --ip`, on a network made with `network create` only) or else the
 * lowest free one (of the network's IP range, if it has one). A container already on it keeps
 * its address. EADDRINUSE when ip is taken, EINVAL when it is not the network's to give. */
int net_attach(const char *root, const char *ref, const char *id, const char *name, const char *ip,
	       struct endpoint *out, err_t *err);

/* Container id is now called name: the endpoints of its networks say so (for their DNS). */
int net_rename(const char *root, const char *id, const char *name, err_t *err);

/* Free container id's address on every network (under the lock). */
int net_detach_all(const char *root, const char *id, err_t *err);

/* Free container id's address on network ref only. ENOENT when it has none there. */
int net_detach(const char *root, const char *ref, const char *id, err_t *err);

/* Parse "[IP:]HOST:CONTAINER[/PROTO]", "IP::CONTAINER[/PROTO]" or "CONTAINER[/PROTO]" (host
 * port 0: chosen when the container starts). EINVAL with Docker's words when it is not one. */
int port_parse(const char *text, struct port_map *out, err_t *err);

/* A free port of the host for proto ("tcp" or "udp"), for `-p CTR` (the kernel picks it). */
int port_free(const char *proto, err_t *err);

/* The host's network namespace (an fd), kept by a container's monitor before it leaves it
 * (ctr_net_up()), for ctr_net_down() to come back to. */
void net_keep_host_ns(int fd);

/* Undo what of container doc's network outlives its namespace (ctr_net.h sets it up): its
 * addresses on every network of this host, its published ports. doc is its container.json.
 * (Its place on an overlay network is the cluster's: ov_leave_all(), ov_net.h.) */
void ctr_net_down(const char *root, json_t *doc);

#endif
