/* The collector's privilege drop after start-up, with libcap. */
#include "collector/privdrop.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <sys/capability.h>
#include <sys/prctl.h>

#include "common/log.h"

#define LOG_TAG "privdrop"

/*
 * Kept: the collector stays uid 0 (it owns its spool) and must still reach PostgreSQL's socket
 * after a reconnect when that socket is private to the database's user, and statvfs() mounts
 * under directories only their owner may search.
 */
static const cap_value_t privdrop_keep[] = {CAP_DAC_OVERRIDE};

static bool
privdrop_kept(cap_value_t v)
{
	for (size_t i = 0; i < ARRAY_LEN(privdrop_keep); i++) {
		if (privdrop_keep[i] == v)
			return true;
	}
	return false;
}

/* Empties the bounding set but for the kept ones; needs CAP_SETPCAP, so it runs first. */
static int
privdrop_bounding(char *err, size_t errlen)
{
	for (cap_value_t v = 0; v <= CAP_LAST_CAP; v++) {
		if (privdrop_kept(v) || cap_get_bound(v) != 1)
			continue;
		if (cap_drop_bound(v) != 0) {
			snprintf(err, errlen, "cannot drop capability %d from the bounding set: %s",
				 (int)v, strerror(errno));
			return -1;
		}
	}
	return 0;
}

int
privdrop_apply(char *err, size_t errlen)
{
	cap_t now = cap_get_proc(), next = cap_init();
	cap_flag_value_t had_setpcap = CAP_CLEAR, had;
	bool kept = false;
	int rc = -1;

	if (now == NULL || next == NULL) {
		snprintf(err, errlen, "cannot read the capabilities: %s", strerror(errno));
		goto out;
	}
	cap_get_flag(now, CAP_SETPCAP, CAP_EFFECTIVE, &had_setpcap);
	if (had_setpcap == CAP_SET && privdrop_bounding(err, errlen) != 0)
		goto out;
	for (size_t i = 0; i < ARRAY_LEN(privdrop_keep); i++) {
		if (cap_get_flag(now, privdrop_keep[i], CAP_PERMITTED, &had) == 0 &&
		    had == CAP_SET) {
			cap_set_flag(next, CAP_PERMITTED, 1, &privdrop_keep[i], CAP_SET);
			cap_set_flag(next, CAP_EFFECTIVE, 1, &privdrop_keep[i], CAP_SET);
			kept = true;
		}
	}
	if (CAP_AMBIENT_SUPPORTED() && cap_reset_ambient() != 0) {
		snprintf(err, errlen, "cannot clear the ambient capabilities: %s", strerror(errno));
		goto out;
	}
	if (cap_set_proc(next) != 0) {
		snprintf(err, errlen, "cannot drop capabilities: %s", strerror(errno));
		goto out;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		snprintf(err, errlen, "cannot set no_new_privs: %s", strerror(errno));
		goto out;
	}
	log_info("capabilities dropped%s; no_new_privs set",
		 kept ? " except CAP_DAC_OVERRIDE" : " (all of them)");
	rc = 0;
out:
	cap_free(now);
	cap_free(next);
	return rc;
}
