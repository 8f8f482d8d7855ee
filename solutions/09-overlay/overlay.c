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

/* SOLUTION BEGIN */
/* ip link add NAME mtu 1450 up type KIND: the start of the request, to which the caller adds
 * more (IFLA_MASTER, IFLA_LINKINFO). */
static struct nlmsghdr *new_link(struct nl *nl, const char *name)
{
	struct nlmsghdr *msg = nl_request(nl, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(msg, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_change = IFF_UP;
	ifi->ifi_flags = IFF_UP;
	mnl_attr_put_strz(msg, IFLA_IFNAME, name);
	mnl_attr_put_u32(msg, IFLA_MTU, OV_MTU);
	return msg;
}

/* "02:42:0a:00:01:02" as six bytes. */
static int parse_mac(const char *text, unsigned char mac[6], err_t *err)
{
	char end;
	if (sscanf(text, "%2hhx:%2hhx:%2hhx:%2hhx:%2hhx:%2hhx%c", &mac[0], &mac[1], &mac[2], &mac[3], &mac[4], &mac[5],
		   &end) != 6)
		return err_msg(err, EINVAL, "%s: not a MAC address", text);
	return 0;
}

/* A request about a neighbour (family AF_INET) or forwarding (AF_BRIDGE) entry of link. */
static struct nlmsghdr *new_neigh(struct nl *nl, int type, int flags, unsigned char family, unsigned int link)
{
	struct nlmsghdr *msg = nl_request(nl, type, flags);
	struct ndmsg *ndm = mnl_nlmsg_put_extra_header(msg, sizeof(*ndm));
	ndm->ndm_family = family;
	ndm->ndm_ifindex = (int)link;
	ndm->ndm_state = NUD_PERMANENT;
	ndm->ndm_flags = family == AF_BRIDGE ? NTF_SELF : 0; /* the vxlan device's own table, not a bridge's */
	return msg;
}
/* SOLUTION END */

int ov_ensure(struct nl *nl, const struct endpoint *ep, err_t *err)
{
	/* SOLUTION BEGIN */
	char what[192], local[INET_ADDRSTRLEN];
	err_t ignored;

	if (nl_ifindex(nl, ep->vxlan, &ignored) > 0)
		return 0; /* made by an earlier container of the network */
	if (nl_ifindex(nl, ep->bridge, &ignored) == 0) {
		struct nlmsghdr *msg = new_link(nl, ep->bridge);
		struct nlattr *info = mnl_attr_nest_start(msg, IFLA_LINKINFO);
		mnl_attr_put_strz(msg, IFLA_INFO_KIND, "bridge");
		mnl_attr_nest_end(msg, info);
		snprintf(what, sizeof(what), "ip link add %s mtu %d up type bridge", ep->bridge, OV_MTU);
		if (nl_talk(nl, msg, what, err) < 0 && err->code != EEXIST) /* EEXIST: another container, just now */
			return -1;
	}
	unsigned int bridge = nl_ifindex(nl, ep->bridge, err);
	if (bridge == 0)
		return -1;
	struct nlmsghdr *msg = new_link(nl, ep->vxlan);
	mnl_attr_put_u32(msg, IFLA_MASTER, bridge);
	struct nlattr *info = mnl_attr_nest_start(msg, IFLA_LINKINFO);
	mnl_attr_put_strz(msg, IFLA_INFO_KIND, "vxlan");
	struct nlattr *data = mnl_attr_nest_start(msg, IFLA_INFO_DATA);
	mnl_attr_put_u32(msg, IFLA_VXLAN_ID, ep->vni);
	mnl_attr_put(msg, IFLA_VXLAN_LOCAL, sizeof(ep->local), &ep->local);
	mnl_attr_put_u16(msg, IFLA_VXLAN_PORT, htons(OV_PORT)); /* in network order, as on the wire */
	mnl_attr_put_u8(msg, IFLA_VXLAN_LEARNING, 0);
	mnl_attr_put_u8(msg, IFLA_VXLAN_PROXY, 1);
	mnl_attr_nest_end(msg, data);
	mnl_attr_nest_end(msg, info);
	inet_ntop(AF_INET, &ep->local, local, sizeof(local));
	snprintf(what, sizeof(what), "ip link add %s mtu %d master %s up type vxlan id %u local %s dstport %d nolearning proxy",
		 ep->vxlan, OV_MTU, ep->bridge, ep->vni, local, OV_PORT);
	if (nl_talk(nl, msg, what, err) < 0 && err->code != EEXIST)
		return -1;
	return 0;
	/* SOLUTION END: return lab_todo(err, 9, __func__); */
}

int ov_plug(struct nl *host, struct nl *here, int host_ns, const struct endpoint *ep, err_t *err)
{
	/* SOLUTION BEGIN */
	char what[64];

	if (veth_plug(host, here, host_ns, ep, err) < 0)
		return -1;
	/* ip link set eth0 mtu 1450 */
	struct nlmsghdr *msg = nl_request(here, RTM_NEWLINK, 0);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(msg, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(msg, IFLA_IFNAME, ep->ifname);
	mnl_attr_put_u32(msg, IFLA_MTU, OV_MTU);
	snprintf(what, sizeof(what), "ip link set %s mtu %d", ep->ifname, OV_MTU);
	return nl_talk(here, msg, what, err);
	/* SOLUTION END: return lab_todo(err, 9, __func__); */
}

int ov_peer(struct nl *nl, const char *vxlan, const char *mac, struct in_addr addr, struct in_addr host, bool add,
	    err_t *err)
{
	/* SOLUTION BEGIN */
	char what[160], addr_text[INET_ADDRSTRLEN], host_text[INET_ADDRSTRLEN];
	unsigned char lladdr[6];

	if (parse_mac(mac, lladdr, err) < 0)
		return -1;
	unsigned int link = nl_ifindex(nl, vxlan, err);
	if (link == 0)
		return -1;
	inet_ntop(AF_INET, &addr, addr_text, sizeof(addr_text));
	inet_ntop(AF_INET, &host, host_text, sizeof(host_text));
	int type = add ? RTM_NEWNEIGH : RTM_DELNEIGH, flags = add ? NLM_F_CREATE | NLM_F_REPLACE : 0;

	/* bridge fdb replace MAC dev VXLAN dst HOST self permanent: the frames for MAC go to HOST */
	struct nlmsghdr *msg = new_neigh(nl, type, flags, AF_BRIDGE, link);
	mnl_attr_put(msg, NDA_LLADDR, sizeof(lladdr), lladdr);
	if (add)
		mnl_attr_put(msg, NDA_DST, sizeof(host), &host);
	if (add)
		snprintf(what, sizeof(what), "bridge fdb replace %s dev %s dst %s self permanent", mac, vxlan, host_text);
	else
		snprintf(what, sizeof(what), "bridge fdb del %s dev %s self", mac, vxlan);
	if (nl_talk(nl, msg, what, err) < 0 && (add || err->code != ENOENT))
		return -1;

	/* ip neigh replace ADDR lladdr MAC dev VXLAN nud permanent: who asks for ADDR gets MAC */
	msg = new_neigh(nl, type, flags, AF_INET, link);
	mnl_attr_put(msg, NDA_DST, sizeof(addr), &addr);
	if (add)
		mnl_attr_put(msg, NDA_LLADDR, sizeof(lladdr), lladdr);
	if (add)
		snprintf(what, sizeof(what), "ip neigh replace %s lladdr %s dev %s nud permanent", addr_text, mac, vxlan);
	else
		snprintf(what, sizeof(what), "ip neigh del %s dev %s", addr_text, vxlan);
	if (nl_talk(nl, msg, what, err) < 0 && (add || err->code != ENOENT))
		return -1;
	return 0;
	/* SOLUTION END: return lab_todo(err, 9, __func__); */
}

int ov_remove(struct nl *nl, const char *bridge, const char *vxlan, err_t *err)
{
	/* SOLUTION BEGIN */
	const char *const names[] = { vxlan, bridge };

	for (size_t i = 0; i < 2; i++) {
		char what[64];
		struct nlmsghdr *msg = nl_request(nl, RTM_DELLINK, 0);
		struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(msg, sizeof(*ifi));
		ifi->ifi_family = AF_UNSPEC;
		mnl_attr_put_strz(msg, IFLA_IFNAME, names[i]);
		snprintf(what, sizeof(what), "ip link del %s", names[i]);
		if (nl_talk(nl, msg, what, err) < 0 && err->code != ENODEV)
			return -1;
	}
	return 0;
	/* SOLUTION END: return lab_todo(err, 9, __func__); */
}
