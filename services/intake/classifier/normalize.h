#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"

namespace complaints::classifier {

// A description as the classifier matches it: one code point for each code point of the
// original, so that a position in it is a position in the original (evidence offsets).
struct NormalizedText {
  std::string text;                    // UTF-8
  std::vector<char32_t> code_points;   // text, decoded
  std::vector<int32_t> byte_to_cp;     // code-point index of each byte of `text`, and of its end
  int32_t CodePointAt(size_t byte) const { return byte_to_cp[byte]; }
  int32_t size() const { return static_cast<int32_t>(code_points.size()); }
};

// Traditional→Simplified (a 1:1 map from data), full-width ASCII (U+FF01–FF5E)→ASCII,
// ideographic space→space. Bytes that are not valid UTF-8 count as one code point each (U+FFFD).
class Normalizer {
 public:
  // `t2s_tsv`: lines "<traditional>\t<simplified>", one code point each; '#' comments.
  // Errors name the line ("t2s.tsv:12: ...").
  static absl::StatusOr<Normalizer> FromTsv(std::string_view name, std::string_view t2s_tsv);
  Normalizer() = default;

  NormalizedText Normalize(std::string_view text) const;
  char32_t Map(char32_t c) const;
  size_t size() const { return t2s_.size(); }

 private:
  absl::flat_hash_map<char32_t, char32_t> t2s_;
};

// UTF-8 helpers over whole strings.
void AppendUtf8(char32_t c, std::string* out);
std::vector<char32_t> DecodeUtf8(std::string_view s);
// The number of code points of `s` (an invalid byte counts as one).
int32_t CodePointCount(std::string_view s);

}  // namespace complaints::classifier
