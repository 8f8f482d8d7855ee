/*
 * curl.c - libcurl, loaded when it is first used (as nftables.c does libnftables).
 *
 * Only the overlay networks (lab 9, kvstore.c) and the registry client (lab 12, registry.c)
 * speak HTTP; every other command would pay at each start for loading libcurl and what it
 * brings (an HTTP/2 library, OpenSSL, ...). So minidock is not linked with it: the few functions
 * those two call, of the same names, open the library on the first call (dlopen) and pass each
 * call on (dlsym). When it cannot be loaded, curl_easy_init() returns NULL, which they report.
 *
 * curl_easy_setopt() and curl_easy_getinfo() take one argument after the option, whose type
 * the option's number tells (libcurl's own rule: below CURLOPTTYPE_OBJECTPOINT a long, then a
 * pointer, a function pointer, and from CURLOPTTYPE_OFF_T a curl_off_t); it is passed on as such.
 */
#define _GNU_SOURCE
#define CURL_DISABLE_TYPECHECK /* the functions themselves are defined here */
#include <curl/curl.h>
#include <dlfcn.h>
#include <stdarg.h>
#include <stddef.h>

/* The real function name of libcurl, or NULL when the library cannot be loaded. */
static void *real(const char *name)
{
	static void *lib;

	if (!lib && !(lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL)))
		return NULL;
	return dlsym(lib, name);
}

CURL *curl_easy_init(void)
{
	CURL *(*f)(void) = (CURL * (*)(void)) real("curl_easy_init");
	return f ? f() : NULL;
}

void curl_easy_cleanup(CURL *curl)
{
	void (*f)(CURL *) = (void (*)(CURL *))real("curl_easy_cleanup");
	if (f)
		f(curl);
}

void curl_easy_reset(CURL *curl)
{
	void (*f)(CURL *) = (void (*)(CURL *))real("curl_easy_reset");
	if (f)
		f(curl);
}

CURLcode curl_easy_perform(CURL *curl)
{
	CURLcode (*f)(CURL *) = (CURLcode(*)(CURL *))real("curl_easy_perform");
	return f ? f(curl) : CURLE_FAILED_INIT;
}

const char *curl_easy_strerror(CURLcode code)
{
	const char *(*f)(CURLcode) = (const char *(*)(CURLcode))real("curl_easy_strerror");
	return f ? f(code) : "libcurl cannot be loaded";
}

CURLcode curl_easy_setopt(CURL *curl, CURLoption option, ...)
{
	CURLcode (*f)(CURL *, CURLoption, ...) = (CURLcode(*)(CURL *, CURLoption, ...))real("curl_easy_setopt");
	va_list ap;
	CURLcode rc;

	if (!f)
		return CURLE_FAILED_INIT;
	va_start(ap, option);
	if (option < CURLOPTTYPE_OBJECTPOINT)
		rc = f(curl, option, va_arg(ap, long));
	else if (option < CURLOPTTYPE_OFF_T)
		rc = f(curl, option, va_arg(ap, void *)); /* data and function pointers alike on Linux */
	else
		rc = f(curl, option, va_arg(ap, curl_off_t));
	va_end(ap);
	return rc;
}

CURLcode curl_easy_getinfo(CURL *curl, CURLINFO info, ...)
{
	CURLcode (*f)(CURL *, CURLINFO, ...) = (CURLcode(*)(CURL *, CURLINFO, ...))real("curl_easy_getinfo");
	va_list ap;

	if (!f)
		return CURLE_FAILED_INIT;
	va_start(ap, info);
	CURLcode rc = f(curl, info, va_arg(ap, void *)); /* every getinfo takes a pointer */
	va_end(ap);
	return rc;
}

struct curl_slist *curl_slist_append(struct curl_slist *list, const char *s)
{
	struct curl_slist *(*f)(struct curl_slist *, const char *) =
		(struct curl_slist * (*)(struct curl_slist *, const char *)) real("curl_slist_append");
	return f ? f(list, s) : NULL;
}

void curl_slist_free_all(struct curl_slist *list)
{
	void (*f)(struct curl_slist *) = (void (*)(struct curl_slist *))real("curl_slist_free_all");
	if (f)
		f(list);
}

char *curl_easy_escape(CURL *curl, const char *s, int len)
{
	char *(*f)(CURL *, const char *, int) = (char *(*)(CURL *, const char *, int))real("curl_easy_escape");
	return f ? f(curl, s, len) : NULL;
}

void curl_free(void *p)
{
	void (*f)(void *) = (void (*)(void *))real("curl_free");
	if (f)
		f(p);
}
