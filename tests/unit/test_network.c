/* test_network.c - the address manager and published ports' syntax. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "network.h"
#include "unit.h"

static struct in_addr ip(const char *text)
{
	struct in_addr a;
	inet_pton(AF_INET, text, &a);
	return a;
}

static void next_of(const char *subnet, int prefix, const char *gateway, const char **used, const char *want)
{
	struct in_addr in_use[8], out;
	size_t n = 0;
	err_t err;
	char got[32];

	while (used && used[n])
		in_use[n] = ip(used[n]), n++;
	int rc = ipam_first_free(ip(subnet), prefix, ip(gateway), in_use, n, &out, &err);
	if (!want) {
		CU_ASSERT_EQUAL(rc, -1);
		CU_ASSERT_EQUAL(err.code, ENOSPC);
		return;
	}
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	inet_ntop(AF_INET, &out, got, sizeof(got));
	if (strcmp(got, want) != 0)
		fprintf(stderr, "\n  got %s, want %s\n", got, want);
	CU_ASSERT_STRING_EQUAL(got, want);
}

static void addresses(void)
{
	/* The lowest free one, skipping the gateway, as Docker. */
	next_of("172.17.0.0", 16, "172.17.0.1", NULL, "172.17.0.2");
	const char *used[] = { "10.0.0.2", "10.0.0.3", NULL };
	next_of("10.0.0.0", 24, "10.0.0.1", used, "10.0.0.4");
	/* A freed address (.2) is the next one given. */
	const char *gap[] = { "10.0.0.3", "10.0.0.4", NULL };
	next_of("10.0.0.0", 24, "10.0.0.1", gap, "10.0.0.2");
	/* Never the broadcast, the network's address or the gateway. */
	next_of("10.0.0.0", 24, "10.0.0.254", NULL, "10.0.0.1");
	const char *past[] = { "172.17.0.2", "172.17.0.3", "172.17.0.4", "172.17.0.5", "172.17.0.6", "172.17.0.7", NULL };
	next_of("172.17.0.0", 16, "172.17.0.1", past, "172.17.0.8");
	/* A /30 has two host addresses: the gateway and one more. */
	next_of("10.9.0.0", 30, "10.9.0.1", NULL, "10.9.0.2");
	const char *full[] = { "10.9.0.2", NULL };
	next_of("10.9.0.0", 30, "10.9.0.1", full, NULL);
}

static void ports(void)
{
	struct port_map p;
	err_t err;
	char host[32];

	CU_ASSERT_EQUAL_FATAL(port_parse("8080:80", &p, &err), 0);
	CU_ASSERT_EQUAL(p.host_port, 8080);
	CU_ASSERT_EQUAL(p.container_port, 80);
	CU_ASSERT_STRING_EQUAL(p.proto, "tcp");
	CU_ASSERT_EQUAL(p.host_ip.s_addr, 0);
	CU_ASSERT_EQUAL_FATAL(port_parse("127.0.0.1:5353:53/udp", &p, &err), 0);
	inet_ntop(AF_INET, &p.host_ip, host, sizeof(host));
	CU_ASSERT_STRING_EQUAL(host, "127.0.0.1");
	CU_ASSERT_EQUAL(p.host_port, 5353);
	CU_ASSERT_STRING_EQUAL(p.proto, "udp");
	CU_ASSERT_EQUAL_FATAL(port_parse("80", &p, &err), 0);
	CU_ASSERT_EQUAL(p.host_port, 0); /* chosen at start */
	CU_ASSERT_EQUAL_FATAL(port_parse("10.0.0.5::80", &p, &err), 0);
	CU_ASSERT_EQUAL(p.host_port, 0);
	const char *bad[] = { "", "0", "65536", "80/sctp", "x:80", "8080:", "1.2.3:80:80", "-1:80", NULL };
	for (size_t i = 0; bad[i]; i++) {
		if (port_parse(bad[i], &p, &err) != -1)
			fprintf(stderr, "\n  \"%s\" was accepted\n", bad[i]);
		CU_ASSERT_EQUAL(port_parse(bad[i], &p, &err), -1);
		CU_ASSERT_EQUAL(err.code, EINVAL);
	}
}

static const struct unit_test tests[] = {
	{ "addresses: the lowest free, never gateway, network or broadcast", addresses },
	{ "published ports as Docker writes them", ports },
	{ NULL, NULL },
};

const struct unit_suite suite_network = { "network", tests };
