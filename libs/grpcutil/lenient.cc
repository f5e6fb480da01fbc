#include "libs/grpcutil/lenient.h"

#include <map>
#include <memory>
#include <mutex>

#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/dynamic_message.h"
#include "libs/common/utf8.h"

namespace complaints::grpcutil {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::DescriptorPool;
using google::protobuf::DescriptorProto;
using google::protobuf::FieldDescriptor;
using google::protobuf::FieldDescriptorProto;
using google::protobuf::FileDescriptor;
using google::protobuf::FileDescriptorProto;
using google::protobuf::Message;
using google::protobuf::Reflection;

// Bytes fields are never checked for UTF-8; map entries keep their string keys (a map key cannot
// be bytes), so a map key that is not UTF-8 still fails the parse.
void StringsToBytes(DescriptorProto* type) {
  if (type->options().map_entry()) return;
  for (FieldDescriptorProto& field : *type->mutable_field()) {
    if (field.type() == FieldDescriptorProto::TYPE_STRING) {
      field.set_type(FieldDescriptorProto::TYPE_BYTES);
    }
  }
  for (DescriptorProto& nested : *type->mutable_nested_type()) StringsToBytes(&nested);
}

// Mirrors of generated message types, with their strings as bytes: one pool for the process,
// holding a rewritten copy of each file (and its imports) under the same names.
class MirrorPool {
 public:
  static MirrorPool& Get() {
    static MirrorPool* pool = new MirrorPool;  // never destroyed: messages may outlive main
    return *pool;
  }

  std::unique_ptr<Message> New(const Descriptor* type) {
    std::lock_guard lock(mu_);
    if (!AddFile(type->file())) return nullptr;
    const Descriptor* mirror = pool_.FindMessageTypeByName(type->full_name());
    if (mirror == nullptr) return nullptr;
    return std::unique_ptr<Message>(factory_.GetPrototype(mirror)->New());
  }

 private:
  bool AddFile(const FileDescriptor* file) {
    if (pool_.FindFileByName(file->name()) != nullptr) return true;
    for (int i = 0; i < file->dependency_count(); ++i) {
      if (!AddFile(file->dependency(i))) return false;
    }
    FileDescriptorProto proto;
    file->CopyTo(&proto);
    for (DescriptorProto& type : *proto.mutable_message_type()) StringsToBytes(&type);
    return pool_.BuildFile(proto) != nullptr;
  }

