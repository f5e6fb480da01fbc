#include "services/sla_timer/store/store_codec.h"

#include <zlib.h>

#include <optional>

namespace complaints::sla_timer {
namespace {

constexpr int64_t kMax48 = (int64_t{1} << 48) - 1;
constexpr size_t kPackedIdSize = 10;
constexpr char kHex[] = "0123456789ABCDEF";

void PutBigEndian(std::string& out, uint64_t value, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

uint64_t GetBigEndian(std::string_view in, int bytes) {
  uint64_t value = 0;
  for (int i = 0; i < bytes; ++i) value = value << 8 | static_cast<uint8_t>(in[i]);
  return value;
}

void PutVarint(std::string& out, uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

void PutSigned(std::string& out, int64_t value) {
  PutVarint(out, (static_cast<uint64_t>(value) << 1) ^ static_cast<uint64_t>(value >> 63));
}

// Reads from the front of `in`, advancing it; false when the input ends first.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}

  bool Byte(uint8_t& out) {
    if (in_.empty()) return false;
    out = static_cast<uint8_t>(in_[0]);
    in_.remove_prefix(1);
    return true;
  }
  bool Varint(uint64_t& out) {
    out = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      uint8_t b = 0;
      if (!Byte(b)) return false;
      out |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return true;
    }
    return false;
  }
  bool Signed(int64_t& out) {
    uint64_t raw = 0;
    if (!Varint(raw)) return false;
    out = static_cast<int64_t>(raw >> 1) ^ -static_cast<int64_t>(raw & 1);
    return true;
  }
  bool Bytes(size_t n, std::string_view& out) {
    if (in_.size() < n) return false;
    out = in_.substr(0, n);
    in_.remove_prefix(n);
    return true;
  }
  std::string_view rest() const { return in_; }

 private:
  std::string_view in_;
};

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;  // lower case would not round-trip: such ids are kept as they are
}

bool IsStandardId(std::string_view id) {
  if (id.size() != 3 + 2 * kPackedIdSize || !id.starts_with("CMP")) return false;
  for (char c : id.substr(3)) {
    if (HexValue(c) < 0) return false;
  }
  return true;
}

absl::Status Corrupt(const std::string& what) {
  return absl::DataLossError("sla store: malformed " + what);
}

// Flags of a clock entry: what it shares with the clock before it.
constexpr uint8_t kSameUnit = 1;
constexpr uint8_t kSameArmedAt = 2;
constexpr uint8_t kSameVersion = 4;

constexpr char kPolicyRaw = 0;
constexpr char kPolicyDeflate = 1;
constexpr char kPolicyDeflateDictionary1 = 2;

// Preset dictionary 1: two typical sla::v1::SlaCaseState values as the policy engine writes
// them with deploy/policies/cn-default.textproto (an ordinary and a major complaint, assigned
// and accepted: four clocks). It takes a typical state from ~160 to ~95 deflated bytes. Frozen:
// values written with it must stay readable, so a better dictionary gets the next tag.
constexpr char kDictionary1[] =
    "\x08\x9a\x9a\xef\x3a\x10\x01\x1a\x07\x42\x52\x2d\x30\x31\x30\x30\x20\x01\x32\x09\x63\x61"
    "\x72\x64\x2e\x66\x65\x65\x73\x38\x01\x42\x06\x08\x80\x86\x99\xc9\x06\x52\x53\x08\x01\x10"
    "\x03\x18\x95\x9a\xef\x3a\x22\x07\x42\x52\x2d\x30\x31\x30\x30\x2a\x06\x08\xb0\xda\x99\xc9"
    "\x06\x32\x06\x08\x80\x86\x99\xc9\x06\x3a\x02\x10\x02\x6a\x06\x08\xe0\x98\x99\xc9\x06\x72"
    "\x10\x00\x00\x00\x00\x00\x00\xe0\x3f\x9a\x99\x99\x99\x99\x99\xe9\x3f\x7a\x02\x10\x02\x7a"
    "\x02\x10\x04\x7a\x02\x18\x01\x8a\x01\x04\x62\x61\x73\x65\x52\x4b\x08\x02\x10\x01\x18\x95"
    "\x9a\xef\x3a\x22\x07\x42\x52\x2d\x30\x31\x30\x30\x2a\x06\x08\x98\xb4\xa0\xc9\x06\x32\x06"
    "\x08\x80\x86\x99\xc9\x06\x3a\x02\x18\x01\x72\x10\x00\x00\x00\x00\x00\x00\xe0\x3f\x9a\x99"
    "\x99\x99\x99\x99\xe9\x3f\x7a\x02\x10\x02\x7a\x02\x10\x04\x7a\x02\x18\x01\x8a\x01\x04\x62"
    "\x61\x73\x65\x52\x4b\x08\x04\x10\x01\x18\x95\x9a\xef\x3a\x22\x07\x42\x52\x2d\x30\x31\x30"
    "\x30\x2a\x06\x08\x98\x86\xc0\xc9\x06\x32\x06\x08\x80\x86\x99\xc9\x06\x3a\x02\x18\x05\x72"
    "\x10\x00\x00\x00\x00\x00\x00\xe0\x3f\x9a\x99\x99\x99\x99\x99\xe9\x3f\x7a\x02\x10\x02\x7a"
    "\x02\x10\x04\x7a\x02\x18\x01\x8a\x01\x04\x62\x61\x73\x65\x52\x4b\x08\x05\x10\x01\x18\x95"
    "\x9a\xef\x3a\x22\x07\x42\x52\x2d\x30\x31\x30\x30\x2a\x06\x08\x80\xd5\xeb\xc9\x06\x32\x06"
    "\x08\x80\x86\x99\xc9\x06\x3a\x02\x30\x0f\x72\x10\x00\x00\x00\x00\x00\x00\xe0\x3f\x9a\x99"
    "\x99\x99\x99\x99\xe9\x3f\x7a\x02\x10\x01\x7a\x02\x10\x04\x7a\x02\x18\x01\x8a\x01\x04\x62"
    "\x61\x73\x65\x08\xa6\xac\xe3\x3c\x10\x01\x1a\x07\x42\x52\x2d\x30\x32\x34\x38\x20\x02\x32"
    "\x09\x63\x61\x72\x64\x2e\x66\x65\x65\x73\x38\x01\x42\x06\x08\x8c\x97\xb2\xc9\x06\x52\x61"
    "\x08\x01\x10\x03\x18\xa1\xac\xe3\x3c\x22\x07\x42\x52\x2d\x30\x32\x34\x38\x2a\x06\x08\xa0"
    "\xed\xb3\xc9\x06\x32\x06\x08\x8c\x97\xb2\xc9\x06\x3a\x02\x10\x01\x6a\x06\x08\xec\xa9\xb2"
    "\xc9\x06\x72\x10\x00\x00\x00\x00\x00\x00\xe0\x3f\x9a\x99\x99\x99\x99\x99\xe9\x3f\x7a\x02"
    "\x10\x02\x7a\x02\x10\x04\x7a\x02\x18\x01\x8a\x01\x12\x6d\x61\x6a\x6f\x72\x20\x6f\x72\x20"
    "\x65\x73\x63\x61\x6c\x61\x74\x65\x64\x52\x59\x08\x02\x10\x01\x18\xa1\xac\xe3\x3c\x22\x07"
    "\x42\x52\x2d\x30\x32\x34\x38\x2a\x06\x08\xe8\xeb\xb4\xc9\x06\x32\x06\x08\x8c\x97\xb2\xc9"
    "\x06\x3a\x02\x10\x04\x72\x10\x00\x00\x00\x00\x00\x00\xe0\x3f\x9a\x99\x99\x99\x99\x99\xe9"
    "\x3f\x7a\x02\x10\x02\x7a\x02\x10\x04\x7a\x02\x18\x01\x8a\x01\x12\x6d\x61\x6a\x6f\x72\x20"
    "\x6f\x72\x20\x65\x73\x63\x61\x6c\x61\x74\x65\x64\x52\x59\x08\x04\x10\x01\x18\xa1\xac\xe3"
    "\x3c\x22\x07\x42\x52\x2d\x30\x32\x34\x38\x2a\x06\x08\x98\xa9\xc5\xc9\x06\x32\x06\x08\x8c"
    "\x97\xb2\xc9\x06\x3a\x02\x18\x03\x72\x10\x00\x00\x00\x00\x00\x00\xe0\x3f\x9a\x99\x99\x99"
    "\x99\x99\xe9\x3f\x7a\x02\x10\x01\x7a\x02\x10\x02\x7a\x02\x10\x04\x8a\x01\x12\x6d\x61\x6a"
    "\x6f\x72\x20\x6f\x72\x20\x65\x73\x63\x61\x6c\x61\x74\x65\x64\x52\x4b\x08\x05\x10\x01\x18"
    "\xa1\xac\xe3\x3c\x22\x07\x42\x52\x2d\x30\x32\x34\x38\x2a\x06\x08\x80\x84\x86\xca\x06\x32"
    "\x06\x08\x8c\x97\xb2\xc9\x06\x3a\x02\x30\x0f\x72\x10\x00\x00\x00\x00\x00\x00\xe0\x3f\x9a"
    "\x99\x99\x99\x99\x99\xe9\x3f\x7a\x02\x10\x01\x7a\x02\x10\x04\x7a\x02\x18\x01\x8a\x01\x04"
    "\x62\x61\x73\x65";

// One deflater and one inflater per thread, reset between uses: setting one up costs more than
// compressing a few hundred bytes.
class Deflater {
 public:
  Deflater() {
    ok_ = deflateInit2(&z_, Z_BEST_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) == Z_OK;
  }
  ~Deflater() { deflateEnd(&z_); }
  // Empty when deflating fails.
  std::string Deflate(std::string_view in, std::string_view dictionary) {
    std::string out;
    if (!ok_ || deflateReset(&z_) != Z_OK) return out;
    if (!dictionary.empty() &&
        deflateSetDictionary(&z_, reinterpret_cast<const Bytef*>(dictionary.data()),
                             static_cast<uInt>(dictionary.size())) != Z_OK) {
      return out;
    }
    out.resize(deflateBound(&z_, in.size()));
    z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z_.avail_in = static_cast<uInt>(in.size());
    z_.next_out = reinterpret_cast<Bytef*>(out.data());
    z_.avail_out = static_cast<uInt>(out.size());
    if (deflate(&z_, Z_FINISH) != Z_STREAM_END) return {};
    out.resize(out.size() - z_.avail_out);
    return out;
  }

