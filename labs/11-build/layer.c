/*
 * layer.c - lab 11: a container's changes as a layer, and the config of the image that adds it.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cleanup.h"
#include "lab.h"
#include "layer.h"
#include "tar.h"


int layer_diff(const char *upper, int fd, long long epoch, char diff_id[DIGEST_LEN + 1], err_t *err)
{
	/* TODO(lab 11): write this (see course.md, chapter 11). */
	return lab_todo(err, 11, __func__);
}

int img_child_config(const json_t *parent, const json_t *config, const char *diff_id, const char *created_by,
		     const char *created, json_t **out, err_t *err)
{
	/* TODO(lab 11): write this (see course.md, chapter 11). */
	return lab_todo(err, 11, __func__);
}