  std::mutex mu_;
  DescriptorPool pool_;
  google::protobuf::DynamicMessageFactory factory_{&pool_};
};

// Copies `from` (a mirror) into `to` (the generated type) field by field: the two have the same
// fields by number, strings in `to` where `from` has bytes.
void CopyMirror(const Message& from, Message* to) {
  const Reflection* in = from.GetReflection();
  const Reflection* out = to->GetReflection();
  std::vector<const FieldDescriptor*> fields;
  in->ListFields(from, &fields);
  for (const FieldDescriptor* source : fields) {
    const FieldDescriptor* target = to->GetDescriptor()->FindFieldByNumber(source->number());
    if (target == nullptr || target->cpp_type() != source->cpp_type()) continue;
    if (source->is_repeated()) {
      const int size = in->FieldSize(from, source);
      for (int i = 0; i < size; ++i) {
        switch (source->cpp_type()) {
#define COMPLAINTS_COPY_REPEATED(CPPTYPE, Name)                                          \
  case FieldDescriptor::CPPTYPE:                                                         \
    out->Add##Name(to, target, in->GetRepeated##Name(from, source, i));                  \
    break;
          COMPLAINTS_COPY_REPEATED(CPPTYPE_INT32, Int32)
          COMPLAINTS_COPY_REPEATED(CPPTYPE_INT64, Int64)
          COMPLAINTS_COPY_REPEATED(CPPTYPE_UINT32, UInt32)
          COMPLAINTS_COPY_REPEATED(CPPTYPE_UINT64, UInt64)
          COMPLAINTS_COPY_REPEATED(CPPTYPE_DOUBLE, Double)
          COMPLAINTS_COPY_REPEATED(CPPTYPE_FLOAT, Float)
          COMPLAINTS_COPY_REPEATED(CPPTYPE_BOOL, Bool)
          COMPLAINTS_COPY_REPEATED(CPPTYPE_ENUM, EnumValue)
          COMPLAINTS_COPY_REPEATED(CPPTYPE_STRING, String)
#undef COMPLAINTS_COPY_REPEATED
          case FieldDescriptor::CPPTYPE_MESSAGE:
            CopyMirror(in->GetRepeatedMessage(from, source, i), out->AddMessage(to, target));
            break;
        }
      }
      continue;
    }
    switch (source->cpp_type()) {
#define COMPLAINTS_COPY(CPPTYPE, Name)                                \
  case FieldDescriptor::CPPTYPE:                                      \
    out->Set##Name(to, target, in->Get##Name(from, source));          \
    break;
      COMPLAINTS_COPY(CPPTYPE_INT32, Int32)
      COMPLAINTS_COPY(CPPTYPE_INT64, Int64)
      COMPLAINTS_COPY(CPPTYPE_UINT32, UInt32)
      COMPLAINTS_COPY(CPPTYPE_UINT64, UInt64)
      COMPLAINTS_COPY(CPPTYPE_DOUBLE, Double)
      COMPLAINTS_COPY(CPPTYPE_FLOAT, Float)
      COMPLAINTS_COPY(CPPTYPE_BOOL, Bool)
      COMPLAINTS_COPY(CPPTYPE_ENUM, EnumValue)
      COMPLAINTS_COPY(CPPTYPE_STRING, String)
#undef COMPLAINTS_COPY
      case FieldDescriptor::CPPTYPE_MESSAGE:
        CopyMirror(in->GetMessage(from, source), out->MutableMessage(to, target));
        break;
    }
  }
  out->MutableUnknownFields(to)->MergeFrom(in->GetUnknownFields(from));
}

void CollectInvalidUtf8(const Message& message, const std::string& prefix,
                        std::vector<std::string>* paths) {
  const Reflection* reflection = message.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  std::string scratch;  // GetStringReference's, for string fields not stored as std::string
  for (const FieldDescriptor* field : fields) {
    if (field->is_map()) continue;
    // Built only when needed: nearly every request has every string valid, and this runs on each.
    const auto path = [&] { return prefix + field->name(); };
    if (field->type() == FieldDescriptor::TYPE_STRING) {
      if (field->is_repeated()) {
        for (int i = 0; i < reflection->FieldSize(message, field); ++i) {
          if (!common::IsValidUtf8(
                  reflection->GetRepeatedStringReference(message, field, i, &scratch))) {
            paths->push_back(path() + "[" + std::to_string(i) + "]");
          }
        }
      } else if (!common::IsValidUtf8(reflection->GetStringReference(message, field, &scratch))) {
        paths->push_back(path());
      }
    } else if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (field->is_repeated()) {
        for (int i = 0; i < reflection->FieldSize(message, field); ++i) {
          CollectInvalidUtf8(reflection->GetRepeatedMessage(message, field, i),
                             path() + "[" + std::to_string(i) + "].", paths);
        }
      } else {
        CollectInvalidUtf8(reflection->GetMessage(message, field), path() + ".", paths);
      }
    }
  }
}

}  // namespace

absl::Status ParseLenient(std::string_view bytes, Message* message) {
  if (message->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::OkStatus();
  }
  message->Clear();
  const std::string not_a = "the request is not a " + message->GetDescriptor()->full_name();
  std::unique_ptr<Message> mirror = MirrorPool::Get().New(message->GetDescriptor());
  if (mirror == nullptr) return absl::InternalError("no lenient parser for " + not_a);
  if (!mirror->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::InvalidArgumentError(not_a + " (it does not parse)");
  }
  CopyMirror(*mirror, message);
  return absl::OkStatus();
}

absl::Status ParseLenient(grpc::ByteBuffer* buffer, Message* message) {
  std::vector<grpc::Slice> slices;
  if (!buffer->Dump(&slices).ok()) {
    return absl::InvalidArgumentError("the request could not be read");
  }
  std::string bytes;
  for (const grpc::Slice& slice : slices) {
    bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  return ParseLenient(bytes, message);
}

std::vector<std::string> InvalidUtf8Fields(const Message& message) {
  std::vector<std::string> paths;
  CollectInvalidUtf8(message, "", &paths);
  return paths;
}

}  // namespace complaints::grpcutil