 private:
  z_stream z_{};
  bool ok_ = false;
};

class Inflater {
 public:
  Inflater() { ok_ = inflateInit2(&z_, -15) == Z_OK; }
  ~Inflater() { inflateEnd(&z_); }
  std::optional<std::string> Inflate(std::string_view in, std::string_view dictionary) {
    if (!ok_ || inflateReset(&z_) != Z_OK) return std::nullopt;
    if (!dictionary.empty() &&
        inflateSetDictionary(&z_, reinterpret_cast<const Bytef*>(dictionary.data()),
                             static_cast<uInt>(dictionary.size())) != Z_OK) {
      return std::nullopt;
    }
    std::string out;
    char buffer[4096];
    z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z_.avail_in = static_cast<uInt>(in.size());
    for (;;) {
      z_.next_out = reinterpret_cast<Bytef*>(buffer);
      z_.avail_out = sizeof buffer;
      const int rc = inflate(&z_, Z_NO_FLUSH);
      out.append(buffer, sizeof buffer - z_.avail_out);
      if (rc == Z_STREAM_END) return z_.avail_in == 0 ? std::optional(out) : std::nullopt;
      if (rc != Z_OK) return std::nullopt;
      if (z_.avail_in == 0 && z_.avail_out != 0) return std::nullopt;  // truncated
      if (out.size() > (64u << 20)) return std::nullopt;               // not ours
    }
  }

