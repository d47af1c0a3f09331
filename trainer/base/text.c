/* text.c - names and text from files from elsewhere. */
#include "text.h"

#include <stdio.h>
#include <string.h>

size_t dm_utf8_len(const unsigned char *s, size_t avail)
{
	unsigned c = s[0];
	size_t n, i;
	unsigned lo = 0x80, hi = 0xBF;
	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		n = 2;
	else if (c >= 0xE0 && c <= 0xEF)
		n = 3;
	else if (c >= 0xF0 && c <= 0xF4)
		n = 4;
	else
		return 0;
	if (avail < n)
		return 0;
	/* the second byte's range is what rules out the bad forms */
	if (c == 0xE0)
		lo = 0xA0;
	else if (c == 0xED)
		hi = 0x9F;
	else if (c == 0xF0)
		lo = 0x90;
	else if (c == 0xF4)
		hi = 0x8F;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xBF)
			return 0;
	return n;
}

/* The code point of the valid UTF-8 sequence of N bytes at s. */
static unsigned code_point(const unsigned char *s, size_t n)
{
	unsigned u = n == 1 ? s[0] : s[0] & (0x7F >> n);
	for (size_t i = 1; i < n; i++)
		u = u << 6 | (s[i] & 0x3F);
	return u;
}

/* Characters that print as nothing, so that a message would hide them: a
 * byte order mark before a label, a zero-width space, bidi controls. */
static int invisible(unsigned u)
{
	return u == 0xAD || (u >= 0x200B && u <= 0x200F) || (u >= 0x202A && u <= 0x202E) ||
	       (u >= 0x2060 && u <= 0x2064) || (u >= 0x2066 && u <= 0x2069) || u == 0xFEFF;
}

/* Length of the character at s when it may be shown as it is, else 0. */
static size_t shown_len(const unsigned char *s, size_t avail)
{
	size_t n;
	if (s[0] < 0x20 || s[0] == 0x7f)
		return 0;
	n = dm_utf8_len(s, avail);
	if (n == 2 && s[0] == 0xC2 && s[1] < 0xA0)
		return 0; /* C1: U+0080..U+009F */
	if (n > 1 && invisible(code_point(s, n)))
		return 0;
	return n;
}

char *dm_printable(const char *str, char *out, size_t size)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t avail = strlen(str), o = 0, keep = 0, n;
	while (avail > 0) {
		/* a character that may not be shown is one '?' for its first
		 * byte, or <U+XXXX> when it is valid UTF-8 that prints as nothing */
		size_t step = (n = shown_len(s, avail)) ? n : 1, u8 = 0, width;
		char code[12];
		if (!n && (u8 = dm_utf8_len(s, avail)) > 1 && invisible(code_point(s, u8))) {
			snprintf(code, sizeof code, "<U+%04X>", code_point(s, u8));
			step = u8;
		} else {
			u8 = 0;
		}
		width = u8 ? strlen(code) : n ? n : 1;
		if (o + width > size - 1) {
			/* cut after the last character that leaves room for "..." */
			memcpy(out + keep, "...", 3);
			o = keep + 3;
			break;
		}
		if (n)
			memcpy(out + o, s, n);
		else if (u8)
			memcpy(out + o, code, width);
		else
			out[o] = '?';
		o += width;
		s += step;
		avail -= step;
		if (o + 3 <= size - 1)
			keep = o;
	}
	out[o] = '\0';
	return out;
}

void dm_make_printable(char *str, int keep_newlines)
{
	unsigned char *s = (unsigned char *)str;
	size_t avail = strlen(str), n;
	for (; avail > 0; s += n, avail -= n)
		if (!(n = shown_len(s, avail)) && !(keep_newlines && *s == '\n'))
			*s = '?', n = 1;
		else if (!n)
			n = 1;
}

const char *dm_model_name_problem(const char *name)
{
	size_t i, n = strlen(name);
	int ok = n >= 1 && n <= 64;
	for (i = 0; ok && i < n; i++)
		ok = (name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') ||
		     (i > 0 && strchr(".+-", name[i]));
	return ok ? NULL : DM_MODEL_NAME_RULE;
}

const char *dm_file_name_problem(const char *name)
{
	const unsigned char *s = (const unsigned char *)name;
	size_t avail = strlen(name), n;
	if (avail == 0 || avail > 255)
		return "a file name of 1 to 255 bytes";
	if (!strcmp(name, ".") || !strcmp(name, "..") || name[0] == '-')
		return "a file name other than '.' and '..', not starting with '-'";
	for (; avail > 0; s += n, avail -= n) {
		if (*s == '/')
			return "a file name without '/'";
		if ((n = shown_len(s, avail)) == 0)
			return "a file name of printable UTF-8 characters";
	}
	return NULL;
}
