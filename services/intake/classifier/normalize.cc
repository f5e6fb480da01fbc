#include "services/intake/classifier/normalize.h"

#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "libs/common/utf8.h"

namespace complaints::classifier {
namespace {

constexpr char32_t kReplacement = 0xFFFD;

// Decodes the code point at s[0] and its length; an invalid byte is U+FFFD of length 1.
char32_t DecodeOne(std::string_view s, size_t* length) {
  const size_t n = common::Utf8SequenceLength(s);
  if (n == 0) {
    *length = 1;
    return kReplacement;
  }
  *length = n;
  const auto b = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  switch (n) {
    case 1:
      return b(0);
    case 2:
      return ((b(0) & 0x1F) << 6) | (b(1) & 0x3F);
    case 3:
      return ((b(0) & 0x0F) << 12) | ((b(1) & 0x3F) << 6) | (b(2) & 0x3F);
    default:
      return ((b(0) & 0x07) << 18) | ((b(1) & 0x3F) << 12) | ((b(2) & 0x3F) << 6) | (b(3) & 0x3F);
  }
}

}  // namespace

void AppendUtf8(char32_t c, std::string* out) {
  if (c < 0x80) {
    out->push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (c >> 6)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (c >> 12)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (c >> 18)));
    out->push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

std::vector<char32_t> DecodeUtf8(std::string_view s) {
  std::vector<char32_t> out;
  out.reserve(s.size());
  size_t length = 0;
  for (size_t i = 0; i < s.size(); i += length) out.push_back(DecodeOne(s.substr(i), &length));
  return out;
}

int32_t CodePointCount(std::string_view s) {
  int32_t count = 0;
  size_t length = 0;
  for (size_t i = 0; i < s.size(); i += length, ++count) DecodeOne(s.substr(i), &length);
  return count;
}

absl::StatusOr<Normalizer> Normalizer::FromTsv(std::string_view name, std::string_view tsv) {
  Normalizer normalizer;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(absl::string_view(tsv.data(), tsv.size()), '\n')) {
    ++line_number;
    line = absl::StripSuffix(line, "\r");
    if (line.empty() || line[0] == '#') continue;
    const std::vector<absl::string_view> fields = absl::StrSplit(line, '\t');
    const auto where = [&] { return std::string(name) + ":" + std::to_string(line_number) + ": "; };
    if (fields.size() != 2) {
      return absl::InvalidArgumentError(where() + "expected two tab-separated code points");
    }
    const auto from = DecodeUtf8(std::string_view(fields[0].data(), fields[0].size()));
    const auto to = DecodeUtf8(std::string_view(fields[1].data(), fields[1].size()));
    if (from.size() != 1 || to.size() != 1 || from[0] == kReplacement || to[0] == kReplacement) {
      return absl::InvalidArgumentError(where() + "each side must be one valid code point");
    }
    if (!normalizer.t2s_.emplace(from[0], to[0]).second) {
      return absl::InvalidArgumentError(where() + "code point mapped twice");
    }
  }
  return normalizer;
}

char32_t Normalizer::Map(char32_t c) const {
  if (c >= 0xFF01 && c <= 0xFF5E) return c - 0xFF01 + 0x21;
  if (c == 0x3000) return ' ';
  if (c < 0x3400) return c;
  const auto it = t2s_.find(c);
  return it == t2s_.end() ? c : it->second;
}

NormalizedText Normalizer::Normalize(std::string_view text) const {
  NormalizedText out;
  out.text.reserve(text.size());
  out.code_points.reserve(text.size());
  out.byte_to_cp.reserve(text.size() + 1);
  size_t length = 0;
  for (size_t i = 0; i < text.size(); i += length) {
    const char32_t c = Map(DecodeOne(text.substr(i), &length));
    const size_t before = out.text.size();
    AppendUtf8(c, &out.text);
    const auto index = static_cast<int32_t>(out.code_points.size());
    out.byte_to_cp.insert(out.byte_to_cp.end(), out.text.size() - before, index);
    out.code_points.push_back(c);
  }
  out.byte_to_cp.push_back(static_cast<int32_t>(out.code_points.size()));
  return out;
}

}  // namespace complaints::classifier
