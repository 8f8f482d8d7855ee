/*
 * macvlan.h - lab 8's contract: containers on the LAN itself, with macvlan and ipvlan links.
 *
 * A macvlan network puts each container straight on a network card of the host (its parent,
 * eth1 here), with a MAC address of its own: for the LAN's switch and the other machines on
 * it, the container is one more machine. An ipvlan network does the same with the parent's
 * MAC address (for LANs that allow one MAC per port). No bridge, no NAT, no published ports.
 *
 * The network's store and address manager are given (lib/engine/network.h: a network's
 * Driver, Parent and Options; struct endpoint's driver, parent and mode); `network create`
 * and `network rm` (lib/cli/cmd_network.c) and the container's monitor (lib/engine/ctr_net.c)
 * call these.
 */
#ifndef MINIDOCK_MACVLAN_H
#define MINIDOCK_MACVLAN_H

#include <stdbool.h>

#include "err.h"
#include "netlink.h"
#include "network.h"

/*
 * Make sure the host has interface name, the parent of a network, up, and say in *made
 * whether this call made it:
 *	"eth1"     an interface the host has: nothing to make (ENODEV when it has none).
 *	"eth1.50"  the 802.1Q VLAN 50 of eth1 (`ip link add link eth1 name eth1.50 type vlan id
 *	           50`, up) when the host has no eth1.50 yet; its frames leave eth1 tagged 50.
 *	           ENODEV when there is no eth1; EINVAL when the id is not 1 to 4094.
 *	"dm-..."   (dummy true) a dummy interface (`ip link add NAME type dummy`, up): the parent of
 *	           an --internal network, or of one made without a parent, as Docker's. Its
 *	           containers reach each other and nothing else.
 * nl is a netlink socket in the host's namespace.
 */
int mv_parent_make(struct nl *nl, const char *name, bool dummy, bool *made, err_t *err);

/* Remove interface name (a parent mv_parent_make() made): `ip link del NAME`. */
int mv_parent_remove(struct nl *nl, const char *name, err_t *err);

/*
 * Plug the calling process's network namespace into ep's LAN: a link of kind ep->driver
 * ("macvlan" or "ipvlan") on the host's ep->parent, in mode ep->mode (macvlan: "bridge",
 * "private", "vepa" or "passthru"; ipvlan: "l2" or "l3"), made in one message from the host's
 * namespace (host) but born here, named ep->ifname (eth0); a macvlan one has MAC ep->mac (an
 * ipvlan one has its parent's); then here (the netlink socket here): up, with address
 * ep->addr/ep->prefix and, when ep->default_route, the default route: through ep->gateway
 * (macvlan, ipvlan l2) or straight out of the link (ipvlan l3, where there is no gateway to
 * find: the parent routes).
 */
int mv_plug(struct nl *host, struct nl *here, const struct endpoint *ep, err_t *err);

#endif
