/* test_template.c - Go templates as `docker inspect -f` takes them (template.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "template.h"
#include "unit.h"

static json_t *doc(void)
{
	return json_loads("{\"Name\": \"/web\", \"State\": {\"Status\": \"running\", \"ExitCode\": 0, \"Pid\": 42},"
			  " \"Config\": {\"Env\": [\"A=1\", \"B=2\"], \"Labels\": {\"z\": \"1\", \"a\": \"2\"},"
			  " \"Cmd\": []}, \"Ratio\": 1.5, \"Big\": 137.0, \"Nothing\": null, \"On\": true}",
			  0, NULL);
}

static void renders(const char *tmpl, const char *want)
{
	json_t *d = doc();
	char *got = NULL;
	err_t err;
	int rc = tmpl_render(tmpl, d, &got, &err);
	if (rc != 0)
		fprintf(stderr, "\n  %s: %s\n", tmpl, err.msg);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	if (strcmp(got, want) != 0)
		fprintf(stderr, "\n  %s: got \"%s\", want \"%s\"\n", tmpl, got, want);
	CU_ASSERT_STRING_EQUAL(got, want);
	free(got);
	json_decref(d);
}

static void refused(const char *tmpl, const char *words)
{
	json_t *d = doc();
	char *got = NULL;
	err_t err;
	CU_ASSERT_EQUAL(tmpl_render(tmpl, d, &got, &err), -1);
	CU_ASSERT_EQUAL(err.code, EINVAL);
	if (!strstr(err.msg, words))
		fprintf(stderr, "\n  %s: %s\n", tmpl, err.msg);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, words));
	json_decref(d);
}

static void fields_and_printing(void)
{
	renders("{{.State.Status}} {{.State.ExitCode}}", "running 0");
	renders("plain text", "plain text");
	renders("{{.Config.Env}}", "[A=1 B=2]");
	renders("{{.Config.Labels}}", "map[a:2 z:1]");
	renders("{{.Nope}} {{.State.Nope}}", "<no value> <no value>");
	renders("{{.Nothing}}", "<nil>");
	renders("{{.Ratio}} {{.Big}} {{.On}}", "1.5 137 true");
	renders("{{json .Config.Env}} {{json .Nope}}", "[\"A=1\",\"B=2\"] null");
	renders("{{ .Name }}", "/web");
	renders("{{.}}", "map[Big:137 Config:map[Cmd:[] Env:[A=1 B=2] Labels:map[a:2 z:1]] Name:/web Nothing:<nil> "
			 "On:true Ratio:1.5 State:map[ExitCode:0 Pid:42 Status:running]]");
}

static void functions(void)
{
	renders("{{len .Config.Env}} {{len .Config.Labels}} {{len .Name}}", "2 2 4");
	renders("{{index .Config.Labels \"z\"}} {{index .Config.Env 1}}", "1 B=2");
	renders("{{upper .Name}} {{lower \"AbC\"}} {{title \"hello world\"}}", "/WEB abc Hello World");
	renders("{{join .Config.Env \", \"}}", "A=1, B=2");
	renders("{{split \"a/b/c\" \"/\"}}", "[a b c]");
	renders("{{printf \"%s=%d\" .Name .State.Pid}}|{{printf \"%-5s|%3d|%03d\" \"ab\" 7 7}}", "/web=42|ab   |  7|007");
	renders("{{printf \"%q\" .Name}} {{printf \"%v\" .Config.Env}}", "\"/web\" [A=1 B=2]");
	renders("{{print 1 2}} {{print \"a\" \"b\"}}", "1 2 ab");
	renders("{{.Name | upper}} {{.Config.Env | len}}", "/WEB 2");
	renders("{{(index .Config.Env 0)}}", "A=1");
}

static void control(void)
{
	renders("{{range .Config.Env}}[{{.}}]{{end}}", "[A=1][B=2]");
	renders("{{range $i, $e := .Config.Env}}{{$i}}:{{$e}} {{end}}", "0:A=1 1:B=2 ");
	renders("{{range $k, $v := .Config.Labels}}{{$k}}={{$v}};{{end}}", "a=2;z=1;");
	renders("{{range .Config.Cmd}}x{{else}}empty{{end}}", "empty");
	renders("{{if eq .State.Status \"running\"}}up{{else}}down{{end}}", "up");
	renders("{{if not .On}}no{{else}}yes{{end}} {{if and .On .Nothing}}a{{else}}b{{end}} {{or .Nothing \"x\"}}",
		"yes b x");
	renders("{{if ne .State.ExitCode 0}}failed{{end}}ok", "ok");
	renders("{{with .State}}{{.Status}}{{end}}", "running");
	renders("{{range .Config.Env}}{{$.Name}}{{end}}", "/web/web");
	renders("a  {{- .Name -}}  b", "a/webb");
	renders("{{/* a comment */}}x", "x");
	renders("{{range .Config.Env}}{{range $.Config.Env}}.{{end}}{{end}}", "....");
}

static void errors(void)
{
	refused("{{.Name", "unclosed action");
	refused("{{nope .Name}}", "function \"nope\" not defined");
	refused("{{.Name.First}}", "can't evaluate field First");
	refused("{{end}}", "unexpected {{end}}");
	refused("{{range .Config.Env}}", "no {{end}}");
	refused("{{index .Config.Env 5}}", "index out of range");
	refused("{{len}}", "wrong number of args");
	refused("{{}}", "missing value");
	refused("{{$nope}}", "undefined variable");
	refused("{{range .Name}}{{end}}", "can't iterate");
}

static const struct unit_test tests[] = {
	{ "template: fields, printed as Go prints them", fields_and_printing },
	{ "template: json, len, index, upper, lower, title, join, split, printf, print, pipes", functions },
	{ "template: range (with variables, else), if/else, with, eq/ne/not/and/or, $, trimming", control },
	{ "template: errors say what is wrong, as Go's", errors },
	{ NULL, NULL },
};
const struct unit_suite suite_template = { "template", tests };
