/* dict_sort.c - the order of fastText's dictionary.
 *
 * fastText sorts its entries with std::sort, which is not stable: entries
 * of the same type and count end up in an order that depends on the
 * algorithm of the C++ library it was built with.  Debian's fasttext is
 * built with g++, whose libstdc++ sorts by introsort: quicksort with the
 * median of three moved to the front and an unguarded partition, down to
 * runs of 16, heapsort past 2*floor(log2 n) levels, then one insertion sort
 * over the whole array.  This is that algorithm, written again in C from
 * its description, so that ties fall where fastText puts them; the oracle
 * test (tests/py/test_text_dict.py) compares the order entry for entry on
 * vocabularies with many ties.
 */
#include "dict.h"

#define THRESHOLD 16

typedef dm_text_entry E;

static inline int less(const E *a, const E *b)
{
	if (a->type != b->type)
		return a->type < b->type;
	return a->count > b->count;
}

static inline void swap(E *a, E *b)
{
	E t = *a;
	*a = *b;
	*b = t;
}

static void median_to_first(E *result, E *a, E *b, E *c)
{
	if (less(a, b)) {
		if (less(b, c))
			swap(result, b);
		else if (less(a, c))
			swap(result, c);
		else
			swap(result, a);
	} else if (less(a, c)) {
		swap(result, a);
	} else if (less(b, c)) {
		swap(result, c);
	} else {
		swap(result, b);
	}
}

static E *unguarded_partition(E *first, E *last, const E *pivot)
{
	for (;;) {
		while (less(first, pivot))
			first++;
		last--;
		while (less(pivot, last))
			last--;
		if (!(first < last))
			return first;
		swap(first, last);
		first++;
	}
}

/* the heap of std::make_heap / std::sort_heap */
static void push_heap(E *first, ptrdiff_t hole, ptrdiff_t top, E value)
{
	ptrdiff_t parent = (hole - 1) / 2;
	while (hole > top && less(first + parent, &value)) {
		first[hole] = first[parent];
		hole = parent;
		parent = (hole - 1) / 2;
	}
	first[hole] = value;
}

static void adjust_heap(E *first, ptrdiff_t hole, ptrdiff_t len, E value)
{
	ptrdiff_t top = hole, child = hole;
	while (child < (len - 1) / 2) {
		child = 2 * (child + 1);
		if (less(first + child, first + (child - 1)))
			child--;
		first[hole] = first[child];
		hole = child;
	}
	if ((len & 1) == 0 && child == (len - 2) / 2) {
		child = 2 * (child + 1);
		first[hole] = first[child - 1];
		hole = child - 1;
	}
	push_heap(first, hole, top, value);
}

static void heap_sort(E *first, E *last)
{
	ptrdiff_t len = last - first;
	if (len >= 2) {
		for (ptrdiff_t parent = (len - 2) / 2;; parent--) {
			adjust_heap(first, parent, len, first[parent]);
			if (parent == 0)
				break;
		}
	}
	while (last - first > 1) {
		E value;
		last--;
		value = *last;
		*last = *first;
		adjust_heap(first, 0, last - first, value);
	}
}

static void introsort_loop(E *first, E *last, size_t depth)
{
	while (last - first > THRESHOLD) {
		E *cut;
		if (depth == 0) {
			heap_sort(first, last);
			return;
		}
		depth--;
		median_to_first(first, first + 1, first + (last - first) / 2, last - 1);
		cut = unguarded_partition(first + 1, last, first);
		introsort_loop(cut, last, depth);
		last = cut;
	}
}

static void unguarded_linear_insert(E *last)
{
	E value = *last, *next = last - 1;
	while (less(&value, next)) {
		*last = *next;
		last = next;
		next--;
	}
	*last = value;
}

static void insertion_sort(E *first, E *last)
{
	if (first == last)
		return;
	for (E *i = first + 1; i != last; i++) {
		if (less(i, first)) {
			E value = *i;
			for (E *p = i; p != first; p--)
				*p = p[-1];
			*first = value;
		} else {
			unguarded_linear_insert(i);
		}
	}
}

static size_t floor_log2(size_t n)
{
	size_t k = 0;
	while (n >>= 1)
		k++;
	return k;
}

void dm_text_dict_sort(dm_text_entry *e, size_t n)
{
	if (n == 0)
		return;
	introsort_loop(e, e + n, 2 * floor_log2(n));
	if (n > THRESHOLD) {
		insertion_sort(e, e + THRESHOLD);
		for (E *i = e + THRESHOLD; i != e + n; i++)
			unguarded_linear_insert(i);
	} else {
		insertion_sort(e, e + n);
	}
}
