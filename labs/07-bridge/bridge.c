/*
 * bridge.c - lab 7: bridge networks (see bridge.h for the contract, course.md chapter 7
 * for the ideas).
 *
 * The picture, for the default network:
 *
 *   container's namespace        host's namespace
 *   eth0 172.17.0.2/16 ─── veth ─── vethXXXXXXX ── minidock0 (bridge) 172.17.0.1/16
 *   default via 172.17.0.1                              │ routed, then masqueraded (nftables)
 *                                                       └── eth0 of the host ── the outside
 *
 * A bridge is a switch inside the kernel; a veth pair is a cable whose two ends can sit in two
 * namespaces. The bridge has the gateway's address, so the host routes between the containers'
 * subnet and its other interfaces; nftables rewrites the source of what leaves (masquerade),
 * and the destination of what arrives on a published port (DNAT).
 *
 * minidock's nftables table is its own (`table ip minidock`), and its rules never change after
 * they are made: they consult sets and maps (which bridges are minidock's, which subnets to
 * masquerade, which host ports go where), and a network or a container only adds and deletes
 * elements. So removing a container's port is one `delete element`, not a hunt for rule handles.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/veth.h>
#include <nftables/libnftables.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "bridge.h"
#include "cleanup.h"
#include "fsutil.h"
#include "json.h"
#include "lab.h"
#include "netlink.h"
#include "netns.h"


int br_ensure(struct nl *host, const struct endpoint *ep, err_t *err)
{
	/* TODO(lab 7): write this (see course.md, chapter 7). */
	return lab_todo(err, 7, __func__);
}

int br_remove(const json_t *net, err_t *err)
{
	/* TODO(lab 7): write this (see course.md, chapter 7). */
	return lab_todo(err, 7, __func__);
}

int veth_plug(struct nl *host, struct nl *here, int host_ns, const struct endpoint *ep, err_t *err)
{
	/* TODO(lab 7): write this (see course.md, chapter 7). */
	return lab_todo(err, 7, __func__);
}

int ports_publish(const struct endpoint *ep, const struct port_map *ports, size_t n, bool add, err_t *err)
{
	/* TODO(lab 7): write this (see course.md, chapter 7). */
	return lab_todo(err, 7, __func__);
}
