/*
 * cluster.h - what the hosts of an overlay network (lab 9) share, in the cluster store.
 *
 * Docker's classic overlay needed `--cluster-store etcd://HOST:2379` and `--cluster-advertise
 * IFACE` on every daemon. minidock has no daemon: each host's state directory says them, in
 * ROOT/daemon.json, with Docker's keys: {"cluster-store": "etcd://10.99.0.1:2379",
 * "cluster-advertise": "eth1"} (an interface, whose IPv4 address is used, or an address).
 *
 * The store's keys (kvstore.h; values are JSON text):
 *	/minidock/networks/NAME      {"Name", "Id", "Driver": "overlay", "Subnet", "Gateway", "VNI",
 *	                              "Attachable"}: made once, cluster-wide (EEXIST for a name taken)
 *	/minidock/vni/N              NAME: VNI N is that network's (Docker's VNIs start at 4096)
 *	/minidock/ipam/NAME/ADDR     the container ID that has ADDR: made once, so two hosts
 *	                              starting containers at once never get one address twice
 *	/minidock/endpoints/NAME/ID  {"Name", "IPv4Address", "MacAddress", "Host", "Lease"}: where it
 *	                              is (its MAC is 02:42 and its address's four bytes, as Docker's)
 * A container's two keys are held by a lease its monitor keeps alive: when its host dies, they
 * go after the lease's time, and the address returns to the pool.
 */
#ifndef MINIDOCK_CLUSTER_H
#define MINIDOCK_CLUSTER_H

#include <jansson.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "kvstore.h"

#define OV_VNI_FIRST 4096
#define OV_VNI_LAST 16777215

struct cluster {
	struct kv kv;
	struct in_addr advertise; /* this host's address on the underlay: the VXLAN tunnels' end */
};

/* The cluster of state directory root (ROOT/daemon.json): ENOENT, saying what to write, when
 * it has none; EINVAL for a value that is not one. Nothing is sent yet. */
int cluster_open(const char *root, struct cluster *c, err_t *err);
void cluster_close(struct cluster *c);

/* Make overlay network name on subnet (NULL: the first free /24 of 10.0.0.0/8, Docker's
 * overlay pool) with gateway (NULL: its first address), and the lowest free VNI. *out: the
 * network (a new reference). */
int ov_net_create(struct cluster *c, const char *name, const char *subnet, const char *gateway, bool attachable,
		  json_t **out, err_t *err);

/* Network name (ENOENT), or every overlay network ({NAME: network}), checked to their exact
 * form (a damaged entry is left out of the list, and an error for ov_net_get()). */
int ov_net_get(struct cluster *c, const char *name, json_t **out, err_t *err);
int ov_net_list(struct cluster *c, json_t **out, err_t *err);

/* Remove network name: EBUSY while a container of any host is on it. */
int ov_net_remove(struct cluster *c, const char *name, err_t *err);

/* The MAC address of the container with address addr: 02:42 and the address's four bytes. */
void ov_mac(struct in_addr addr, char out[18]);

/* Give container id the lowest free address of network net, held by lease, and record its
 * endpoint (name, MAC, this host, lease). ENOSPC when the subnet is full. */
int ov_attach(struct cluster *c, const json_t *net, const char *id, const char *name, int64_t lease,
	      struct in_addr *out, err_t *err);

/* Free container id's address and endpoint on network net (its lease revoked: both go). */
int ov_detach(struct cluster *c, const json_t *net, const char *id, err_t *err);

/* Container id is now called name: its endpoint on network net says so (for the DNS). */
int ov_rename(struct cluster *c, const json_t *net, const char *id, const char *name, err_t *err);

/* The endpoints of network net ({ID: endpoint}), checked as ov_net_get(). */
int ov_endpoints(struct cluster *c, const json_t *net, json_t **out, err_t *err);

#endif
