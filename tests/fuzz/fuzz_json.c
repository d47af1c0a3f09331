/* fuzz_json.c - the bounded JSON reader, the writer (a value that parses
 * is written back and must parse to the same value), and the model card,
 * which renders any provenance record it is given. */
#include <math.h>

#include "fuzz_common.h"
#include "output/card.h"
#include "output/json.h"

static void write_value(dm_json_writer *w, const dm_json *v)
{
	size_t i;
	switch (v->type) {
	case DM_JSON_NULL: dm_json_null(w); break;
	case DM_JSON_BOOL: dm_json_bool(w, v->boolean); break;
	case DM_JSON_NUMBER: dm_json_double(w, v->number); break;
	case DM_JSON_STRING: dm_json_string(w, v->string); break;
	case DM_JSON_ARRAY:
		dm_json_begin_array(w);
		for (i = 0; i < v->len; i++)
			write_value(w, &v->items[i]);
		dm_json_end_array(w);
		break;
	case DM_JSON_OBJECT:
		dm_json_begin_object(w);
		for (i = 0; i < v->len; i++) {
			dm_json_key(w, v->keys[i]);
			write_value(w, &v->items[i]);
		}
		dm_json_end_object(w);
		break;
	}
}

static int same(const dm_json *a, const dm_json *b)
{
	size_t i;
	if (a->type != b->type)
		return 0;
	switch (a->type) {
	case DM_JSON_NULL: return 1;
	case DM_JSON_BOOL: return a->boolean == b->boolean;
	case DM_JSON_NUMBER: return a->number == b->number;
	case DM_JSON_STRING: return strcmp(a->string, b->string) == 0;
	default:
		if (a->len != b->len)
			return 0;
		for (i = 0; i < a->len; i++)
			if ((a->type == DM_JSON_OBJECT && strcmp(a->keys[i], b->keys[i])) ||
			    !same(&a->items[i], &b->items[i]))
				return 0;
		return 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dm_error err = {"", 0};
	dm_json *v = dm_json_parse((const char *)data, size, &err), *back;
	dm_json_writer w;
	const char *text;
	size_t len;
	char *card;
	if (!v) {
		fuzz_check_message(err.msg);
		FUZZ_CHECK(strncmp(err.msg, "at byte ", 8) == 0 ||
			   strncmp(err.msg, "out of memory", 13) == 0);
		return 0;
	}
	for (int pretty = 0; pretty < 2; pretty++) {
		dm_json_init(&w, pretty);
		write_value(&w, v);
		text = dm_json_finish(&w, &len, &err);
		FUZZ_CHECK(text != NULL);
		FUZZ_CHECK(strlen(text) == len);
		back = dm_json_parse(text, len, &err);
		if (!back)
			fprintf(stderr, "written JSON does not parse: %s\n", err.msg);
		FUZZ_CHECK(back != NULL);
		FUZZ_CHECK(same(v, back));
		dm_json_delete(back);
		dm_json_free(&w);
	}
	dm_json_delete(v);
	card = dm_card_markdown("fuzz.json", (const char *)data, size, &err);
	if (card)
		free(card);
	else
		fuzz_check_message(err.msg);
	return 0;
}