 private:
  z_stream z_{};
  bool ok_ = false;
};

// A standard id from its kPackedIdSize bytes.
std::string UnpackedId(std::string_view packed) {
  std::string id = "CMP";
  for (char c : packed) {
    const auto b = static_cast<uint8_t>(c);
    id.push_back(kHex[b >> 4]);
    id.push_back(kHex[b & 15]);
  }
  return id;
}

}  // namespace

std::string_view Dictionary1() { return {kDictionary1, sizeof kDictionary1 - 1}; }

std::string EncodePolicyState(std::string_view state, bool compress) {
  if (state.empty()) return {};
  if (compress && state.size() > 32) {
    thread_local Deflater deflater;
    // The dictionary is made of engine states, so it wins for them: plain deflate is tried only
    // when it did not help (one deflate instead of two on the scheduling path).
    char tag = kPolicyDeflateDictionary1;
    std::string deflated = deflater.Deflate(state, Dictionary1());
    if (deflated.empty() || deflated.size() >= state.size()) {
      tag = kPolicyDeflate;
      deflated = deflater.Deflate(state, {});
    }
    if (!deflated.empty() && deflated.size() < state.size()) {
      std::string out;
      out.reserve(1 + deflated.size());
      out.push_back(tag);
      out.append(deflated);
      return out;
    }
  }
  std::string out;
  out.reserve(1 + state.size());
  out.push_back(kPolicyRaw);
  out.append(state.data(), state.size());
  return out;
}

