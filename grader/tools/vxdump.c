/*
 * vxdump.c - the VXLAN datagrams that pass a network card, taken apart layer by layer (stage 9,
 * and chapter 9 of course.md in `make sandbox HOSTS=2`).
 *
 *	vxdump IFACE [COUNT]
 *
 * Waits for COUNT (default 1) UDP datagrams to or from port 4789 on IFACE, in either direction,
 * and prints each as the stack of headers it is: the outer Ethernet, IPv4 and UDP headers the
 * underlay routes, the 8-byte VXLAN header with its network identifier (VNI), then the inner
 * Ethernet frame the container sent, and its IPv4 header. busybox has no tcpdump, and this
 * shows only what the chapter is about. Exits 0 once COUNT were seen.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#define VXLAN_PORT 4789

static void mac_text(const unsigned char *m, char out[18])
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

static const char *proto_name(unsigned p)
{
	return p == 1 ? "ICMP" : p == 6 ? "TCP" : p == 17 ? "UDP" : "?";
}

/* Ethernet header at f: "DST <- SRC, type". */
static void show_ethernet(const char *label, const unsigned char *f)
{
	char dst[18], src[18];
	mac_text(f, dst);
	mac_text(f + 6, src);
	unsigned type = (unsigned)(f[12] << 8 | f[13]);
	printf("%-15s [14 bytes] %s -> %s, type 0x%04x%s\n", label, src, dst, type,
	       type == ETH_P_IP ? " (IPv4)" : type == ETH_P_ARP ? " (ARP)" : "");
}

/* IPv4 header at p (len bytes left): returns its length, or 0. */
static size_t show_ipv4(const char *label, const unsigned char *p, size_t len)
{
	if (len < 20 || p[0] >> 4 != 4)
		return 0;
	size_t ihl = (size_t)(p[0] & 0xf) * 4;
	char src[INET_ADDRSTRLEN], dst[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, p + 12, src, sizeof(src));
	inet_ntop(AF_INET, p + 16, dst, sizeof(dst));
	printf("%-15s [%zu bytes] %s -> %s, protocol %u (%s), %u bytes in all\n", label, ihl, src, dst, p[9],
	       proto_name(p[9]), (unsigned)(p[2] << 8 | p[3]));
	return ihl;
}

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: vxdump IFACE [COUNT]\n");
		return 2;
	}
	long count = argc == 3 ? strtol(argv[2], NULL, 10) : 1;
	int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
	if (fd < 0 || !(sll.sll_ifindex = (int)if_nametoindex(argv[1])) || bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		perror(argv[1]);
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	while (count > 0) {
		unsigned char f[65536];
		ssize_t n = recv(fd, f, sizeof(f), 0);
		/* Ethernet 14, IPv4 20+, UDP 8, VXLAN 8, inner Ethernet 14 */
		if (n < 64 || f[12] != 0x08 || f[13] != 0x00 || f[14 + 9] != 17)
			continue;
		size_t ip_len = (size_t)(f[14] & 0xf) * 4;
		const unsigned char *udp = f + 14 + ip_len, *vx = udp + 8, *inner = vx + 8;
		unsigned sport = (unsigned)(udp[0] << 8 | udp[1]), dport = (unsigned)(udp[2] << 8 | udp[3]);
		if ((dport != VXLAN_PORT && sport != VXLAN_PORT) || inner + 14 > f + n)
			continue;
		printf("--- %zd bytes on %s\n", n, argv[1]);
		show_ethernet("outer Ethernet", f);
		show_ipv4("outer IPv4", f + 14, (size_t)n - 14);
		printf("%-15s [8 bytes] port %u -> %u, %u bytes\n", "outer UDP", sport, dport, (unsigned)(udp[4] << 8 | udp[5]));
		printf("%-15s [8 bytes] flags 0x%02x%s, VNI %u\n", "VXLAN", vx[0], vx[0] & 0x08 ? " (VNI valid)" : "",
		       (unsigned)(vx[4] << 16 | vx[5] << 8 | vx[6]));
		show_ethernet("inner Ethernet", inner);
		if (inner[12] == 0x08 && inner[13] == 0x00)
			show_ipv4("inner IPv4", inner + 14, (size_t)(f + n - inner - 14));
		printf("%-15s (the container's frame, %zd bytes, is the UDP datagram's data)\n", "", (ssize_t)(f + n - inner));
		count--;
	}
	return 0;
}
