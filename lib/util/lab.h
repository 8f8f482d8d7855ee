/*
 * lab.h - what an unwritten lab function does.
 *
 * In labs/, each function you have to write starts out as a stub:
 *
 *	int proc_spawn(const struct run_spec *spec, pid_t *out_pid, err_t *err)
 *	{
 *		// TODO(lab 1): write this function (course.md, chapter 1).
 *		return lab_todo(err, 1, __func__);
 *	}
 *
 * so that minidock builds and runs from the first day, and a command that needs the function
 * fails cleanly, saying which lab and function are missing, instead of crashing.
 */
#ifndef MINIDOCK_LAB_H
#define MINIDOCK_LAB_H

#include <stdbool.h>

#include "err.h"

/* Fill err with "not implemented yet: lab N, function F (see course.md, chapter N)" and the
 * code ENOSYS. Returns -1. */
int lab_todo(err_t *err, int lab, const char *function);

/* Is err lab_todo()'s for lab (a function of that lab is not written yet)? */
bool lab_missing(const err_t *err, int lab);

#endif
