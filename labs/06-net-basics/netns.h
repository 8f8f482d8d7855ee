/*
 * netns.h - lab 6's contract: the networks none and host.
 *
 * A container's network is set up by its monitor (lib/engine/ctr_net.c) just before PID 1
 * starts; what it does for every mode first is net_enter().
 */
#ifndef MINIDOCK_NETNS_H
#define MINIDOCK_NETNS_H

#include "err.h"
#include "netlink.h"

/*
 * Give the calling process the network of mode: for "host", nothing (the host's namespace is
 * kept, as Docker's host mode does); for any other mode, a new, empty network namespace
 * (unshare(CLONE_NEWNET)), whose loopback interface lo it brings up (`ip link set lo up`,
 * through netlink): that alone is `--network none`. Children made afterwards (the container's
 * PID 1) are in the same namespace.
 */
int net_enter(const char *mode, err_t *err);

/* `ip link set NAME up` in nl's namespace. */
int nl_link_up(struct nl *nl, const char *name, err_t *err);

#endif
