/* number.c - see number.h. */
#include "number.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int digit(char c)
{
	return c >= '0' && c <= '9';
}

static int blank(char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

dm_number_problem dm_number_parse(const char *s, double *d, float *f)
{
	const char *p;
	char buf[64], *e;
	int nonzero = 0, mant = 0;
	double dv;
	float fv;
	size_t n;
	/* blanks around, as Python's float() and C's strtod allow before */
	while (blank(*s))
		s++;
	for (n = strlen(s); n && blank(s[n - 1]); n--)
		;
	if (s[n]) {
		if (n >= sizeof buf) {
			if (!(e = malloc(n + 1)))
				return DM_NUMBER_SYNTAX;
			memcpy(e, s, n);
			e[n] = '\0';
			dm_number_problem r = dm_number_parse(e, d, f);
			free(e);
			return r;
		}
		memcpy(buf, s, n);
		buf[n] = '\0';
		s = buf;
	}
	p = s;
	if (*p == '+' || *p == '-')
		p++;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		return DM_NUMBER_HEX;
	if (!strcasecmp(p, "inf") || !strcasecmp(p, "infinity") ||
	    !strncasecmp(p, "nan", 3))
		return DM_NUMBER_NONFINITE;
	for (; digit(*p); p++, mant++)
		nonzero |= *p != '0';
	if (*p == '.')
		for (p++; digit(*p); p++, mant++)
			nonzero |= *p != '0';
	if (!mant)
		return DM_NUMBER_SYNTAX;
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!digit(*p))
			return DM_NUMBER_SYNTAX;
		while (digit(*p))
			p++;
	}
	if (*p)
		return DM_NUMBER_SYNTAX;
	dv = strtod(s, NULL);
	fv = strtof(s, NULL); /* rounded once, not through the double */
	if (!isfinite(dv) || !isfinite(fv) || (nonzero && fv == 0))
		return DM_NUMBER_RANGE;
	if (d)
		*d = dv;
	if (f)
		*f = fv;
	return DM_NUMBER_OK;
}

const char *dm_number_problem_text(dm_number_problem p)
{
	switch (p) {
	case DM_NUMBER_OK:
		return "is a number";
	case DM_NUMBER_HEX:
		return "is hexadecimal; expected a decimal number";
	case DM_NUMBER_NONFINITE:
		return "is not a finite number";
	case DM_NUMBER_RANGE:
		return "is beyond the float range (a magnitude from 1.4e-45 "
		       "to 3.4e38, or 0)";
	case DM_NUMBER_SYNTAX:
		break;
	}
	return "is not a decimal number";
}
