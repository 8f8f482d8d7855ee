/*
 * ctr_net.h - a container's network (given: ctr_net.c): set up by its monitor before PID 1
 * starts, with the network's store (network.h) and labs 6 and 7; its /etc/hosts, hostname and
 * resolv.conf; the embedded DNS server of user networks; network connect and disconnect.
 */
#ifndef MINIDOCK_CTR_NET_H
#define MINIDOCK_CTR_NET_H

#include "container.h"
#include "err.h"

/* Set the container's network up, in its monitor, before PID 1 starts (the monitor moves into
 * the new namespace, which PID 1 inherits: lab 4's ctr_start() calls it just before
 * proc_spawn()); put it in c->doc's NetworkSettings, which ctr_record_running() writes (at
 * once when ports are published: see ctr_net.c). ctr_net_down() (network.h) undoes what
 * outlives the namespace. */
int ctr_net_up(struct container *c, err_t *err);

/* `network connect NET CONTAINER`: plug running container c into network ref as one more
 * interface (eth1, eth2, ...), and `network disconnect`: take it out again. */
int ctr_net_connect(struct container *c, const char *ref, err_t *err);
int ctr_net_disconnect(struct container *c, const char *ref, err_t *err);

#endif
