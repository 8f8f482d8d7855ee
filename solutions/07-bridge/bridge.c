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

/* SOLUTION BEGIN */
/* The table: made (again) whole in one transaction; its rules only look things up. */
static const char nft_table[] =
	"add table ip minidock\n"
	"add set ip minidock bridges { type ifname; }\n"
	"add set ip minidock internal { type ifname; }\n"
	"add set ip minidock apart { type ifname . ifname; }\n"
	"add set ip minidock subnets { type ipv4_addr; flags interval; }\n"
	"add map ip minidock ports_any { type inet_proto . inet_service : ipv4_addr . inet_service; }\n"
	"add map ip minidock ports_ip { type ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service; }\n"
	"add chain ip minidock prerouting { type nat hook prerouting priority dstnat; }\n"
	"add chain ip minidock output { type nat hook output priority -100; }\n"
	"add chain ip minidock postrouting { type nat hook postrouting priority srcnat; }\n"
	"add chain ip minidock forward { type filter hook forward priority filter; }\n"
	"add chain ip minidock input { type filter hook input priority filter; }\n"
	"flush chain ip minidock prerouting\n"
	"flush chain ip minidock output\n"
	"flush chain ip minidock postrouting\n"
	"flush chain ip minidock forward\n"
	"flush chain ip minidock input\n"
	/* Published ports: to one of the host's addresses (127.0.0.1 too), on a host port. */
	"add rule ip minidock prerouting fib daddr type local dnat ip to ip daddr . meta l4proto . th dport map @ports_ip\n"
	"add rule ip minidock prerouting fib daddr type local dnat ip to meta l4proto . th dport map @ports_any\n"
	"add rule ip minidock output fib daddr type local dnat ip to ip daddr . meta l4proto . th dport map @ports_ip\n"
	"add rule ip minidock output fib daddr type local dnat ip to meta l4proto . th dport map @ports_any\n"
	/* Going out: the host's address as the source. From 127.0.0.1 to a container: the bridge's. */
	"add rule ip minidock postrouting ip saddr @subnets oifname != @bridges masquerade\n"
	"add rule ip minidock postrouting ip saddr 127.0.0.0/8 oifname @bridges masquerade\n"
	/* Networks apart (a pair of different bridges is in @apart), but a published port is for
	 * everyone; an internal network: no way in or out, not even to the host. (Where br_netfilter is loaded, traffic
	 * within one bridge comes here too, from the bridge to itself: it passes.) */
	"add rule ip minidock forward ct status dnat oifname != @internal accept\n"
	"add rule ip minidock forward iifname @internal oifname != @internal drop\n"
	"add rule ip minidock forward oifname @internal iifname != @internal drop\n"
	"add rule ip minidock forward iifname . oifname @apart drop\n"
	"add rule ip minidock input iifname @internal drop\n";

/* Run nft commands (the syntax of nft -f) in one transaction. */
static int nft_run(const char *commands, err_t *err)
{
	struct nft_ctx *nft = nft_ctx_new(NFT_CTX_DEFAULT);

	if (!nft) /* out of memory, or libnftables.so.1 missing (lib/util/nftables.c loads it) */
		return err_sys(err, "nftables: no context");
	nft_ctx_buffer_output(nft);
	nft_ctx_buffer_error(nft);
	int rc = nft_run_cmd_from_buffer(nft, commands);
	if (rc != 0) {
		const char *why = nft_ctx_get_error_buffer(nft);
		err_msg(err, EINVAL, "nftables: %.*s", (int)strcspn(why ? why : "", "\n"), why ? why : "failed");
	}
	nft_ctx_free(nft);
	return rc == 0 ? 0 : -1;
}

