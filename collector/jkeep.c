/* Frame sections kept between ticks and updated in place (see jkeep.h). */
#include "collector/jkeep.h"

#include <string.h>

#include "collector/frame.h"

/*
 * Numbers that a null replaced (an await with no request in this interval, a ratio with a zero
 * denominator) wait here to hold the number again when it comes back, so that a value flipping
 * between null and a number does not cost a free and a malloc each time.
 */
#define JK_POOL 64
static json_t *jk_pool_real[JK_POOL], *jk_pool_int[JK_POOL];
static size_t jk_nreal, jk_nint;

/* Keeps v, about to be replaced in its object or array, when it is a number. */
static void
jk_stash(json_t *v)
{
	if (json_is_real(v) && jk_nreal < JK_POOL)
		jk_pool_real[jk_nreal++] = json_incref(v);
	else if (json_is_integer(v) && jk_nint < JK_POOL)
		jk_pool_int[jk_nint++] = json_incref(v);
}

/* Returns a stashed number of the pool (real or int) that nothing else holds, or NULL. */
static json_t *
jk_unstash(json_t **pool, size_t *n)
{
	json_t *v;

	while (*n > 0) {
		v = pool[--*n];
		if (v->refcount == 1)
			return v;
		json_decref(v);
	}
	return NULL;
}

json_t *
jk_new_object(void)
{
	json_t *o;

	frame_persist_enter();
	o = json_object();
	frame_persist_leave();
	return o;
}

json_t *
jk_new_array(void)
{
	json_t *a;

	frame_persist_enter();
	a = json_array();
	frame_persist_leave();
	return a;
}

void
jk_begin(struct jk_obj *c, json_t *obj)
{
	c->obj = obj;
	c->it = obj != NULL ? json_object_iter(obj) : NULL;
	c->fail = obj == NULL;
}

/* Deletes every key from the cursor's position to the end. */
static void
jk_truncate(struct jk_obj *c)
{
	void *next;

	frame_persist_enter();
	while (c->it != NULL) {
		next = json_object_iter_next(c->obj, c->it);
		json_object_del(c->obj, json_object_iter_key(c->it));
		c->it = next;
	}
	frame_persist_leave();
}

/*
 * Returns the value of `key` with *reused true when key is the next key and has type `type`
 * (and moves past it). Otherwise stores make(arg) under key — in the same place when the key
 * matched, at the end after dropping the rest when it did not — and returns it (NULL when out of
 * memory) with *reused false.
 */
static json_t *
jk_slot(struct jk_obj *c, const char *key, json_type type, json_t *(*make)(const void *),
	const void *arg, bool *reused)
{
	json_t *v;

	*reused = false;
	if (c->obj == NULL)
		return NULL;
	if (c->it != NULL && strcmp(json_object_iter_key(c->it), key) == 0) {
		v = json_object_iter_value(c->it);
		if (json_typeof(v) == type) {
			c->it = json_object_iter_next(c->obj, c->it);
			*reused = true;
			return v;
		}
		frame_persist_enter();
		jk_stash(v);
		v = make(arg);
		if (v == NULL || json_object_iter_set_new(c->obj, c->it, v) != 0) {
			c->fail = true;
			v = NULL;
		}
		frame_persist_leave();
		c->it = json_object_iter_next(c->obj, c->it);
		return v;
	}
	jk_truncate(c);
	frame_persist_enter();
	v = make(arg);
	if (v == NULL || json_object_set_new_nocheck(c->obj, key, v) != 0) {
		c->fail = true;
		v = NULL;
	}
	frame_persist_leave();
	return v;
}

static json_t *
jk_make_real(const void *arg)
{
	json_t *v = jk_unstash(jk_pool_real, &jk_nreal);

	if (v != NULL && json_real_set(v, *(const double *)arg) == 0)
		return v;
	json_decref(v);
	return json_real(*(const double *)arg);
}

static json_t *
jk_make_int(const void *arg)
{
	json_t *v = jk_unstash(jk_pool_int, &jk_nint);

	if (v != NULL) {
		json_integer_set(v, *(const json_int_t *)arg);
		return v;
	}
	return json_integer(*(const json_int_t *)arg);
}

static json_t *
jk_make_null(const void *arg)
{
	(void)arg;
	return json_null();
}

