/*
 * overlay.c - lab 9: one network across hosts (see overlay.h for the contract, course.md
 * chapter 9 for the ideas).
 *
 * The picture, an overlay network with VNI 4096 on two hosts:
 *
 *   host A (underlay 192.168.50.1)               host B (underlay 192.168.50.2)
 *   ┌ container ┐   ┌ container ┐                 ┌ container ┐
 *   │ eth0 .2   │   │ eth0 .3   │                 │ eth0 .4   │  (10.0.1.0/24, MTU 1450)
 *   └─────┬─────┘   └─────┬─────┘                 └─────┬─────┘
 *       veth             veth                          veth
 *   ┌─────┴───────────────┴──── ov-4096 ┐         ┌─────┴──── ov-4096 ┐   bridges
 *   └──────────────────── vx-4096 ──────┘         └─────── vx-4096 ───┘   VXLAN 4096
 *                              └── UDP 4789 over the LAN ──┘
 *
 * A's vx-4096 knows that .4 has MAC 02:42:0a:00:01:04 (a neighbour entry: it answers the ARP
 * request itself) and that this MAC is behind 192.168.50.2 (an FDB entry): a frame for it
 * leaves A in a UDP datagram to B, whose vx-4096 hands it to its bridge.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include "bridge.h"
#include "lab.h"
#include "overlay.h"


int ov_ensure(struct nl *nl, const struct endpoint *ep, err_t *err)
{
	/* TODO(lab 9): write this (see course.md, chapter 9). */
	return lab_todo(err, 9, __func__);
}

int ov_plug(struct nl *host, struct nl *here, int host_ns, const struct endpoint *ep, err_t *err)
{
	/* TODO(lab 9): write this (see course.md, chapter 9). */
	return lab_todo(err, 9, __func__);
}

int ov_peer(struct nl *nl, const char *vxlan, const char *mac, struct in_addr addr, struct in_addr host, bool add,
	    err_t *err)
{
	/* TODO(lab 9): write this (see course.md, chapter 9). */
	return lab_todo(err, 9, __func__);
}

int ov_remove(struct nl *nl, const char *bridge, const char *vxlan, err_t *err)
{
	/* TODO(lab 9): write this (see course.md, chapter 9). */
	return lab_todo(err, 9, __func__);
}