absl::StatusOr<std::string> DecodePolicyState(std::string_view stored) {
  if (stored.empty()) return std::string();
  if (stored[0] == kPolicyRaw) return std::string(stored.substr(1));
  if (stored[0] == kPolicyDeflate || stored[0] == kPolicyDeflateDictionary1) {
    thread_local Inflater inflater;
    auto state = inflater.Inflate(stored.substr(1),
                                  stored[0] == kPolicyDeflate ? std::string_view() : Dictionary1());
    if (!state) return Corrupt("policy state (does not inflate)");
    return *std::move(state);
  }
  return Corrupt("policy state (encoding " + std::to_string(static_cast<int>(stored[0])) + ")");
}

std::string PackComplaintId(const std::string& complaint_id) {
  if (!IsStandardId(complaint_id)) return complaint_id;
  std::string out;
  out.reserve(kPackedIdSize);
  for (size_t i = 3; i < complaint_id.size(); i += 2) {
    out.push_back(
        static_cast<char>(HexValue(complaint_id[i]) << 4 | HexValue(complaint_id[i + 1])));
  }
  return out;
}

absl::StatusOr<std::string> EncodeMember(const AlertKey& key) {
  const int clock = static_cast<int>(key.clock);
  const int kind = static_cast<int>(key.kind);
  if (key.complaint_id.empty() || clock < 0 || clock > 15 || kind < 0 || kind > 7 || key.step < 0 ||
      key.step > 255 || key.version < 0 || key.version > kMax48) {
    return absl::InvalidArgumentError(
        "sla store: alert of " + key.complaint_id + " cannot be stored (clock " +
        std::to_string(clock) + ", kind " + std::to_string(kind) + ", step " +
        std::to_string(key.step) + ", version " + std::to_string(key.version) + ")");
  }
  const bool packed = IsStandardId(key.complaint_id);
  std::string out;
  out.reserve(kMemberHeadSize + key.complaint_id.size());
  out.push_back(static_cast<char>(clock << 4 | kind << 1 | (packed ? 1 : 0)));
  out.push_back(static_cast<char>(key.step));
  PutBigEndian(out, static_cast<uint64_t>(key.version), 6);
  out += packed ? PackComplaintId(key.complaint_id) : key.complaint_id;
  return out;
}

std::string EncodeWorklistMember(const std::string& complaint_id) {
  std::string out(1, IsStandardId(complaint_id) ? '\1' : '\0');
  out += PackComplaintId(complaint_id);
  return out;
}

absl::StatusOr<std::string> DecodeWorklistMember(std::string_view member) {
  if (member.size() < 2 || member[0] > 1) return Corrupt("worklist member");
  if (member[0] == 0) return std::string(member.substr(1));
  if (member.size() != 1 + kPackedIdSize) return Corrupt("worklist member (packed id)");
  return UnpackedId(member.substr(1));
}

