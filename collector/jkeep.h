/*
 * Frame sections kept between ticks and updated in place. A source builds its section once and,
 * every tick after, writes the same keys in the same order through a cursor: a number whose key
 * and type match the previous tick's is set in place (json_real_set, json_integer_set), a string
 * is compared and left alone when equal. Anything else — a key that differs, a value that became
 * null or a number again, an interface, disk or CPU that appeared or went — rebuilds the object
 * from that key on and drops what was not written again, so the section always holds exactly
 * what a fresh build would hold, in the same order. Values are made with malloc (outside the
 * frame's per-tick arena: frame_persist_enter) only when the shape changes, so a steady state
 * allocates nothing and skips jansson's object building (hashing, key copies) every tick.
 *
 * A section is attached to the tick's frame with json_object_set (a new reference, dropped with
 * the frame) and freed by the source's fini with json_decref.
 */
#ifndef PERFWATCH_COLLECTOR_JKEEP_H
#define PERFWATCH_COLLECTOR_JKEEP_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "common/compat.h"

/* A cursor over an object's keys in insertion order. */
struct jk_obj {
	json_t *obj;
	void *it;  /* the next key expected, NULL past the last */
	bool fail; /* an allocation failed */
};

/* A cursor over an array's elements. */
struct jk_arr {
	json_t *arr;
	size_t i;
	bool fail;
};

/* Returns a new empty object allocated outside the frame arena (NULL when out of memory). */
json_t *jk_new_object(void);
/* Returns a new empty array allocated outside the frame arena (NULL when out of memory). */
json_t *jk_new_array(void);

/* Starts writing obj's keys from the first; obj NULL makes every write fail. */
void jk_begin(struct jk_obj *c, json_t *obj);
/* Writes key = v (a JSON real, printed as jansson prints it). */
void jk_real(struct jk_obj *c, const char *key, double v);
/* Writes key = v (a JSON integer). */
void jk_int(struct jk_obj *c, const char *key, json_int_t v);
/* Writes key = null. */
void jk_null(struct jk_obj *c, const char *key);
/* Writes key = s (a JSON string), or null when s is NULL. */
void jk_str(struct jk_obj *c, const char *key, const char *s);
/* Writes key = true or false. */
void jk_bool(struct jk_obj *c, const char *key, bool v);
/* Writes key = an object and returns it (to jk_begin on), or NULL when out of memory. */
json_t *jk_obj(struct jk_obj *c, const char *key);
/* Writes key = an array and returns it (to jk_arr_begin on), or NULL when out of memory. */
json_t *jk_arr(struct jk_obj *c, const char *key);
/* Drops the keys not written since jk_begin; returns 0, or -1 when a write failed. */
MUST_CHECK int jk_end(struct jk_obj *c);

/* Starts writing arr's elements from the first; arr NULL makes every write fail. */
void jk_arr_begin(struct jk_arr *a, json_t *arr);
/* Writes the next element as an object and returns it (to jk_begin on), or NULL. */
json_t *jk_arr_obj(struct jk_arr *a);
/* Writes the next element as the string s. */
void jk_arr_str(struct jk_arr *a, const char *s);
/* Drops the elements not written since jk_arr_begin; returns 0, or -1 when a write failed. */
MUST_CHECK int jk_arr_end(struct jk_arr *a);

#endif
