/*
 * The built dashboard (--static-dir): "/" is index.html, known extensions get their content
 * type, nothing outside the directory is reachable, anything else is 404. Runs on: main thread.
 */
#include "apiserver/http.h"

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "common/log.h"

#define LOG_TAG "http_static"

static const struct {
	const char *ext;
	const char *type;
} http_static_types[] = {
	{".html", "text/html; charset=utf-8"},
	{".js", "text/javascript; charset=utf-8"},
	{".mjs", "text/javascript; charset=utf-8"},
	{".css", "text/css; charset=utf-8"},
	{".json", "application/json"},
	{".map", "application/json"},
	{".svg", "image/svg+xml"},
	{".png", "image/png"},
	{".ico", "image/x-icon"},
	{".woff2", "font/woff2"},
	{".woff", "font/woff"},
	{".txt", "text/plain; charset=utf-8"},
	{".wasm", "application/wasm"},
};

static const char *
http_static_type(const char *path)
{
	const char *dot = strrchr(path, '.');

	for (size_t i = 0; dot != NULL && i < ARRAY_LEN(http_static_types); i++) {
		if (strcmp(dot, http_static_types[i].ext) == 0)
			return http_static_types[i].type;
	}
	return "application/octet-stream";
}

/* Decoded path is safe to join to the root: no NUL, no backslash, no "." or ".." segment. */
static bool
http_static_safe(const char *path, size_t len)
{
	const char *seg, *end;

	if (len != strlen(path) || path[0] != '/' || strchr(path, '\\') != NULL)
		return false;
	for (seg = path + 1; seg <= path + len; seg = end + 1) {
		end = strchr(seg, '/');
		if (end == NULL)
			end = path + len;
		if ((end - seg == 1 && seg[0] == '.') ||
		    (end - seg == 2 && seg[0] == '.' && seg[1] == '.'))
			return false;
	}
	return true;
}

/* Opens root + path after resolving symlinks; returns an fd of a regular file inside root or -1. */
static int
http_static_open(const char *root, const char *path, struct stat *st)
{
	char joined[PATH_MAX], real[PATH_MAX];
	size_t rootlen = strlen(root);
	int n, fd;

	n = snprintf(joined, sizeof(joined), "%s%s%s", root, path,
		     path[strlen(path) - 1] == '/' ? "index.html" : "");
	if (n < 0 || (size_t)n >= sizeof(joined) || realpath(joined, real) == NULL)
		return -1;
	if (strncmp(real, root, rootlen) != 0 || real[rootlen] != '/')
		return -1;
	fd = open(real, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) {
		close(fd);
		return -1;
	}
	return fd;
}

void
http_static_serve(struct evhttp_request *req, struct api *api)
{
	const char *raw = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	struct evkeyvalq *out = evhttp_request_get_output_headers(req);
	struct evbuffer *buf;
	struct stat st;
	size_t len = 0;
	char *path;
	int fd = -1;

	path = evhttp_uridecode(raw, 0, &len);
	if (api->static_root != NULL && path != NULL && http_static_safe(path, len))
		fd = http_static_open(api->static_root, path, &st);
	if (fd < 0) {
		http_reply_error(req, 404, "not found");
		free(path);
		return;
	}
	evhttp_add_header(out, "Content-Type",
			  path[len - 1] == '/' ? "text/html; charset=utf-8"
					       : http_static_type(path));
	/* Vite names files under assets/ by content hash: they never change. */
	evhttp_add_header(out, "Cache-Control",
			  strncmp(path, "/assets/", 8) == 0 ? "public, max-age=31536000, immutable"
							    : "no-cache");
	evhttp_add_header(out, "X-Content-Type-Options", "nosniff");
	buf = evbuffer_new();
	/* evbuffer_add_file takes the fd and sends it with sendfile where it can. */
	if (evbuffer_add_file(buf, fd, 0, st.st_size) != 0) {
		log_warn("cannot send %s", path);
		http_reply_error(req, 500, "cannot read file");
	} else {
		evhttp_send_reply(req, 200, NULL, buf);
	}
	evbuffer_free(buf);
	free(path);
}