/* The bridges in the table now (JSON listing of the set), NULL-terminated, malloc'd. */
static char **table_bridges(void)
{
	struct nft_ctx *nft = nft_ctx_new(NFT_CTX_DEFAULT);
	char **names = calloc(64, sizeof(char *));
	size_t n = 0;

	if (!nft || !names) {
		if (nft)
			nft_ctx_free(nft);
		return names;
	}
	nft_ctx_output_set_flags(nft, NFT_CTX_OUTPUT_JSON);
	nft_ctx_buffer_output(nft);
	nft_ctx_buffer_error(nft);
	if (nft_run_cmd_from_buffer(nft, "list set ip minidock bridges") == 0) {
		/* {"nftables": [{"metainfo": ...}, {"set": {..., "elem": ["minidock0", ...]}}]} */
		json_t *doc = json_loads(nft_ctx_get_output_buffer(nft), 0, NULL);
		size_t i, j;
		json_t *item, *elem;
		json_array_foreach(json_object_get(doc, "nftables"), i, item)
			json_array_foreach(json_object_get(json_object_get(item, "set"), "elem"), j, elem)
				if (json_is_string(elem) && n < 63)
					names[n++] = strdup(json_string_value(elem));
		json_decref(doc);
	}
	nft_ctx_free(nft);
	return names;
}

/* Write value to a file of /proc/sys. */
static int sysctl(const char *path, const char *value, err_t *err)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0 || fs_write_all(fd, value, strlen(value)) < 0)
		return err_sys(err, "write %s", path);
	return 0;
}

/* Put an IPv4 address attribute. */
static void put_addr(struct nlmsghdr *msg, unsigned short type, struct in_addr addr)
{
	mnl_attr_put(msg, type, sizeof(addr), &addr);
}
/* SOLUTION END */

