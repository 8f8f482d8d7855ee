/*
 * macvlan.c - lab 8: containers on the LAN (see macvlan.h for the contract, course.md chapter
 * 8 for the ideas).
 *
 * The picture, a macvlan network on eth1 of two hosts:
 *
 *   host A                                        host B
 *   ┌ container ┐  ┌ container ┐                  ┌ container ┐
 *   │ eth0 .10  │  │ eth0 .11  │                  │ eth0 .20  │
 *   └─────┬─────┘  └─────┬─────┘                  └─────┬─────┘
 *     macvlan        macvlan      (own MACs)        macvlan
 *         └───── eth1 ─┘                              └── eth1
 *                  └──────────────── the LAN ───────────────┘
 *
 * A macvlan link is a second MAC address on its parent card: frames for that MAC are handed
 * to it, frames it sends leave by the card. Nothing on the host routes or translates: the
 * containers are machines of the LAN. One thing the kernel forbids: the host itself cannot
 * talk to its own macvlan children through the parent (their frames never come back up the
 * card), which course.md shows how to get around.
 */
#include <errno.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lab.h"
#include "macvlan.h"


int mv_parent_make(struct nl *nl, const char *name, bool dummy, bool *made, err_t *err)
{
	/* TODO(lab 8): write this (see course.md, chapter 8). */
	return lab_todo(err, 8, __func__);
}

int mv_parent_remove(struct nl *nl, const char *name, err_t *err)
{
	/* TODO(lab 8): write this (see course.md, chapter 8). */
	return lab_todo(err, 8, __func__);
}

int mv_plug(struct nl *host, struct nl *here, const struct endpoint *ep, err_t *err)
{
	/* TODO(lab 8): write this (see course.md, chapter 8). */
	return lab_todo(err, 8, __func__);
}