static json_t *
jk_make_str(const void *arg)
{
	return json_string(arg);
}

static json_t *
jk_make_bool(const void *arg)
{
	return json_boolean(*(const bool *)arg);
}

static json_t *
jk_make_object(const void *arg)
{
	(void)arg;
	return json_object();
}

static json_t *
jk_make_array(const void *arg)
{
	(void)arg;
	return json_array();
}

void
jk_real(struct jk_obj *c, const char *key, double v)
{
	bool reused;
	json_t *j = jk_slot(c, key, JSON_REAL, jk_make_real, &v, &reused);

	if (reused && json_real_set(j, v) != 0)
		c->fail = true;
}

void
jk_int(struct jk_obj *c, const char *key, json_int_t v)
{
	bool reused;
	json_t *j = jk_slot(c, key, JSON_INTEGER, jk_make_int, &v, &reused);

	if (reused && json_integer_set(j, v) != 0)
		c->fail = true;
}

void
jk_null(struct jk_obj *c, const char *key)
{
	bool reused;

	(void)jk_slot(c, key, JSON_NULL, jk_make_null, NULL, &reused);
}

void
jk_str(struct jk_obj *c, const char *key, const char *s)
{
	bool reused;
	json_t *j;

	if (s == NULL) {
		jk_null(c, key);
		return;
	}
	j = jk_slot(c, key, JSON_STRING, jk_make_str, s, &reused);
	if (!reused || strcmp(json_string_value(j), s) == 0)
		return;
	frame_persist_enter();
	if (json_string_set(j, s) != 0)
		c->fail = true;
	frame_persist_leave();
}

void
jk_bool(struct jk_obj *c, const char *key, bool v)
{
	bool reused;

	(void)jk_slot(c, key, v ? JSON_TRUE : JSON_FALSE, jk_make_bool, &v, &reused);
}

json_t *
jk_obj(struct jk_obj *c, const char *key)
{
	bool reused;

	return jk_slot(c, key, JSON_OBJECT, jk_make_object, NULL, &reused);
}

json_t *
jk_arr(struct jk_obj *c, const char *key)
{
	bool reused;

	return jk_slot(c, key, JSON_ARRAY, jk_make_array, NULL, &reused);
}

int
jk_end(struct jk_obj *c)
{
	jk_truncate(c);
	return c->fail ? -1 : 0;
}

void
jk_arr_begin(struct jk_arr *a, json_t *arr)
{
	a->arr = arr;
	a->i = 0;
	a->fail = arr == NULL;
}

/* Returns the next element when it has type `type`, else stores fresh there and returns it. */
static json_t *
jk_arr_slot(struct jk_arr *a, json_type type, json_t *(*make)(const void *), const void *arg,
	    bool *reused)
{
	json_t *v = NULL;

	*reused = false;
	if (a->arr == NULL)
		return NULL;
	if (a->i < json_array_size(a->arr)) {
		v = json_array_get(a->arr, a->i);
		if (json_typeof(v) == type) {
			a->i++;
			*reused = true;
			return v;
		}
	}
	frame_persist_enter();
	v = make(arg);
	if (v == NULL || (a->i < json_array_size(a->arr) ? json_array_set_new(a->arr, a->i, v)
							 : json_array_append_new(a->arr, v)) != 0) {
		a->fail = true;
		v = NULL;
	}
	frame_persist_leave();
	a->i++;
	return v;
}

json_t *
jk_arr_obj(struct jk_arr *a)
{
	bool reused;

	return jk_arr_slot(a, JSON_OBJECT, jk_make_object, NULL, &reused);
}

void
jk_arr_str(struct jk_arr *a, const char *s)
{
	bool reused;
	json_t *j = jk_arr_slot(a, JSON_STRING, jk_make_str, s, &reused);

	if (!reused || j == NULL || strcmp(json_string_value(j), s) == 0)
		return;
	frame_persist_enter();
	if (json_string_set(j, s) != 0)
		a->fail = true;
	frame_persist_leave();
}

int
jk_arr_end(struct jk_arr *a)
{
	if (a->arr != NULL) {
		frame_persist_enter();
		while (json_array_size(a->arr) > a->i)
			json_array_remove(a->arr, json_array_size(a->arr) - 1);
		frame_persist_leave();
	}
	return a->fail ? -1 : 0;
}