int br_ensure(struct nl *host, const struct endpoint *ep, err_t *err)
{
	/* SOLUTION BEGIN */
	err_t ignored;
	char what[128], subnet[32];

	/* Made already (by the network's first container): nothing to do. */
	if (nl_ifindex(host, ep->bridge, &ignored) > 0)
		return 0;

	/* ip link add NAME type bridge */
	struct nlmsghdr *msg = nl_request(host, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(msg, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(msg, IFLA_IFNAME, ep->bridge);
	struct nlattr *linkinfo = mnl_attr_nest_start(msg, IFLA_LINKINFO);
	mnl_attr_put_strz(msg, IFLA_INFO_KIND, "bridge");
	mnl_attr_nest_end(msg, linkinfo);
	snprintf(what, sizeof(what), "ip link add %s type bridge", ep->bridge);
	if (nl_talk(host, msg, what, err) < 0 && err->code != EEXIST)
		return -1;
	unsigned int index = nl_ifindex(host, ep->bridge, err);
	if (index == 0)
		return -1;

	/* ip addr add GATEWAY/PREFIX dev NAME: the bridge is the containers' way out. */
	msg = nl_request(host, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(msg, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = (unsigned char)ep->prefix;
	ifa->ifa_index = index;
	put_addr(msg, IFA_LOCAL, ep->gateway);
	put_addr(msg, IFA_ADDRESS, ep->gateway);
	char gateway[32];
	inet_ntop(AF_INET, &ep->gateway, gateway, sizeof(gateway));
	snprintf(what, sizeof(what), "ip addr add %s/%d dev %s", gateway, ep->prefix, ep->bridge);
	if (nl_talk(host, msg, what, err) < 0 && err->code != EEXIST)
		return -1;
	if (nl_link_up(host, ep->bridge, err) < 0)
		return -1;

	/* Routing between the bridge and the rest; 127.0.0.1 may be sent to a container (DNAT). */
	char path[96];
	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/route_localnet", ep->bridge);
	if (sysctl("/proc/sys/net/ipv4/ip_forward", "1", err) < 0 || sysctl(path, "1", err) < 0)
		return -1;

	/* The network in the table: its bridge, apart from each other network's, and its subnet
	 * masqueraded unless it is internal. */
	struct in_addr net = { ep->gateway.s_addr & htonl(~0U << (32 - ep->prefix)) };
	inet_ntop(AF_INET, &net, subnet, sizeof(subnet));
	if (nft_run(nft_table, err) < 0)
		return err_wrap(err, "network %s", ep->network);
	_cleanup_strv_ char **others = table_bridges();
	char commands[8192];
	int n = snprintf(commands, sizeof(commands), "add element ip minidock bridges { \"%s\" }\n", ep->bridge);
	for (size_t i = 0; others && others[i] && n < (int)sizeof(commands) - 256; i++)
		if (strcmp(others[i], ep->bridge) != 0)
			n += snprintf(commands + n, sizeof(commands) - (size_t)n,
				      "add element ip minidock apart { \"%s\" . \"%s\", \"%s\" . \"%s\" }\n",
				      ep->bridge, others[i], others[i], ep->bridge);
	if (ep->internal)
		snprintf(commands + n, sizeof(commands) - (size_t)n, "add element ip minidock internal { \"%s\" }\n",
			 ep->bridge);
	else
		snprintf(commands + n, sizeof(commands) - (size_t)n, "add element ip minidock subnets { %s/%d }\n", subnet,
			 ep->prefix);
	return nft_run(commands, err);
	/* SOLUTION END: return lab_todo(err, 7, __func__); */
}

int br_remove(const json_t *net, err_t *err)
{
	/* SOLUTION BEGIN */
	const char *bridge = json_str(net, "Bridge");
	struct nl nl;
	char commands[512];

	/* Out of the table first (an element that is not there is no error: `destroy`-like). */
	snprintf(commands, sizeof(commands), "delete element ip minidock bridges { \"%s\" }\n", bridge);
	err_t ignored;
	nft_run(commands, &ignored);
	_cleanup_strv_ char **others = table_bridges();
	for (size_t i = 0; others && others[i]; i++) {
		snprintf(commands, sizeof(commands),
			 "delete element ip minidock apart { \"%s\" . \"%s\", \"%s\" . \"%s\" }\n", bridge,
			 others[i], others[i], bridge);
		nft_run(commands, &ignored);
	}
	snprintf(commands, sizeof(commands), "delete element ip minidock %s { %s }\n",
		 json_is_true(json_object_get(net, "Internal")) ? "internal" : "subnets",
		 json_is_true(json_object_get(net, "Internal")) ? "" : json_str(net, "Subnet"));
	if (json_is_true(json_object_get(net, "Internal")))
		snprintf(commands, sizeof(commands), "delete element ip minidock internal { \"%s\" }\n", bridge);
	nft_run(commands, &ignored);

	/* ip link del NAME (a bridge nobody used was never made: fine). */
	if (nl_open(&nl, err) < 0)
		return -1;
	struct nlmsghdr *msg = nl_request(&nl, RTM_DELLINK, 0);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(msg, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(msg, IFLA_IFNAME, bridge);
	char what[64];
	snprintf(what, sizeof(what), "ip link del %s", bridge);
	int rc = nl_talk(&nl, msg, what, err);
	nl_close(&nl);
	return rc < 0 && err->code != ENODEV ? -1 : 0;
	/* SOLUTION END: return lab_todo(err, 7, __func__); */
}

int veth_plug(struct nl *host, struct nl *here, int host_ns, const struct endpoint *ep, err_t *err)
{
	/* SOLUTION BEGIN */
	char peer[IFNAMSIZ], what[128];
	unsigned char mac[6], rnd[4];

	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		return err_sys(err, "getrandom");
	/* Docker's names: "veth" and 7 hex digits. */
	snprintf(peer, sizeof(peer), "veth%02x%02x%02x%x", rnd[0], rnd[1], rnd[2], rnd[3] & 0xf);
	sscanf(ep->mac, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1], &mac[2], &mac[3], &mac[4], &mac[5]);

	/* ip link add eth0 address MAC up type veth peer name PEER netns HOST: made here, up from
	 * birth, with its other end born in the host's namespace. (eth0 stands for ep->ifname.)
	 * Only this end can be born up: the kernel makes the peer first, and a veth whose peer
	 * does not exist yet refuses to go up (ENOTCONN). */
	struct nlmsghdr *msg = nl_request(here, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(msg, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_change = IFF_UP;
	ifi->ifi_flags = IFF_UP;
	mnl_attr_put_strz(msg, IFLA_IFNAME, ep->ifname);
	mnl_attr_put(msg, IFLA_ADDRESS, sizeof(mac), mac);
	struct nlattr *linkinfo = mnl_attr_nest_start(msg, IFLA_LINKINFO);
	mnl_attr_put_strz(msg, IFLA_INFO_KIND, "veth");
	struct nlattr *data = mnl_attr_nest_start(msg, IFLA_INFO_DATA);
	struct nlattr *peer_info = mnl_attr_nest_start(msg, VETH_INFO_PEER);
	struct ifinfomsg *peer_ifi = mnl_nlmsg_put_extra_header(msg, sizeof(*peer_ifi));
	peer_ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(msg, IFLA_IFNAME, peer);
	mnl_attr_put_u32(msg, IFLA_NET_NS_FD, (uint32_t)host_ns);
	mnl_attr_nest_end(msg, peer_info);
	mnl_attr_nest_end(msg, data);
	mnl_attr_nest_end(msg, linkinfo);
	snprintf(what, sizeof(what), "ip link add %s up type veth peer name %s netns host", ep->ifname, peer);
	if (nl_talk(here, msg, what, err) < 0)
		return -1;

	/* ip link set PEER master BRIDGE up (in the host's namespace) */
	unsigned int bridge = nl_ifindex(host, ep->bridge, err);
	if (bridge == 0)
		return -1;
	msg = nl_request(host, RTM_NEWLINK, 0);
	ifi = mnl_nlmsg_put_extra_header(msg, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_change = IFF_UP;
	ifi->ifi_flags = IFF_UP;
	mnl_attr_put_strz(msg, IFLA_IFNAME, peer);
	mnl_attr_put_u32(msg, IFLA_MASTER, bridge);
	snprintf(what, sizeof(what), "ip link set %s master %s up", peer, ep->bridge);
	if (nl_talk(host, msg, what, err) < 0)
		return -1;

	/* ip addr add ADDR/PREFIX dev eth0 */
	unsigned int eth0 = nl_ifindex(here, ep->ifname, err);
	if (eth0 == 0)
		return -1;
	msg = nl_request(here, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(msg, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = (unsigned char)ep->prefix;
	ifa->ifa_index = eth0;
	put_addr(msg, IFA_LOCAL, ep->addr);
	put_addr(msg, IFA_ADDRESS, ep->addr);
	if (nl_talk(here, msg, "ip addr add ADDR dev eth0", err) < 0)
		return -1;
	if (!ep->default_route)
		return 0;

	/* ip route add default via GATEWAY dev eth0 */
	msg = nl_request(here, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(msg, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = 0;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_BOOT;
	rtm->rtm_scope = RT_SCOPE_UNIVERSE;
	rtm->rtm_type = RTN_UNICAST;
	put_addr(msg, RTA_GATEWAY, ep->gateway);
	mnl_attr_put_u32(msg, RTA_OIF, eth0);
	return nl_talk(here, msg, "ip route add default via GATEWAY dev eth0", err);
	/* SOLUTION END: return lab_todo(err, 7, __func__); */
}

int ports_publish(const struct endpoint *ep, const struct port_map *ports, size_t n, bool add, err_t *err)
{
	/* SOLUTION BEGIN */
	char addr[32], commands[4096];
	size_t used = 0;

	inet_ntop(AF_INET, &ep->addr, addr, sizeof(addr));
	for (size_t i = 0; i < n && used < sizeof(commands) - 256; i++) {
		char host_ip[32], key[96];
		inet_ntop(AF_INET, &ports[i].host_ip, host_ip, sizeof(host_ip));
		if (ports[i].host_ip.s_addr == INADDR_ANY)
			snprintf(key, sizeof(key), "ports_any { %s . %d", ports[i].proto, ports[i].host_port);
		else
			snprintf(key, sizeof(key), "ports_ip { %s . %s . %d", host_ip, ports[i].proto, ports[i].host_port);
		/* `create`, not `add`: a host port already published is an error, not a takeover. */
		if (add)
			used += (size_t)snprintf(commands + used, sizeof(commands) - used,
						 "create element ip minidock %s : %s . %d }\n", key, addr,
						 ports[i].container_port);
		else
			used += (size_t)snprintf(commands + used, sizeof(commands) - used,
						 "delete element ip minidock %s }\n", key);
	}
	if (nft_run(commands, err) < 0) {
		if (add && n > 0)
			return err_msg(err, EADDRINUSE, "Bind for %s:%d failed: port is already allocated",
				       ports[0].host_ip.s_addr ? "the address" : "0.0.0.0", ports[0].host_port);
		return -1;
	}
	return 0;
	/* SOLUTION END: return lab_todo(err, 7, __func__); */
}
