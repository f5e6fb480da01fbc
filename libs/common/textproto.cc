#include "libs/common/textproto.h"

#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/tokenizer.h"
#include "libs/common/utf8.h"

namespace complaints::common {
namespace {

class Errors : public google::protobuf::io::ErrorCollector {
 public:
  explicit Errors(std::string_view name) : name_(name) {}
  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    Add(line, column, message);
  }
  void AddWarning(int line, google::protobuf::io::ColumnNumber column,
                  const std::string& message) override {
    Add(line, column, "warning: " + message);
  }
  const std::string& text() const { return text_; }

 private:
  void Add(int line, int column, const std::string& message) {
    if (!text_.empty()) text_ += "; ";
    if (!name_.empty()) text_ += name_ + ":";
    // The parser quotes the offending token, which may be a fragment of a multi-byte
    // character: the error goes to logs and statuses, so it is kept valid UTF-8.
    text_ += std::to_string(line + 1) + ":" + std::to_string(column + 1) + ": " +
             ToValidUtf8(message);
  }
  std::string name_;
  std::string text_;
};

const google::protobuf::FieldDescriptor* FieldOf(const google::protobuf::Message& message,
                                                 std::string_view field) {
  return message.GetDescriptor()->FindFieldByName(std::string(field));
}

}  // namespace

absl::Status ParseTextProto(std::string_view name, const std::string& text,
                            google::protobuf::Message* message,
                            google::protobuf::TextFormat::ParseInfoTree* locations) {
  Errors errors(name);
  google::protobuf::TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  if (locations != nullptr) parser.WriteLocationsTo(locations);
  if (!parser.ParseFromString(text, message)) return absl::InvalidArgumentError(errors.text());
  return absl::OkStatus();
}

int TextProtoLine(const google::protobuf::TextFormat::ParseInfoTree* tree,
                  const google::protobuf::Message& message, std::string_view field, int index) {
  if (tree == nullptr) return 0;
  const auto* descriptor = FieldOf(message, field);
  if (descriptor == nullptr) return 0;
  const auto location = tree->GetLocation(descriptor, descriptor->is_repeated() ? index : -1);
  return location.line < 0 ? 0 : location.line + 1;
}

const google::protobuf::TextFormat::ParseInfoTree* TextProtoNested(
    const google::protobuf::TextFormat::ParseInfoTree* tree,
    const google::protobuf::Message& message, std::string_view field, int index) {
  if (tree == nullptr) return nullptr;
  const auto* descriptor = FieldOf(message, field);
  if (descriptor == nullptr) return nullptr;
  return tree->GetTreeForNested(descriptor, descriptor->is_repeated() ? index : -1);
}

}  // namespace complaints::common