absl::StatusOr<AlertKey> DecodeMember(std::string_view member) {
  if (member.size() <= kMemberHeadSize) return Corrupt("scheduled alert (too short)");
  const auto b0 = static_cast<uint8_t>(member[0]);
  const int clock = b0 >> 4;
  const int kind = (b0 >> 1) & 7;
  const bool packed = (b0 & 1) != 0;
  if (!events::v1::Clock_IsValid(clock) || !events::v1::AlertKind_IsValid(kind)) {
    return Corrupt("scheduled alert (clock " + std::to_string(clock) + ", kind " +
                   std::to_string(kind) + ")");
  }
  AlertKey key;
  key.clock = static_cast<ClockKind>(clock);
  key.kind = static_cast<events::v1::AlertKind>(kind);
  key.step = static_cast<uint8_t>(member[1]);
  key.version = static_cast<int64_t>(GetBigEndian(member.substr(2), 6));
  const std::string_view id = member.substr(kMemberHeadSize);
  if (packed) {
    if (id.size() != kPackedIdSize) return Corrupt("scheduled alert (packed id)");
    key.complaint_id = UnpackedId(id);
  } else {
    key.complaint_id = std::string(id);
  }
  return key;
}

absl::StatusOr<std::string> EncodeOffset(int64_t offset) {
  if (offset < -1 || offset >= kMax48) {
    return absl::InvalidArgumentError("sla store: offset " + std::to_string(offset) +
                                      " out of range");
  }
  std::string out;
  PutBigEndian(out, static_cast<uint64_t>(offset + 1), 6);
  return out;
}

absl::StatusOr<std::string> EncodeCaseBody(int32_t assignment_sequence,
                                           const std::map<ClockKind, ClockEntry>& clocks) {
  std::string out;
  PutSigned(out, assignment_sequence);
  PutVarint(out, clocks.size());
  const ClockEntry* previous = nullptr;
  for (const auto& [kind, entry] : clocks) {
    const int clock = static_cast<int>(kind);
    const int state = static_cast<int>(entry.state);
    if (clock < 0 || clock > 255 || state < 0 || state > 255 || entry.clock != kind) {
      return absl::InvalidArgumentError("sla store: clock " + std::to_string(clock) +
                                        " cannot be stored");
    }
    const int64_t armed = absl::ToUnixMillis(entry.armed_at);
    uint8_t flags = 0;
    if (previous != nullptr) {
      if (previous->unit == entry.unit) flags |= kSameUnit;
      if (previous->armed_at == entry.armed_at) flags |= kSameArmedAt;
      if (previous->version == entry.version) flags |= kSameVersion;
    }
    out.push_back(static_cast<char>(clock));
    out.push_back(static_cast<char>(state));
    out.push_back(static_cast<char>(flags));
    PutSigned(out, absl::ToUnixMillis(entry.due) - armed);
    if ((flags & kSameArmedAt) == 0) PutSigned(out, armed);
    if ((flags & kSameVersion) == 0) PutSigned(out, entry.version);
    if ((flags & kSameUnit) == 0) {
      PutVarint(out, entry.unit.size());
      out += entry.unit;
    }
    previous = &entry;
  }
  if (out.size() > 0xffff) {
    return absl::InvalidArgumentError("sla store: clocks too large to store");
  }
  return out;
}

