/* perfwatch-collector: loads the configuration, installs signal handlers, runs the tick loop. */
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collector/collector.h"
#include "collector/collector_conf.h"
#include "collector/privdrop.h"
#include "common/log.h"

#define LOG_TAG "main"

static volatile sig_atomic_t main_stop;

static void
main_on_signal(int sig)
{
	(void)sig;
	main_stop = 1;
}

static void
main_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = main_on_signal;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: the sleep returns EINTR so the loop sees the stop at once. */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

/*
 * libpq links libldap, which links GnuTLS, whose library constructor initialises GnuTLS as the
 * process loads (p11-kit modules, ASN.1 tables: 0.7 MB of resident memory and ~1,300 mallocs)
 * unless GNUTLS_NO_IMPLICIT_INIT is set before the process starts. The collector never speaks
 * LDAP over TLS (libldap initialises GnuTLS itself if it ever does), so it executes itself once
 * more with the variable set. A failed exec is not an error: the collector only stays larger.
 */
static void
main_reexec_without_gnutls_init(char **argv)
{
	char self[PATH_MAX];
	ssize_t n;

	if (getenv("GNUTLS_NO_IMPLICIT_INIT") != NULL)
		return;
	/* The binary's own path, not /proc/self/exe: that would make the process's name "exe". */
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0 || (size_t)n >= sizeof(self) - 1)
		return;
	self[n] = '\0';
	if (setenv("GNUTLS_NO_IMPLICIT_INIT", "1", 1) != 0)
		return;
	execv(self, argv);
}

int
main(int argc, char **argv)
{
	struct collector_conf conf;
	struct collector *c;
	char err[512];
	int rc;

	main_reexec_without_gnutls_init(argv);
	memset(&conf, 0, sizeof(conf));
	rc = collector_conf_load(&conf, argc, argv, err, sizeof(err));
	if (rc != 0) {
		if (rc < 0)
			fprintf(stderr, "perfwatch-collector: %s\n", err);
		collector_conf_free(&conf);
		return rc > 0 ? EXIT_SUCCESS : 2;
	}
	log_set_level(conf.level);
	main_signals();
	c = collector_new(&conf, err, sizeof(err));
	if (c == NULL) {
		log_error("%s", err);
		collector_conf_free(&conf);
		return EXIT_FAILURE;
	}
	/* Every counter and file is open: nothing from here on needs the privileges. */
	if (privdrop_apply(err, sizeof(err)) != 0) {
		log_error("%s", err);
		collector_free(c);
		collector_conf_free(&conf);
		return EXIT_FAILURE;
	}
	rc = collector_run(c, &main_stop);
	collector_free(c);
	collector_conf_free(&conf);
	return rc == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
