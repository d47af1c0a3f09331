// ft_sort_oracle.cc - libstdc++'s std::sort as the oracle of
// trainer/text/dict_sort.c: the same comparator as fastText's
// Dictionary::threshold over "type count" lines from stdin; prints the
// input index of each entry in sorted order.  With "killer N" instead of
// input, first builds N entries that drive std::sort's quicksort past its
// depth limit into heapsort (McIlroy's adversary), prints them as input
// lines and stops.  Built by tests/py/test_text_dict.py with g++.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

struct entry {
  int type;
  long long count;
  int index;
};

static std::vector<int> val;
static int gas, nsolid, candidate;

static bool adversary(int x, int y) {
  if (val[x] == gas && val[y] == gas) {
    if (x == candidate)
      val[x] = nsolid++;
    else
      val[y] = nsolid++;
  }
  if (val[x] == gas)
    candidate = x;
  else if (val[y] == gas)
    candidate = y;
  return val[x] < val[y];
}

int main(int argc, char** argv) {
  if (argc == 3 && !std::strcmp(argv[1], "killer")) {
    int n = std::atoi(argv[2]);
    std::vector<int> items(n);
    gas = n;
    val.assign(n, gas);
    for (int i = 0; i < n; i++) items[i] = i;
    std::sort(items.begin(), items.end(), adversary);
    // fastText's order is by count, largest first
    for (int i = 0; i < n; i++) std::printf("0 %d\n", 2 * n - val[i]);
    return 0;
  }
  std::vector<entry> e;
  entry x;
  while (std::scanf("%d %lld", &x.type, &x.count) == 2) {
    x.index = (int)e.size();
    e.push_back(x);
  }
  std::sort(e.begin(), e.end(), [](const entry& e1, const entry& e2) {
    if (e1.type != e2.type) return e1.type < e2.type;
    return e1.count > e2.count;
  });
  for (const entry& y : e) std::printf("%d\n", y.index);
  return 0;
}
