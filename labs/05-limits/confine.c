/*
 * confine.c - lab 5: capabilities, seccomp and cgroup v2 (see confine.h for the contract,
 * course.md chapter 5 for the ideas).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "lab.h"
#include "confine.h"


int caps_limit(uint64_t keep, err_t *err)
{
	/* TODO(lab 5): write this (see course.md, chapter 5). */
	return lab_todo(err, 5, __func__);
}

int caps_apply(uint64_t keep, err_t *err)
{
	/* TODO(lab 5): write this (see course.md, chapter 5). */
	return lab_todo(err, 5, __func__);
}


int seccomp_build(const struct sec_profile *p, uint64_t caps, int fd, err_t *err)
{
	/* TODO(lab 5): write this (see course.md, chapter 5). */
	return lab_todo(err, 5, __func__);
}


int cg_create(const char *path, const struct cg_limits *l, int *out_fd, err_t *err)
{
	/* TODO(lab 5): write this (see course.md, chapter 5). */
	return lab_todo(err, 5, __func__);
}

int cg_set_limits(int dir_fd, const struct cg_limits *l, err_t *err)
{
	/* TODO(lab 5): write this (see course.md, chapter 5). */
	return lab_todo(err, 5, __func__);
}


int cg_devices(int dir_fd, err_t *err)
{
	/* TODO(lab 5): write this (see course.md, chapter 5). */
	return lab_todo(err, 5, __func__);
}

int cg_join(int dir_fd, err_t *err)
{
	/* TODO(lab 5): write this (see course.md, chapter 5). */
	return lab_todo(err, 5, __func__);
}


int cg_freeze(int dir_fd, bool frozen, err_t *err)
{
	/* TODO(lab 5): write this (see course.md, chapter 5). */
	return lab_todo(err, 5, __func__);
}

int cg_remove(const char *path, bool *out_oom, err_t *err)
{
	/* TODO(lab 5): write this (see course.md, chapter 5). */
	return lab_todo(err, 5, __func__);
}


int userns_enter(const struct userns_map *m, err_t *err)
{
	/* TODO(lab 5): write this (see course.md, chapter 5). */
	return lab_todo(err, 5, __func__);
}