absl::StatusOr<DecodedCase> DecodeCaseValue(std::string_view value) {
  Reader in(value);
  uint8_t format = 0;
  std::string_view offset;
  uint8_t count = 0;
  if (!in.Byte(format) || (format != 1 && format != kCaseFormat) || !in.Bytes(6, offset) ||
      !in.Byte(count)) {
    return Corrupt("complaint header");
  }
  DecodedCase out;
  out.stored.clocks.last_offset = static_cast<int64_t>(GetBigEndian(offset, 6)) - 1;
  for (int i = 0; i < count; ++i) {
    std::string_view pending;
    if (!in.Bytes(kPendingSize, pending)) return Corrupt("complaint schedule");
    out.pending.push_back({std::string(pending.substr(0, kMemberHeadSize)),
                           static_cast<uint32_t>(GetBigEndian(pending.substr(8), 4)),
                           static_cast<uint16_t>(GetBigEndian(pending.substr(12), 2))});
  }
  uint8_t unit_size = 0;
  if (format == kCaseFormat) {
    if (!in.Byte(unit_size)) return Corrupt("complaint worklist entry");
    std::string_view unit;
    std::string_view where;
    if (unit_size > 0) {
      if (!in.Bytes(unit_size, unit) || !in.Bytes(6, where)) {
        return Corrupt("complaint worklist entry");
      }
      out.worklist = WorklistRef{std::string(unit), static_cast<uint32_t>(GetBigEndian(where, 4)),
                                 static_cast<uint16_t>(GetBigEndian(where.substr(4), 2))};
    }
  }
  std::string_view length;
  std::string_view body_bytes;
  if (!in.Bytes(2, length) || !in.Bytes(GetBigEndian(length, 2), body_bytes)) {
    return Corrupt("complaint body length");
  }
  auto policy_state = DecodePolicyState(in.rest());
  if (!policy_state.ok()) return policy_state.status();
  out.stored.policy_state = *std::move(policy_state);

  Reader body(body_bytes);
  int64_t sequence = 0;
  uint64_t clocks = 0;
  if (!body.Signed(sequence) || !body.Varint(clocks)) return Corrupt("complaint body");
  out.stored.clocks.assignment_sequence = static_cast<int32_t>(sequence);
  const ClockEntry* previous = nullptr;
  for (uint64_t i = 0; i < clocks; ++i) {
    uint8_t clock = 0;
    uint8_t state = 0;
    uint8_t flags = 0;
    int64_t span = 0;
    if (!body.Byte(clock) || !body.Byte(state) || !body.Byte(flags) || !body.Signed(span) ||
        !events::v1::Clock_IsValid(clock) || (previous == nullptr && flags != 0)) {
      return Corrupt("clock entry");
    }
    ClockEntry entry;
    entry.clock = static_cast<ClockKind>(clock);
    entry.state = static_cast<ClockEntry::State>(state);
    if ((flags & kSameArmedAt) != 0) {
      entry.armed_at = previous->armed_at;
    } else {
      int64_t armed = 0;
      if (!body.Signed(armed)) return Corrupt("clock entry (armed_at)");
      entry.armed_at = absl::FromUnixMillis(armed);
    }
    entry.due = absl::FromUnixMillis(absl::ToUnixMillis(entry.armed_at) + span);
    if ((flags & kSameVersion) != 0) {
      entry.version = previous->version;
    } else if (!body.Signed(entry.version)) {
      return Corrupt("clock entry (version)");
    }
    if ((flags & kSameUnit) != 0) {
      entry.unit = previous->unit;
    } else {
      uint64_t size = 0;
      std::string_view unit;
      if (!body.Varint(size) || !body.Bytes(size, unit)) return Corrupt("clock entry (unit)");
      entry.unit = std::string(unit);
    }
    auto [it, inserted] = out.stored.clocks.clocks.emplace(entry.clock, std::move(entry));
    if (!inserted) return Corrupt("clock entry (repeated clock)");
    previous = &it->second;
  }
  if (!body.rest().empty()) return Corrupt("complaint body (trailing bytes)");
  return out;
}

absl::StatusOr<std::string> EncodeCaseValue(const StoredCase& stored,
                                            const std::vector<PendingRef>& pending, bool compress,
                                            const std::optional<WorklistRef>& worklist) {
  auto offset = EncodeOffset(stored.clocks.last_offset);
  if (!offset.ok()) return offset.status();
  auto body = EncodeCaseBody(stored.clocks.assignment_sequence, stored.clocks.clocks);
  if (!body.ok()) return body.status();
  if (pending.size() > 255) return absl::InvalidArgumentError("sla store: too many alerts");
  std::string out(1, kCaseFormat);
  out += *offset;
  out.push_back(static_cast<char>(pending.size()));
  for (const PendingRef& p : pending) {
    if (p.head.size() != kMemberHeadSize) {
      return absl::InvalidArgumentError("sla store: bad member head");
    }
    out += p.head;
    PutBigEndian(out, p.slot, 4);
    PutBigEndian(out, p.number, 2);
  }
  if (worklist) {
    if (worklist->unit.empty() || worklist->unit.size() > 255) {
      return absl::InvalidArgumentError("sla store: a worklist unit is 1 to 255 bytes");
    }
    out.push_back(static_cast<char>(worklist->unit.size()));
    out += worklist->unit;
    PutBigEndian(out, worklist->slot, 4);
    PutBigEndian(out, worklist->number, 2);
  } else {
    out.push_back(0);
  }
  PutBigEndian(out, body->size(), 2);
  out += *body;
  out += EncodePolicyState(stored.policy_state, compress);
  return out;
}

}  // namespace complaints::sla_timer
