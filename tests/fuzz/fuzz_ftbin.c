/* fuzz_ftbin.c - fastText's .bin reader (trainer/fasttext/ftbin.h), from a
 * file and from memory.  Both must agree, errors are one line that names
 * the file, and a version 12 file that reads is written back to exactly
 * its own bytes (the writer is what fastText 0.9.2 writes).  A model that
 * reads and can predict (ftpredict.h) predicts a few awkward lines: the
 * labels it gives are its own, at most k, best first. */
#include "fasttext/ftbin.h"
#include "fasttext/ftpredict.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dm_ft_model m, again;
	dm_error err = {"", 0}, err2 = {"", 0};
	const char *path = fuzz_file(0, data, size);
	unsigned char *out = NULL;
	size_t n = 0;
	int rc = dm_ft_read(path, &m, &err);
	int rc2 = dm_ft_read_mem(data, size, path, &again, &err2);
	FUZZ_CHECK(rc == rc2);
	if (rc) {
		fuzz_check_message(err.msg);
		FUZZ_CHECK(strncmp(err.msg, path, strlen(path)) == 0);
		FUZZ_CHECK(strcmp(err.msg, err2.msg) == 0);
		return 0;
	}
	FUZZ_CHECK(m.nwords + m.nlabels == m.size);
	FUZZ_CHECK(dm_ft_check(&m, path, &err) == 0);
	FUZZ_CHECK(dm_ft_write_mem(&m, &out, &n, &err) == 0);
	FUZZ_CHECK(n == dm_ft_size(&m));
	if (m.version == DM_FT_VERSION)
		FUZZ_CHECK(n == size && !memcmp(out, data, size));
	free(out);
	{
		static const char text[] = "caf\xc3\xa9 a b\n\n__label__x c </s> d\xff\x80 \t ab";
		dm_ft_predictor p;
		dm_ft_prediction best[3];
		size_t pos = 0, count, i;
		if (!dm_ft_predictor_init(&p, &m, path, &err)) {
			while (dm_ft_next_line(&p, text, sizeof text - 1, &pos, &err) == 1) {
				for (i = 0; i < p.nids; i++)
					FUZZ_CHECK(p.ids[i] >= 0 && p.ids[i] < m.input.m);
				if (dm_ft_predict_line(&p, 3, 0.0f, best, &count, &err))
					break;
				FUZZ_CHECK(count <= 3);
				for (i = 0; i < count; i++) {
					FUZZ_CHECK(best[i].label >= 0 && best[i].label < m.nlabels);
					FUZZ_CHECK(i == 0 || !(best[i].logp > best[i - 1].logp));
				}
			}
			dm_ft_predictor_free(&p);
		}
		fuzz_check_message(err.msg[0] ? err.msg : "none");
	}
	dm_ft_free(&m);
	dm_ft_free(&again);
	return 0;
}
