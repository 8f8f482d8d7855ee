/*
 * template.h - Go's text/template, the part people type after `docker inspect -f`.
 *
 * Docker formats `inspect`, `ps --format` and the like with Go templates applied to the JSON
 * it would print. minidock does the same with this small interpreter, so that the lines found
 * in tutorials work unchanged:
 *
 *	{{.State.Status}}                          a field; {{.}} the whole value
 *	{{json .Config.Env}}                       as JSON
 *	{{range .Config.Env}}{{println .}}{{end}}  each element; {{range $k, $v := .X}} too
 *	{{index .NetworkSettings.Networks "web"}}  a key, or an element by number
 *	{{len .Mounts}} {{upper .Name}} {{lower .Name}} {{title .Name}}
 *	{{join .Args ","}} {{split .Name "/"}} {{printf "%s:%d" .Name .RestartCount}}
 *	{{if eq .State.Status "running"}}up{{else}}down{{end}}   with not, and, or, ne
 *	{{.Name | upper}}                          a pipe: the value is the last argument
 *	{{- ... -}}                                trims the spaces around the action
 *
 * Values print as Go prints the JSON it decoded: strings bare, numbers as numbers, lists as
 * [a b], objects as map[k:v ...] (keys sorted), a missing key as <no value>, null as <nil>.
 */
#ifndef MINIDOCK_TEMPLATE_H
#define MINIDOCK_TEMPLATE_H

#include <jansson.h>

#include "err.h"

/* Render template text with data as its "." (and "$"), into a malloc'd string *out. A syntax
 * error, an unknown function or field access into a non-object is EINVAL, with Go's wording
 * where it has one ("template: ...: function \"x\" not defined"). */
int tmpl_render(const char *text, const json_t *data, char **out, err_t *err);

#endif
