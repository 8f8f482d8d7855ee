/* netlink.c - see netlink.h. */
#define _GNU_SOURCE
#include "netlink.h"

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int nl_open(struct nl *nl, err_t *err)
{
	nl->sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!nl->sock)
		return err_sys(err, "open a netlink socket");
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		err_sys(err, "bind the netlink socket");
		mnl_socket_close(nl->sock);
		nl->sock = NULL;
		return -1;
	}
	nl->seq = (unsigned int)time(NULL);
	return 0;
}

void nl_close(struct nl *nl)
{
	if (nl->sock)
		mnl_socket_close(nl->sock);
	nl->sock = NULL;
}

struct nlmsghdr *nl_request(struct nl *nl, int type, int flags)
{
	struct nlmsghdr *msg = mnl_nlmsg_put_header(nl->buf);

	msg->nlmsg_type = (unsigned short)type;
	msg->nlmsg_flags = (unsigned short)(NLM_F_REQUEST | NLM_F_ACK | flags);
	msg->nlmsg_seq = ++nl->seq;
	return msg;
}

int nl_talk(struct nl *nl, struct nlmsghdr *msg, const char *what, err_t *err)
{
	unsigned int portid = mnl_socket_get_portid(nl->sock), seq = msg->nlmsg_seq;

	if (mnl_socket_sendto(nl->sock, msg, msg->nlmsg_len) < 0)
		return err_sys(err, "%s: send", what);
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl->sock, nl->buf, sizeof(nl->buf));
		if (n < 0)
			return err_sys(err, "%s", what);
		/* mnl_cb_run turns the acknowledgement's error into -1 and errno. */
		int rc = mnl_cb_run(nl->buf, (size_t)n, seq, portid, NULL, NULL);
		if (rc < 0)
			return err_sys(err, "%s", what);
		if (rc == MNL_CB_STOP)
			return 0;
	}
}

unsigned int nl_ifindex(struct nl *nl, const char *name, err_t *err)
{
	/* RTM_GETLINK with IFLA_IFNAME: the kernel answers with that one link. */
	struct nlmsghdr *msg = nl_request(nl, RTM_GETLINK, 0);
	msg->nlmsg_flags &= (unsigned short)~NLM_F_ACK;
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(msg, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(msg, IFLA_IFNAME, name);
	if (mnl_socket_sendto(nl->sock, msg, msg->nlmsg_len) < 0) {
		err_sys(err, "find interface %s", name);
		return 0;
	}
	ssize_t n = mnl_socket_recvfrom(nl->sock, nl->buf, sizeof(nl->buf));
	if (n < 0) {
		err_sys(err, "find interface %s", name);
		return 0;
	}
	struct nlmsghdr *answer = (struct nlmsghdr *)nl->buf;
	if (answer->nlmsg_type == NLMSG_ERROR) {
		struct nlmsgerr *e = mnl_nlmsg_get_payload(answer);
		err_set(err, -e->error ? -e->error : ENODEV, "find interface %s", name);
		return 0;
	}
	ifi = mnl_nlmsg_get_payload(answer);
	return (unsigned int)ifi->ifi_index;
}

/* One answer of the route dump: its destination, when it has one and is not a default route. */
struct route_walk {
	struct nl_route *out;
	size_t max, n;
};

/* data: {RTA_DST, RTA_OIF} attributes, when the answer has them. */
static int route_attr(const struct nlattr *attr, void *data)
{
	const struct nlattr **found = data;
	if (mnl_attr_get_type(attr) == RTA_DST && mnl_attr_get_payload_len(attr) == 4)
		found[0] = attr;
	else if (mnl_attr_get_type(attr) == RTA_OIF && mnl_attr_get_payload_len(attr) == 4)
		found[1] = attr;
	return MNL_CB_OK;
}

static int route_cb(const struct nlmsghdr *msg, void *data)
{
	struct route_walk *walk = data;
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(msg);
	const struct nlattr *found[2] = { NULL, NULL };

	/* Default routes (prefix 0) and the local table's host entries say nothing of a subnet. */
	if (rtm->rtm_family != AF_INET || rtm->rtm_dst_len == 0 || rtm->rtm_table == RT_TABLE_LOCAL)
		return MNL_CB_OK;
	mnl_attr_parse(msg, sizeof(*rtm), route_attr, found);
	if (found[0] && walk->n < walk->max) {
		memcpy(&walk->out[walk->n].dst, mnl_attr_get_payload(found[0]), 4);
		walk->out[walk->n].prefix = rtm->rtm_dst_len;
		walk->out[walk->n].ifindex = found[1] ? mnl_attr_get_u32(found[1]) : 0;
		walk->n++;
	}
	return MNL_CB_OK;
}

int nl_dump(struct nl *nl, struct nlmsghdr *msg, mnl_cb_t cb, void *data, const char *what, err_t *err)
{
	unsigned int portid = mnl_socket_get_portid(nl->sock), seq = msg->nlmsg_seq;

	if (mnl_socket_sendto(nl->sock, msg, msg->nlmsg_len) < 0)
		return err_sys(err, "%s: send", what);
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl->sock, nl->buf, sizeof(nl->buf));
		if (n < 0)
			return err_sys(err, "%s", what);
		int rc = mnl_cb_run(nl->buf, (size_t)n, seq, portid, cb, data);
		if (rc < 0)
			return err_sys(err, "%s", what);
		if (rc == MNL_CB_STOP)
			return 0;
	}
}

int nl_routes(struct nl *nl, struct nl_route *out, size_t max, size_t *out_n, err_t *err)
{
	/* ip -4 route show table all */
	struct nlmsghdr *msg = nl_request(nl, RTM_GETROUTE, NLM_F_DUMP);
	msg->nlmsg_flags &= (unsigned short)~NLM_F_ACK;
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(msg, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	struct route_walk walk = { .out = out, .max = max };

	if (nl_dump(nl, msg, route_cb, &walk, "ip route show", err) < 0)
		return -1;
	*out_n = walk.n;
	return 0;
}
