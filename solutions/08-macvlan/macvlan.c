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

/* SOLUTION BEGIN */
/* The mode words of `-o macvlan_mode=` and `-o ipvlan_mode=`, as the kernel numbers them. */
static const struct {
	const char *word;
	unsigned int value;
} macvlan_modes[] = {
	{ "private", MACVLAN_MODE_PRIVATE },
	{ "vepa", MACVLAN_MODE_VEPA },
	{ "bridge", MACVLAN_MODE_BRIDGE },
	{ "passthru", MACVLAN_MODE_PASSTHRU },
},
  ipvlan_modes[] = {
	  { "l2", IPVLAN_MODE_L2 },
	  { "l3", IPVLAN_MODE_L3 },
  };

/* ip link add NAME [link LINK] up type KIND: the start of the request, to which the caller
 * adds its IFLA_LINKINFO. */
static struct nlmsghdr *new_link(struct nl *nl, const char *name, unsigned int link)
{
	struct nlmsghdr *msg = nl_request(nl, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(msg, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_change = IFF_UP;
	ifi->ifi_flags = IFF_UP;
	mnl_attr_put_strz(msg, IFLA_IFNAME, name);
	if (link)
		mnl_attr_put_u32(msg, IFLA_LINK, link);
	return msg;
}
/* SOLUTION END */

int mv_parent_make(struct nl *nl, const char *name, bool dummy, bool *made, err_t *err)
{
	/* SOLUTION BEGIN */
	char what[128], link_name[IFNAMSIZ];
	err_t ignored;

	*made = false;
	if (nl_ifindex(nl, name, &ignored) > 0)
		return 0; /* the host's own, or made already */
	struct nlmsghdr *msg;
	if (dummy) {
		msg = new_link(nl, name, 0);
		struct nlattr *info = mnl_attr_nest_start(msg, IFLA_LINKINFO);
		mnl_attr_put_strz(msg, IFLA_INFO_KIND, "dummy");
		mnl_attr_nest_end(msg, info);
		snprintf(what, sizeof(what), "ip link add %s up type dummy", name);
	} else {
		/* eth1.50: the link before the last dot, the VLAN id after it. */
		const char *dot = strrchr(name, '.');
		if (!dot)
			return err_msg(err, ENODEV, "-o parent=%s: the host has no interface %s", name, name);
		char *end;
		long id = strtol(dot + 1, &end, 10);
		if (dot == name || *end || end == dot + 1 || id < 1 || id > 4094)
			return err_msg(err, EINVAL, "-o parent=%s: a VLAN id is a number from 1 to 4094", name);
		snprintf(link_name, sizeof(link_name), "%.*s", (int)(dot - name), name);
		unsigned int link = nl_ifindex(nl, link_name, err);
		if (link == 0)
			return err_msg(err, ENODEV, "-o parent=%s: the host has no interface %s", name, link_name);
		msg = new_link(nl, name, link);
		struct nlattr *info = mnl_attr_nest_start(msg, IFLA_LINKINFO);
		mnl_attr_put_strz(msg, IFLA_INFO_KIND, "vlan");
		struct nlattr *data = mnl_attr_nest_start(msg, IFLA_INFO_DATA);
		mnl_attr_put_u16(msg, IFLA_VLAN_ID, (uint16_t)id);
		mnl_attr_nest_end(msg, data);
		mnl_attr_nest_end(msg, info);
		snprintf(what, sizeof(what), "ip link add link %s name %s up type vlan id %ld", link_name, name, id);
	}
	if (nl_talk(nl, msg, what, err) < 0)
		return -1;
	*made = true;
	return 0;
	/* SOLUTION END: return lab_todo(err, 8, __func__); */
}

int mv_parent_remove(struct nl *nl, const char *name, err_t *err)
{
	/* SOLUTION BEGIN */
	char what[64];
	struct nlmsghdr *msg = nl_request(nl, RTM_DELLINK, 0);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(msg, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(msg, IFLA_IFNAME, name);
	snprintf(what, sizeof(what), "ip link del %s", name);
	return nl_talk(nl, msg, what, err);
	/* SOLUTION END: return lab_todo(err, 8, __func__); */
}

int mv_plug(struct nl *host, struct nl *here, const struct endpoint *ep, err_t *err)
{
	/* SOLUTION BEGIN */
	char what[160];
	bool ipvlan = strcmp(ep->driver, "ipvlan") == 0;
	unsigned int mode = 0;
	bool found = false;

	for (size_t i = 0; !ipvlan && i < sizeof(macvlan_modes) / sizeof(macvlan_modes[0]); i++)
		if (strcmp(ep->mode, macvlan_modes[i].word) == 0)
			mode = macvlan_modes[i].value, found = true;
	for (size_t i = 0; ipvlan && i < sizeof(ipvlan_modes) / sizeof(ipvlan_modes[0]); i++)
		if (strcmp(ep->mode, ipvlan_modes[i].word) == 0)
			mode = ipvlan_modes[i].value, found = true;
	if (!found)
		return err_msg(err, EINVAL, "%s mode %s: not one the kernel has", ep->driver, ep->mode);
	unsigned int parent = nl_ifindex(host, ep->parent, err);
	if (parent == 0)
		return err_wrap(err, "the parent of network %s", ep->network);

	/* ip link add link PARENT name eth0 netns OURS up [address MAC] type macvlan mode MODE: the
	 * parent is looked up in the socket's namespace (the host's), the link is born in ours. */
	struct nlmsghdr *msg = new_link(host, ep->ifname, parent);
	mnl_attr_put_u32(msg, IFLA_NET_NS_PID, (uint32_t)getpid());
	if (!ipvlan) {
		unsigned char mac[6];
		sscanf(ep->mac, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1], &mac[2], &mac[3], &mac[4], &mac[5]);
		mnl_attr_put(msg, IFLA_ADDRESS, sizeof(mac), mac);
	}
	struct nlattr *info = mnl_attr_nest_start(msg, IFLA_LINKINFO);
	mnl_attr_put_strz(msg, IFLA_INFO_KIND, ep->driver);
	struct nlattr *data = mnl_attr_nest_start(msg, IFLA_INFO_DATA);
	if (ipvlan)
		mnl_attr_put_u16(msg, IFLA_IPVLAN_MODE, (uint16_t)mode);
	else
		mnl_attr_put_u32(msg, IFLA_MACVLAN_MODE, mode);
	mnl_attr_nest_end(msg, data);
	mnl_attr_nest_end(msg, info);
	snprintf(what, sizeof(what), "ip link add link %s name %s up type %s mode %s", ep->parent, ep->ifname,
		 ep->driver, ep->mode);
	if (nl_talk(host, msg, what, err) < 0)
		return -1;

	/* ip addr add ADDR/PREFIX dev eth0 */
	unsigned int link = nl_ifindex(here, ep->ifname, err);
	if (link == 0)
		return -1;
	msg = nl_request(here, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(msg, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = (unsigned char)ep->prefix;
	ifa->ifa_index = link;
	mnl_attr_put(msg, IFA_LOCAL, sizeof(ep->addr), &ep->addr);
	mnl_attr_put(msg, IFA_ADDRESS, sizeof(ep->addr), &ep->addr);
	if (nl_talk(here, msg, "ip addr add ADDR dev eth0", err) < 0)
		return -1;
	if (!ep->default_route)
		return 0;

	/* ip route add default via GATEWAY dev eth0 (ipvlan l3: ip route add default dev eth0) */
	msg = nl_request(here, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(msg, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_BOOT;
	rtm->rtm_type = RTN_UNICAST;
	bool l3 = ipvlan && mode == IPVLAN_MODE_L3;
	rtm->rtm_scope = l3 ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE;
	if (!l3)
		mnl_attr_put(msg, RTA_GATEWAY, sizeof(ep->gateway), &ep->gateway);
	mnl_attr_put_u32(msg, RTA_OIF, link);
	return nl_talk(here, msg, l3 ? "ip route add default dev eth0" : "ip route add default via GATEWAY dev eth0",
		       err);
	/* SOLUTION END: return lab_todo(err, 8, __func__); */
}
