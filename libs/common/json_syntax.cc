#include "libs/common/json_syntax.h"

#include <cstddef>
#include <string>

#include "absl/strings/str_cat.h"
#include "libs/common/utf8.h"

namespace complaints::common {
namespace {

// Nesting deeper than this is refused rather than recursed into (a stack overflow is not an
// error message).
constexpr int kMaxDepth = 256;

class Checker {
 public:
  explicit Checker(std::string_view text) : text_(text) {}

  absl::Status Check() {
    SkipSpace();
    if (!Value(0)) return error_;
    SkipSpace();
    if (pos_ != text_.size()) {
      Fail("unexpected data after the JSON value");
      return error_;
    }
    return absl::OkStatus();
  }

 private:
  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek() const { return text_[pos_]; }

  bool Fail(const char* kind) {
    error_ = absl::InvalidArgumentError(absl::StrCat("syntax error at byte ", pos_, ": ", kind));
    return false;
  }

  void SkipSpace() {
    while (!AtEnd() && (Peek() == ' ' || Peek() == '\t' || Peek() == '\n' || Peek() == '\r')) {
      ++pos_;
    }
  }

  bool Value(int depth) {
    if (AtEnd()) return Fail("unexpected end of input, expected a value");
    switch (Peek()) {
      case '{': return Object(depth + 1);
      case '[': return Array(depth + 1);
      case '"': return String();
      case 't': return Literal("true");
      case 'f': return Literal("false");
      case 'n': return Literal("null");
      default:
        if (Peek() == '-' || (Peek() >= '0' && Peek() <= '9')) return Number();
        return Fail("expected a value");
    }
  }

  bool Object(int depth) {
    if (depth > kMaxDepth) return Fail("nested too deeply");
    ++pos_;  // '{'
    SkipSpace();
    if (!AtEnd() && Peek() == '}') {
      ++pos_;
      return true;
    }
    for (;;) {
      if (AtEnd()) return Fail("unexpected end of input in an object");
      if (Peek() != '"') return Fail("expected a string key");
      if (!String()) return false;
      SkipSpace();
      if (AtEnd() || Peek() != ':') return Fail("expected ':' after a key");
      ++pos_;
      SkipSpace();
      if (!Value(depth)) return false;
      SkipSpace();
      if (AtEnd()) return Fail("unexpected end of input in an object");
      if (Peek() == '}') {
        ++pos_;
        return true;
      }
      if (Peek() != ',') return Fail("expected ',' or '}' after a value");
      ++pos_;
      SkipSpace();
    }
  }

  bool Array(int depth) {
    if (depth > kMaxDepth) return Fail("nested too deeply");
    ++pos_;  // '['
    SkipSpace();
    if (!AtEnd() && Peek() == ']') {
      ++pos_;
      return true;
    }
    for (;;) {
      if (!Value(depth)) return false;
      SkipSpace();
      if (AtEnd()) return Fail("unexpected end of input in an array");
      if (Peek() == ']') {
        ++pos_;
        return true;
      }
      if (Peek() != ',') return Fail("expected ',' or ']' after a value");
      ++pos_;
      SkipSpace();
    }
  }

  static bool IsHex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  }

  bool String() {
    ++pos_;  // '"'
    for (;;) {
      if (AtEnd()) return Fail("unterminated string");
      const unsigned char c = static_cast<unsigned char>(Peek());
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (c < 0x20) return Fail("control character in a string");
      if (c == '\\') {
        ++pos_;
        if (AtEnd()) return Fail("unterminated string");
        const char escaped = Peek();
        if (escaped == 'u') {
          for (int i = 1; i <= 4; ++i) {
            if (pos_ + i >= text_.size() || !IsHex(text_[pos_ + i])) {
              return Fail("invalid \\u escape");
            }
          }
          pos_ += 5;
        } else if (std::string_view("\"\\/bfnrt").find(escaped) != std::string_view::npos) {
          ++pos_;
        } else {
          return Fail("invalid escape");
        }
        continue;
      }
      const size_t length = Utf8SequenceLength(text_.substr(pos_));
      if (length == 0) return Fail("invalid UTF-8");
      pos_ += length;
    }
  }

  bool Digits() {
    const size_t start = pos_;
    while (!AtEnd() && Peek() >= '0' && Peek() <= '9') ++pos_;
    return pos_ > start;
  }

  bool Number() {
    if (Peek() == '-') ++pos_;
    if (AtEnd()) return Fail("invalid number");
    if (Peek() == '0') {
      ++pos_;
    } else if (!Digits()) {
      return Fail("invalid number");
    }
    if (!AtEnd() && Peek() == '.') {
      ++pos_;
      if (!Digits()) return Fail("invalid number");
    }
    if (!AtEnd() && (Peek() == 'e' || Peek() == 'E')) {
      ++pos_;
      if (!AtEnd() && (Peek() == '+' || Peek() == '-')) ++pos_;
      if (!Digits()) return Fail("invalid number");
    }
    return true;
  }

  bool Literal(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return Fail("expected a value");
    pos_ += word.size();
    return true;
  }

  std::string_view text_;
  size_t pos_ = 0;
  absl::Status error_;
};

}  // namespace

absl::Status CheckJsonSyntax(std::string_view text) { return Checker(text).Check(); }

}  // namespace complaints::common
