/* text.h - names and text that come from a file from elsewhere.
 *
 * A model file, a provenance record or a bundle is untrusted input, like
 * a dataset.  What it names becomes a file name only through the rules
 * below, and what it says is shown (in a message, on a terminal, in a
 * model card) only through dm_printable().
 */
#ifndef DM_TEXT_H
#define DM_TEXT_H

#include <stddef.h>

/* Length of the valid UTF-8 sequence at s (avail bytes there), or 0 when
 * the bytes there are not one (overlong forms, surrogates, code points past
 * U+10FFFF, a cut sequence). */
size_t dm_utf8_len(const unsigned char *s, size_t avail);

/* s made safe to show, in out[size] (NUL-terminated): every control
 * character (C0, DEL and the C1 range U+0080..U+009F, which some terminals
 * obey) and every byte that is not part of valid UTF-8 becomes '?'.  Text
 * that does not fit ends in "...", cut at a character boundary.  Returns
 * out.  size must be at least 4. */
char *dm_printable(const char *s, char *out, size_t size);

/* The same in place, for text of any length: each byte of a character that
 * may not be shown becomes '?'; newlines stay when keep_newlines. */
void dm_make_printable(char *s, int keep_newlines);

/* The rule of a recipe's Model: field, for every model or policy name that
 * becomes part of a file name: 1 to 64 characters, lower-case ASCII letters,
 * digits, '.', '+' and '-', the first a letter or digit; so never '/',
 * never ".." alone, never a control character.  These are the characters
 * of a Debian package name (Policy 5.6.1), which a maintainer knows; one
 * character is allowed too.  The same rule, in the same words, is in
 * dh-model/lib/Debian/Debhelper/DhModel.pm (model_check_name), the
 * templates and dh-model-train(1); tests/t/48-model-names.t holds them
 * together.  NULL when name follows it, else DM_MODEL_NAME_RULE. */
#define DM_MODEL_NAME_RULE \
	"a name of 1 to 64 lower-case letters, digits, '.', '+' and '-', starting " \
	"with a letter or digit, as a Debian package name"
const char *dm_model_name_problem(const char *name);

/* A file name (one component of a path) that a file from elsewhere gives,
 * such as a data file in a bundle: 1 to 255 bytes of printable UTF-8 (as
 * dm_printable leaves it), no '/', not "." or "..", and not starting with
 * '-' (it could be read as an option).  NULL when it is one, else what was
 * expected. */
const char *dm_file_name_problem(const char *name);

#endif
