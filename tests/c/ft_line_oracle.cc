// ft_line_oracle.cc - Debian's libfasttext (0.9.2) as the oracle of
// tests/py/test_text_dict.py: load MODEL.bin and print, for each line of
// FILE as Dictionary::getLine (supervised) reads it, "w ID ... | l ID ...",
// the ids fastText trains and predicts on.  Built by the test with g++.
#include <fasttext/fasttext.h>

#include <cstdio>
#include <fstream>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: ft_line_oracle MODEL.bin FILE\n");
    return 2;
  }
  fasttext::FastText ft;
  ft.loadModel(argv[1]);
  auto dict = ft.getDictionary();
  std::ifstream in(argv[2], std::ios::binary);
  std::vector<int32_t> words, labels;
  // getLine rewinds a stream at its end: stop before that
  while (in.peek() != EOF) {
    dict->getLine(in, words, labels);
    std::printf("w");
    for (int32_t id : words) std::printf(" %d", id);
    std::printf(" | l");
    for (int32_t id : labels) std::printf(" %d", id);
    std::printf("\n");
  }
  return 0;
}
