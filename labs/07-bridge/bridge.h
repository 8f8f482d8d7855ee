/*
 * bridge.h - lab 7's contract: bridge networks, NAT and published ports.
 *
 * The networks' store and address manager (which network a container is on, with which
 * address: struct endpoint) are given: lib/engine/network.h. A container's monitor calls these
 * (lib/engine/ctr_net.c) once its endpoint is known.
 */
#ifndef MINIDOCK_BRIDGE_H
#define MINIDOCK_BRIDGE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "netlink.h"
#include "network.h"

/*
 * Make sure the host has ep's network: the bridge device ep->bridge (`ip link add NAME type
 * bridge`), with the gateway address (`ip addr add GATEWAY/PREFIX dev NAME`), up; IP
 * forwarding on; and the network in minidock's nftables table (`table ip minidock`), which
 * masquerades what leaves the host from the subnet, keeps different networks apart, and gives
 * an --internal network no way out. host is a netlink socket in the host's namespace. Doing it
 * again changes nothing.
 *
 * The table's names are part of the contract (the grader reads them with `nft list table ip
 * minidock`, and teardown is deleting elements):
 *	set bridges  { type ifname; }                   every bridge of minidock's: ep->bridge is added
 *	set internal { type ifname; }                   the bridges of --internal networks
 *	set apart    { type ifname . ifname; }          pairs of bridges whose traffic is dropped
 *	set subnets  { type ipv4_addr; flags interval; } the subnets masqueraded when they leave
 *	map ports_any { type inet_proto . inet_service : ipv4_addr . inet_service; }   -p HOST:CTR
 *	map ports_ip  { type ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service; }
 *	                                                 -p IP:HOST:CTR (ports_publish() fills both)
 * in base chains prerouting (nat, hook prerouting, priority dstnat) and output (nat, hook
 * output, priority -100) for the ports, postrouting (nat, srcnat) for the masquerade, forward
 * (filter) for apart and internal, and input (filter).
 */
int br_ensure(struct nl *host, const struct endpoint *ep, err_t *err);

/* Remove network net's bridge (`ip link del NAME`) and its entries in the nftables table. */
int br_remove(const json_t *net, err_t *err);

/*
 * Plug the calling process's network namespace into ep's bridge: a veth pair, one end
 * ep->ifname (eth0) here with ep->mac, ep->addr/ep->prefix and, when ep->default_route, a
 * default route through ep->gateway; the other end (named "veth" and 7 hex digits) in the
 * host's namespace (host_ns, an fd of it), attached to the bridge and up. host is a netlink
 * socket in the host's namespace, here one in ours.
 */
int veth_plug(struct nl *host, struct nl *here, int host_ns, const struct endpoint *ep, err_t *err);

/*
 * Publish (or, with add false, withdraw) ports[0..n) of a container at ep->addr: nftables
 * destination NAT from the host's addresses (127.0.0.1 too) to the container, elements of the
 * maps ports_any and ports_ip. A host port already published (by this or another container) is
 * EADDRINUSE, with Docker's words: "Bind for 0.0.0.0:8080 failed: port is already allocated".
 * When withdrawing, only ep->addr is read of ep (the rest may be zero: a container whose set-up
 * failed midway withdraws what it had published).
 */
int ports_publish(const struct endpoint *ep, const struct port_map *ports, size_t n, bool add, err_t *err);

#endif
