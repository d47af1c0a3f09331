/* fuzz_provenance.c - reading a provenance from a weights file that anyone
 * may have written: the safetensors reader, the JSON inside its metadata,
 * the checks of provenance/record.c, and the model card of that record.
 *
 * The first byte chooses: bit 0 clear, the rest is the provenance's JSON
 * text, put into the metadata of a small valid weights file (so that the
 * fuzzer mutates the record, not the JSON escaping around it); set, the
 * rest is a whole safetensors file.  A record that is accepted must hold
 * what record.h promises; every message is one printable line; the card of
 * any record holds no control character but newlines. */
#include "base/text.h"
#include "fuzz_common.h"
#include "output/card.h"
#include "output/json.h"
#include "output/safetensors.h"
#include "provenance/record.h"

/* A weights file with one tensor and the provenance text in its metadata. */
static char *wrap(const uint8_t *data, size_t size, size_t *n)
{
	dm_json_writer w;
	const char *h;
	char *text = malloc(size + 1), *file;
	size_t hlen, pad, i;
	memcpy(text, data, size);
	text[size] = 0;
	dm_json_init(&w, 0);
	dm_json_begin_object(&w);
	dm_json_key(&w, "__metadata__");
	dm_json_begin_object(&w);
	dm_json_key(&w, "dh-model.provenance");
	dm_json_string(&w, text);   /* up to its first NUL; bad UTF-8 becomes U+FFFD */
	dm_json_end_object(&w);
	dm_json_key(&w, "t");
	dm_json_raw(&w, "{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}");
	dm_json_end_object(&w);
	h = dm_json_finish(&w, &hlen, NULL);
	FUZZ_CHECK(h != NULL);
	pad = (8 - hlen % 8) % 8;
	*n = 8 + hlen + pad + 4;
	file = calloc(1, *n);
	for (i = 0; i < 8; i++)
		file[i] = (char)((uint64_t)(hlen + pad) >> (8 * i));
	memcpy(file + 8, h, hlen);
	memset(file + 8 + hlen, ' ', pad);
	dm_json_free(&w);
	free(text);
	return file;
}

static void check_printable_line(const char *msg)
{
	const unsigned char *p;
	fuzz_check_message(msg);
	for (p = (const unsigned char *)msg; *p; p++)
		FUZZ_CHECK(*p >= 0x20 && *p != 0x7f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dm_safetensors st;
	dm_record r;
	dm_error err = {"", 0};
	char *file = NULL, *card;
	size_t n, i;
	if (size < 1)
		return 0;
	if (data[0] & 1) {
		n = size - 1;
		file = malloc(n ? n : 1);
		memcpy(file, data + 1, n);
	} else {
		file = wrap(data + 1, size - 1, &n);
	}
	if (dm_safetensors_parse("w.safetensors", file, n, &st, &err)) {
		check_printable_line(err.msg);
		free(file);
		return 0;
	}
	if (dm_record_of_weights("w.safetensors", &st, &r, &err)) {
		check_printable_line(err.msg);
		FUZZ_CHECK(!strncmp(err.msg, "w.safetensors", 13));
	} else {
		FUZZ_CHECK(dm_model_name_problem(r.model) == NULL);
		FUZZ_CHECK(!r.policy || dm_model_name_problem(r.policy) == NULL);
		FUZZ_CHECK(r.ndata >= 1 && r.ndata <= DM_RECORD_MAX_DATA);
		for (i = 0; i < r.ndata; i++) {
			size_t k;
			int named = 0;
			FUZZ_CHECK(strlen(r.data[i].sha256) == 64);
			/* each data file is the value of its recipe field */
			for (k = 0; k < r.fields->len; k++)
				named |= !strcasecmp(r.fields->keys[k], r.data[i].field) &&
					 !strcmp(r.fields->items[k].string, r.data[i].path);
			FUZZ_CHECK(named);
		}
		for (i = 0; i < r.fields->len; i++)
			FUZZ_CHECK(r.fields->items[i].type == DM_JSON_STRING);
		/* the card of an accepted record, and of any record text */
		card = dm_card_markdown("w.json", r.text, strlen(r.text), &err);
		if (card) {
			const unsigned char *p;
			for (p = (const unsigned char *)card; *p; p++)
				FUZZ_CHECK((*p >= 0x20 && *p != 0x7f) || *p == '\n');
			free(card);
		} else {
			check_printable_line(err.msg);
		}
		dm_record_free(&r);
	}
	dm_safetensors_free(&st);
	free(file);
	return 0;
}
