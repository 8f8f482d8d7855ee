/*
 * strip.h - turning a reference answer into a student's handout file.
 *
 * A file in solutions/ marks what the student must write:
 *
 *	int proc_wait(pid_t pid, int *out_status, err_t *err)
 *	{
 *		/\* SOLUTION BEGIN *\/
 *		... the answer ...
 *		/\* SOLUTION END: return lab_todo(err, 1, __func__); *\/
 *	}
 *
 * handout_strip() drops every line from BEGIN to END. When END carries a statement, a TODO
 * comment and that statement take the region's place, at the marker's indentation, so the
 * handout still compiles and the stub fails cleanly at run time (lib/util/lab.h). A region whose
 * END has no statement (helper functions, say) simply disappears.
 */
#ifndef MINIDOCK_STRIP_H
#define MINIDOCK_STRIP_H

#include <stddef.h>

#include "err.h"

/* Strip the solution regions of text (len bytes, a file of lab number lab) into *out
 * (malloc'd, NUL-terminated; length in *out_len). A marker out of place (END without BEGIN,
 * BEGIN inside a region, a region never closed, a line naming SOLUTION BEGIN/END that is not
 * exactly a marker) is an EINVAL error giving the line number. */
int handout_strip(const char *text, size_t len, int lab, char **out, size_t *out_len, err_t *err);

#endif
