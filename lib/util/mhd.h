/*
 * mhd.h - libmicrohttpd (loaded on first use: mhd.c), and the one function minidock adds to it.
 */
#ifndef MINIDOCK_MHD_H
#define MINIDOCK_MHD_H

#include <microhttpd.h>
#include <stdbool.h>

/* On a TLS listener: did the client show a certificate signed by the CA the daemon trusts
 * (MHD_OPTION_HTTPS_MEM_TRUST)? libmicrohttpd only asks for one; this checks it (GnuTLS). */
bool mhd_client_verified(struct MHD_Connection *connection);

#endif
