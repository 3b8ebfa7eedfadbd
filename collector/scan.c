/* Length-bounded scanning helpers shared by the procfs parsers. */
#include "collector/scan.h"

#include <string.h>

struct scan
scan_init(const char *text, size_t len)
{
	struct scan s = {text, text + len};

	return s;
}

bool
scan_eof(const struct scan *s)
{
	return s->p >= s->end;
}

void
scan_blanks(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t'))
		s->p++;
}

bool
scan_next_line(struct scan *s)
{
	const char *nl;

	if (s->p >= s->end)
		return false;
	nl = memchr(s->p, '\n', (size_t)(s->end - s->p));
	s->p = nl != NULL ? nl + 1 : s->end;
	return true;
}

bool
scan_eol(const struct scan *s)
{
	return s->p >= s->end || *s->p == '\n';
}

bool
scan_word(struct scan *s, char stop, const char **word, size_t *len)
{
	const char *start;

	scan_blanks(s);
	start = s->p;
	while (s->p < s->end && *s->p != ' ' && *s->p != '\t' && *s->p != '\n' &&
	       (stop == 0 || *s->p != stop))
		s->p++;
	*word = start;
	*len = (size_t)(s->p - start);
	return *len > 0;
}

bool
scan_u64(struct scan *s, uint64_t *out)
{
	const char *save = s->p;
	uint64_t v = 0;
	unsigned d;

	scan_blanks(s);
	if (s->p >= s->end || *s->p < '0' || *s->p > '9') {
		s->p = save;
		return false;
	}
	while (s->p < s->end && *s->p >= '0' && *s->p <= '9') {
		d = (unsigned)(*s->p - '0');
		/* Saturate rather than wrap: a corrupt number must not look small. */
		v = v > (UINT64_MAX - d) / 10 ? UINT64_MAX : v * 10 + d;
		s->p++;
	}
	*out = v;
	return true;
}

bool
scan_decimal(struct scan *s, double *out)
{
	const char *save = s->p;
	double scale = 1;
	uint64_t ip, frac = 0;

	if (!scan_u64(s, &ip))
		return false;
	if (s->p < s->end && *s->p == '.') {
		s->p++;
		if (s->p >= s->end || *s->p < '0' || *s->p > '9') {
			s->p = save;
			return false;
		}
		while (s->p < s->end && *s->p >= '0' && *s->p <= '9') {
			if (scale < 1e15) {
				frac = frac * 10 + (uint64_t)(*s->p - '0');
				scale *= 10;
			}
			s->p++;
		}
	}
	*out = (double)ip + (double)frac / scale;
	return true;
}

bool
scan_char(struct scan *s, char c)
{
	if (s->p < s->end && *s->p == c) {
		s->p++;
		return true;
	}
	return false;
}

bool
scan_word_is(const char *word, size_t len, const char *lit)
{
	/* An empty word may have no storage (NULL): memcmp() must not see it. */
	return strlen(lit) == len && (len == 0 || memcmp(word, lit, len) == 0);
}
