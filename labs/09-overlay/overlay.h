/*
 * overlay.h - lab 9's contract: one network over several hosts, through VXLAN tunnels.
 *
 * An overlay network is a layer-2 network (one subnet, one broadcast domain as far as its
 * containers can tell) laid over the hosts' own network, the underlay. On each host that has
 * a container on it, a bridge joins the host's containers and a vxlan device, the tunnel's
 * end: a frame the bridge sends it for a container of another host leaves wrapped in UDP
 * (port 4789) to that host's address, with the network's VXLAN network identifier (VNI), and
 * comes out of the other host's vxlan device, into its bridge, onto the container's veth.
 *
 * Where the containers are, the kernel does not guess: learning is off, and ARP requests are
 * answered on the spot by the vxlan device (proxy) from what minidock programs, for each
 * container of another host: its MAC is behind that host (a forwarding, FDB, entry) and its
 * address has that MAC (a neighbour entry). minidock takes it all from the cluster store
 * (etcd: lib/engine/cluster.h) and keeps it in step (lib/engine/ctr_net.c: ov_sync()).
 *
 * The store, the addresses and the bookkeeping are given; these make the kernel's part. nl is
 * a netlink socket in the host's namespace.
 */
#ifndef MINIDOCK_OVERLAY_H
#define MINIDOCK_OVERLAY_H

#include <netinet/in.h>
#include <stdbool.h>

#include "err.h"
#include "netlink.h"
#include "network.h"

/* VXLAN's port (IANA's), and what its headers (outer IPv4 20, UDP 8, VXLAN 8, inner Ethernet
 * 14: 50 bytes) leave of a 1500-byte underlay for the containers' packets. */
#define OV_PORT 4789
#define OV_MTU 1450

/*
 * Make sure this host has the network's bridge and tunnel, up: when there is no ep->bridge yet,
 *	ip link add BRIDGE mtu 1450 up type bridge
 *	ip link add VXLAN mtu 1450 master BRIDGE up type vxlan id VNI local LOCAL dstport 4789 \
 *		nolearning proxy
 * with BRIDGE ep->bridge, VXLAN ep->vxlan, VNI ep->vni and LOCAL ep->local (this host's
 * underlay address). A host that has both already is left as it is (another container of the
 * network made them); a half-made pair (a bridge without its vxlan) is completed.
 */
int ov_ensure(struct nl *nl, const struct endpoint *ep, err_t *err);

/*
 * Plug the calling process's network namespace into the network's bridge on this host, as
 * lab 7's veth_plug() does (ep->default_route is false: an overlay network has no way out),
 * with the MTU of ep->ifname lowered to 1450 (`ip link set eth0 mtu 1450`): a container that
 * sent 1500-byte packets would see the big ones vanish in the tunnel. here is a netlink socket
 * in the calling process's namespace, host_ns the host's namespace (an fd).
 */
int ov_plug(struct nl *host, struct nl *here, int host_ns, const struct endpoint *ep, err_t *err);

/*
 * Tell vxlan device vxlan where a container of another host is (add), or forget it (!add):
 *	bridge fdb replace MAC dev VXLAN dst HOST self permanent
 *	ip neigh replace ADDR lladdr MAC dev VXLAN nud permanent
 * (or `bridge fdb del MAC dev VXLAN self` and `ip neigh del ADDR dev VXLAN`, where an entry
 * already gone is no error). mac is "02:42:0a:00:01:02", addr the container's address, host
 * the address of the host it is on.
 */
int ov_peer(struct nl *nl, const char *vxlan, const char *mac, struct in_addr addr, struct in_addr host, bool add,
	    err_t *err);

/* Remove the network's bridge and vxlan device from this host (`ip link del`), the last of
 * its containers here being gone; ones already gone are no error. */
int ov_remove(struct nl *nl, const char *bridge, const char *vxlan, err_t *err);

#endif
