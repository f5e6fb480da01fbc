#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "google/protobuf/message.h"
#include "google/protobuf/text_format.h"

namespace complaints::common {

// Protobuf text format, as the configuration files (policies, classifier) are written.

// Parses `text` into `message`. Errors read "<name>:<line>:<column>: <problem>" (1-based;
// "<line>:<column>: <problem>" when `name` is empty), all of them joined by "; ". With `locations`, records where each field was, for semantic checks
// that report lines too (TextProtoLine).
absl::Status ParseTextProto(std::string_view name, const std::string& text,
                            google::protobuf::Message* message,
                            google::protobuf::TextFormat::ParseInfoTree* locations = nullptr);

// The 1-based line of `field` of the message that `tree` describes (the index-th element of a
// repeated field), or 0 when unknown (no tree, field absent from the text).
int TextProtoLine(const google::protobuf::TextFormat::ParseInfoTree* tree,
                  const google::protobuf::Message& message, std::string_view field,
                  int index = -1);

// The tree of a nested message field (the index-th element of a repeated one), or nullptr.
const google::protobuf::TextFormat::ParseInfoTree* TextProtoNested(
    const google::protobuf::TextFormat::ParseInfoTree* tree,
    const google::protobuf::Message& message, std::string_view field, int index = -1);

}  // namespace complaints::common
