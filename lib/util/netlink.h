/*
 * netlink.h - talking to the kernel's network stack over rtnetlink, with libmnl.
 *
 * `ip link`, `ip addr` and `ip route` are front ends to one socket family: netlink. A program
 * sends a message (a struct nlmsghdr, a fixed header such as struct ifinfomsg, then typed
 * attributes: IFLA_IFNAME "eth0", IFLA_MTU 1500, ...) and the kernel answers with an
 * acknowledgement, which carries an errno when the request failed. libmnl builds the messages
 * and walks the answers; these helpers add minidock's error contract. Labs 6 and 7 use them
 * to write each request as the `ip` command it stands for.
 */
#ifndef MINIDOCK_NETLINK_H
#define MINIDOCK_NETLINK_H

#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stddef.h>

#include "err.h"

struct nl {
	struct mnl_socket *sock;
	unsigned int seq;
	char buf[8192]; /* the message being built, then the answers */
};

/* Open a route netlink socket in the calling thread's network namespace (it stays bound to
 * that namespace even after the thread moves to another). */
int nl_open(struct nl *nl, err_t *err);
void nl_close(struct nl *nl);

/* Start a request of type (RTM_NEWLINK, ...) with flags (NLM_F_CREATE | NLM_F_EXCL ...; the
 * request and acknowledgement flags are added) in nl->buf; returns its header, to which the
 * caller adds the fixed header (mnl_nlmsg_put_extra_header) and attributes. */
struct nlmsghdr *nl_request(struct nl *nl, int type, int flags);

/* Send the request built in nl->buf and wait for the kernel's answer: 0, or -1 with the
 * kernel's errno in err, with what (the `ip` command it stands for) as the message. */
int nl_talk(struct nl *nl, struct nlmsghdr *msg, const char *what, err_t *err);

/* The index of interface name in the socket's namespace, or 0 (with ENODEV in err). It is a
 * request of its own, made in nl->buf: call it before nl_request(), never while a request is
 * being built there (it would overwrite it). */
unsigned int nl_ifindex(struct nl *nl, const char *name, err_t *err);

/* Send dump request msg (built with nl_request(..., NLM_F_DUMP), its NLM_F_ACK taken off) and
 * call cb(each answer, data) until the kernel's last; what names it in errors. */
int nl_dump(struct nl *nl, struct nlmsghdr *msg, mnl_cb_t cb, void *data, const char *what, err_t *err);

/* A route's destination subnet. */
struct nl_route {
	struct in_addr dst;
	int prefix;
	unsigned int ifindex; /* the interface it leaves by, 0 when none */
};

/* The IPv4 routes of the socket's namespace that lead to a subnet (`ip -4 route show table
 * all`, less default routes and the local table): at most max of them into out, *out_n. */
int nl_routes(struct nl *nl, struct nl_route *out, size_t max, size_t *out_n, err_t *err);

#endif
