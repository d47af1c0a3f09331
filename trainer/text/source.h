/* source.h - text datasets, streamed through data/stream.h (plain,
 * compressed or archive:member, hashed for the provenance), turned into
 * the tokens fastText would read.
 *
 * Each record becomes one dm_text_line: its labels (prefix + name) first,
 * then its words, then "</s>" -- the tokens of the line
 * "PREFIXname words...\n" of a fastText file, so that the dictionary and
 * the ids are those fastText gets from the file dh-model would export.
 *
 *   fasttext  fastText's own format, read byte for byte (token.h): labels
 *             by prefix, as many as a line has, anywhere in it; a blank
 *             line is a line of "</s>" alone, as in fastText.
 *   tsv       "label TAB text" a line: the label is the name without the
 *             prefix; blank lines are skipped.
 *   fortune   '%'-separated records (a line of '%' alone between them), the
 *             format of Debian's fortunes-* packages; the newlines inside
 *             a record separate words like spaces; empty records are
 *             skipped.  The label comes from the dataset (label=NAME).
 *   words     plain text, a record a line, reduced to its words as
 *             word2vec's demo scripts do: A-Z lower-cased, a-z and the
 *             bytes >= 0x80 (UTF-8 characters) kept, every other byte
 *             (digits, punctuation, markup) a space; lines left without
 *             a word are skipped.  For word vectors from books and
 *             dictionaries, whose punctuation fastText would keep in the
 *             words ("horse," "{horse}").  label=NAME is optional and
 *             goes first in every line, as for fasttext.
 *
 * A dataset's label=NAME is required for fortune, refused for tsv (the
 * label is in each line), and for fasttext puts the label first in every
 * line of the file that is not blank (a word list, one word a line, becomes
 * a dataset of one language).
 *
 * A "</s>" written in a tsv or fortune text stays in its record; fastText,
 * reading the exported line, would end the line there and take the rest
 * for a line without a label, which supervised training skips: the ids
 * (dict.h stops at the first "</s>") and the counts are the same.
 */
#ifndef DM_TEXT_SOURCE_H
#define DM_TEXT_SOURCE_H

#include <stdint.h>

#include "../base/error.h"
#include "../data/dataset.h"
#include "../data/stream.h"
#include "token.h"

typedef enum dm_text_format {
	DM_TEXT_FASTTEXT,
	DM_TEXT_TSV,
	DM_TEXT_FORTUNE,
	DM_TEXT_WORDS
} dm_text_format;

/* "fasttext", "tsv", "fortune" or "words"; 0, or -1 for another name. */
int dm_text_format_parse(const char *s, dm_text_format *out);
const char *dm_text_format_name(dm_text_format f);

typedef struct dm_text_source {
	char *path;    /* as in stream.h */
	char *label;   /* label=NAME, or NULL */
	uint64_t lines; /* lines=N: only the file's first N lines (the bytes
			 * `head -n N` gives), whatever the format; 0: all */
} dm_text_source;

typedef struct dm_text_sources {
	dm_text_source *v;
	size_t n;
} dm_text_sources;

/* A Dataset: value: one dataset a line (deb822 continuation lines), each
 * "PATH" followed by options "label=NAME" and "lines=N" (1 <= N <= 2^53),
 * each at most once, in any order.  A NAME is 1 to 256 bytes, none of them a
 * separator of token.h.  where ("debian/x.models: line 7") starts every
 * message, which also names the item.  The label rules of the format
 * (above) are checked here. */
int dm_text_sources_parse(const char *value, const char *where, dm_text_format fmt,
			  dm_text_sources *out, dm_error *err);

/* A label= that already begins with the label prefix (the reader adds
 * it: label=__label__en would give __label____label__en): an error naming
 * where (the recipe's "FILE: line N"), field and the item. */
int dm_text_sources_check_prefix(const dm_text_sources *src, const char *prefix,
				 const char *where, const char *field, dm_error *err);
void dm_text_sources_free(dm_text_sources *s);

typedef struct dm_text_reader dm_text_reader;

/* Open one dataset.  label_prefix: NULL for "__label__". */
dm_text_reader *dm_text_reader_open(dm_text_format fmt, const dm_text_source *src,
				    const char *label_prefix,
				    const dm_data_limits *limits, dm_error *err);
/* The next record.  Returns 1 with one, 0 at the end, -1 on error (the
 * message names the file and the line, and what was expected). */
int dm_text_reader_next(dm_text_reader *r, dm_text_line *l, dm_error *err);
/* Finish: the file's SHA-256 (of the whole file, also with lines=) and the
 * decompressed bytes read (with lines=N: those of the N lines) in rec
 * (rec->path is the source's path, strdup'd; NULL rec is fine).  Always
 * frees r. */
int dm_text_reader_close(dm_text_reader *r, dm_file_record *rec, dm_error *err);
/* Free without hashing (on an error path).  NULL is fine. */
void dm_text_reader_abort(dm_text_reader *r);

#endif
