/*
 * ov_net.h - overlay networks on this host (given: ov_net.c), lab 9's frame: what `network
 * create -d overlay`, `ls`, `inspect` and `rm`, and a container's monitor, do with the cluster
 * store (cluster.h) and the kernel (labs/09-overlay/overlay.h).
 *
 * A container on an overlay network: its monitor takes an address from the store, held by a
 * lease of its own (OV_TTL seconds), makes sure this host has the network's bridge and tunnel
 * (ov_ensure()), tells the tunnel where the other hosts' containers are (ov_sync()), plugs the
 * container in (ov_plug()), and leaves a keeper behind: a child that renews the lease and runs
 * ov_sync() every second, and dies with the monitor. When the container ends, ov_leave()
 * revokes the lease (its address and endpoint leave the store) and, if it was this host's last
 * on the network, removes the bridge and tunnel. When a whole host dies, nobody renews its
 * leases: after OV_TTL seconds its containers leave the store, and the other hosts' keepers
 * forget them.
 */
#ifndef MINIDOCK_OV_NET_H
#define MINIDOCK_OV_NET_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "cluster.h"
#include "err.h"
#include "netlink.h"
#include "network.h"

#define OV_TTL 10 /* seconds a container's address outlives its host */

/* Does state directory root belong to a cluster (has it a daemon.json)? */
bool ov_configured(const char *root);

/* Overlay network name of root's cluster: ENOENT ("network NAME not found") when there is no
 * such network, or no cluster. */
int ov_find(const char *root, const char *name, json_t **out, err_t *err);

/* Container id's (called ctr_name) place on overlay network name, from its monitor in the
 * host's namespace (host is a netlink socket there): its address, held by a lease; this host's
 * bridge and tunnel; the other hosts' containers known to it; and the keeper. ep is filled for
 * ov_plug(). EPERM for a network made without --attachable (as Docker's). */
int ov_join(const char *root, const char *id, const char *ctr_name, const char *name, struct nl *host,
	    struct endpoint *ep, err_t *err);

/* Container id has left overlay network name: its address and endpoint leave the store, and
 * the network's bridge and tunnel this host, if no container of this host is left on it. */
void ov_leave(const char *root, const char *name, const char *id);

/* Container doc (its container.json) has ended: it leaves every overlay network it was on (the
 * networks of its NetworkSettings that this host's store does not have). */
void ov_leave_all(const char *root, const json_t *doc);

/* Bring the tunnel of net on this host in step with the store: an FDB and a neighbour entry
 * (lab 9's ov_peer()) for each container of another host, none for any other. */
int ov_sync(struct cluster *cl, const json_t *net, struct nl *nl, err_t *err);

/* Network net as `network inspect` shows it: with its IPAM, the VNI in Options, this host's
 * containers, and its Peers (the hosts with a container on it). */
json_t *ov_inspect_json(struct cluster *cl, const json_t *net);

/* Remove overlay network name (EBUSY while a container of any host is on it), and its bridge
 * and tunnel from this host. */
int ov_remove_network(const char *root, const char *name, err_t *err);

/* Container id is now called name: its endpoints on the cluster's overlay networks say so. */
int ov_rename_endpoints(const char *root, const char *id, const char *name, err_t *err);

/* The address of the container called name (or whose ID starts so) on overlay network net_name,
 * for the DNS server. */
bool ov_dns_lookup(const char *root, const char *net_name, const char *name, struct in_addr *out);

#endif
