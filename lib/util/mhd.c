/*
 * mhd.c - libmicrohttpd, loaded when the engine's daemon first starts (lab 13), as curl.c loads
 * libcurl: a command other than `minidock daemon` never pays for it (nor for GnuTLS, which it
 * brings). The functions the daemon calls, of the same names, open the library on the first
 * call (dlopen) and pass each call on (dlsym). MHD_start_daemon() is variadic: its options go
 * on as a va_list to MHD_start_daemon_va(). When the library cannot be loaded, MHD_start_daemon()
 * returns NULL, which the daemon reports. mhd_client_verified() is minidock's own: the TCP
 * listener's check of a client's certificate (daemon.h).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdarg.h>
#include <stddef.h>

#include "mhd.h"

static void *real(const char *name)
{
	static void *lib;

	if (!lib && !(lib = dlopen("libmicrohttpd.so.12", RTLD_NOW | RTLD_LOCAL)))
		return NULL;
	return dlsym(lib, name);
}

struct MHD_Daemon *MHD_start_daemon(unsigned int flags, uint16_t port, MHD_AcceptPolicyCallback apc, void *apc_cls,
				    MHD_AccessHandlerCallback dh, void *dh_cls, ...)
{
	struct MHD_Daemon *(*f)(unsigned int, uint16_t, MHD_AcceptPolicyCallback, void *, MHD_AccessHandlerCallback,
				void *, va_list) =
		(struct MHD_Daemon * (*)(unsigned int, uint16_t, MHD_AcceptPolicyCallback, void *,
					 MHD_AccessHandlerCallback, void *, va_list)) real("MHD_start_daemon_va");
	va_list ap;
	if (!f)
		return NULL;
	va_start(ap, dh_cls);
	struct MHD_Daemon *d = f(flags, port, apc, apc_cls, dh, dh_cls, ap);
	va_end(ap);
	return d;
}

void MHD_stop_daemon(struct MHD_Daemon *daemon)
{
	void (*f)(struct MHD_Daemon *) = (void (*)(struct MHD_Daemon *))real("MHD_stop_daemon");
	if (f)
		f(daemon);
}

struct MHD_Response *MHD_create_response_from_buffer(size_t size, void *buffer, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *(*f)(size_t, void *, enum MHD_ResponseMemoryMode) =
		(struct MHD_Response * (*)(size_t, void *, enum MHD_ResponseMemoryMode)) real("MHD_create_response_from_buffer");
	return f ? f(size, buffer, mode) : NULL;
}

enum MHD_Result MHD_add_response_header(struct MHD_Response *response, const char *header, const char *content)
{
	enum MHD_Result (*f)(struct MHD_Response *, const char *, const char *) =
		(enum MHD_Result(*)(struct MHD_Response *, const char *, const char *))real("MHD_add_response_header");
	return f ? f(response, header, content) : MHD_NO;
}

enum MHD_Result MHD_queue_response(struct MHD_Connection *connection, unsigned int status_code,
				   struct MHD_Response *response)
{
	enum MHD_Result (*f)(struct MHD_Connection *, unsigned int, struct MHD_Response *) =
		(enum MHD_Result(*)(struct MHD_Connection *, unsigned int, struct MHD_Response *))real("MHD_queue_response");
	return f ? f(connection, status_code, response) : MHD_NO;
}

void MHD_destroy_response(struct MHD_Response *response)
{
	void (*f)(struct MHD_Response *) = (void (*)(struct MHD_Response *))real("MHD_destroy_response");
	if (f)
		f(response);
}

const char *MHD_lookup_connection_value(struct MHD_Connection *connection, enum MHD_ValueKind kind, const char *key)
{
	const char *(*f)(struct MHD_Connection *, enum MHD_ValueKind, const char *) =
		(const char *(*)(struct MHD_Connection *, enum MHD_ValueKind, const char *))real("MHD_lookup_connection_value");
	return f ? f(connection, kind, key) : NULL;
}

struct MHD_Response *MHD_create_response_for_upgrade(MHD_UpgradeHandler upgrade_handler, void *upgrade_handler_cls)
{
	struct MHD_Response *(*f)(MHD_UpgradeHandler, void *) =
		(struct MHD_Response * (*)(MHD_UpgradeHandler, void *)) real("MHD_create_response_for_upgrade");
	return f ? f(upgrade_handler, upgrade_handler_cls) : NULL;
}

/* Only the actions that take no more arguments (MHD_UPGRADE_ACTION_CLOSE) are passed on. */
enum MHD_Result MHD_upgrade_action(struct MHD_UpgradeResponseHandle *urh, enum MHD_UpgradeAction action, ...)
{
	enum MHD_Result (*f)(struct MHD_UpgradeResponseHandle *, enum MHD_UpgradeAction, ...) =
		(enum MHD_Result(*)(struct MHD_UpgradeResponseHandle *, enum MHD_UpgradeAction, ...))real("MHD_upgrade_action");
	return f ? f(urh, action) : MHD_NO;
}

struct MHD_Response *MHD_create_response_from_pipe(int fd)
{
	struct MHD_Response *(*f)(int) = (struct MHD_Response * (*)(int)) real("MHD_create_response_from_pipe");
	return f ? f(fd) : NULL;
}

int MHD_get_connection_values(struct MHD_Connection *connection, enum MHD_ValueKind kind, MHD_KeyValueIterator iterator,
			      void *iterator_cls)
{
	int (*f)(struct MHD_Connection *, enum MHD_ValueKind, MHD_KeyValueIterator, void *) =
		(int (*)(struct MHD_Connection *, enum MHD_ValueKind, MHD_KeyValueIterator, void *))real("MHD_get_connection_values");
	return f ? f(connection, kind, iterator, iterator_cls) : -1;
}

/* Only the kinds that take no more arguments are passed on (MHD_CONNECTION_INFO_GNUTLS_SESSION). */
const union MHD_ConnectionInfo *MHD_get_connection_info(struct MHD_Connection *connection,
							enum MHD_ConnectionInfoType info_type, ...)
{
	const union MHD_ConnectionInfo *(*f)(struct MHD_Connection *, enum MHD_ConnectionInfoType, ...) =
		(const union MHD_ConnectionInfo *(*)(struct MHD_Connection *, enum MHD_ConnectionInfoType, ...))real(
			"MHD_get_connection_info");
	return f ? f(connection, info_type) : NULL;
}

/* Did the client of a TLS connection show a certificate the daemon's CA signed (checked by
 * GnuTLS, which libmicrohttpd loaded already: its two functions are looked up there)? */
bool mhd_client_verified(struct MHD_Connection *connection)
{
	static void *gnutls;
	const union MHD_ConnectionInfo *info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (!info || !info->tls_session)
		return false;
	if (!gnutls && !(gnutls = dlopen("libgnutls.so.30", RTLD_NOW | RTLD_LOCAL | RTLD_NOLOAD)) &&
	    !(gnutls = dlopen("libgnutls.so.30", RTLD_NOW | RTLD_LOCAL)))
		return false;
	const void *(*peers)(void *, unsigned *) = (const void *(*)(void *, unsigned *))dlsym(gnutls, "gnutls_certificate_get_peers");
	int (*verify)(void *, unsigned *) = (int (*)(void *, unsigned *))dlsym(gnutls, "gnutls_certificate_verify_peers2");
	unsigned n = 0, status = ~0u;
	return peers && verify && peers(info->tls_session, &n) && n > 0 && verify(info->tls_session, &status) == 0 &&
	       status == 0;
}
