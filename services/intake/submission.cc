#include "services/intake/submission.h"

#include <algorithm>
#include <cctype>
#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/time/civil_time.h"
#include "libs/common/phone.h"
#include "libs/common/pii.h"
#include "libs/common/proto_time.h"
#include "libs/common/short_id.h"
#include "libs/common/utf8.h"
#include "libs/grpcutil/lenient.h"
#include "libs/grpcutil/status.h"

namespace complaints::intake {
namespace {

using grpcutil::FieldViolations;

constexpr size_t kMaxIdLength = 128;
// Characters, not bytes. A complaint as told on the phone and typed by an agent fits in far
// less; 2000 is the largest of the limits in the channels feeding intake (the online form's),
// and keeps a record well under Kafka's message size whatever the script.
constexpr size_t kMaxDescriptionCharacters = 2000;
constexpr size_t kMaxNameCharacters = 64;

bool AllDigits(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

bool IsPrintableId(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return c > 0x20 && c < 0x7f; });
}

// The code point of the valid UTF-8 sequence at the start of `s` (length `length`).
char32_t Decode(std::string_view s, size_t length) {
  const auto b = [&](size_t i) { return static_cast<char32_t>(static_cast<unsigned char>(s[i])); };
  switch (length) {
    case 1: return b(0);
    case 2: return ((b(0) & 0x1F) << 6) | (b(1) & 0x3F);
    case 3: return ((b(0) & 0x0F) << 12) | ((b(1) & 0x3F) << 6) | (b(2) & 0x3F);
    default:
      return ((b(0) & 0x07) << 18) | ((b(1) & 0x3F) << 12) | ((b(2) & 0x3F) << 6) | (b(3) & 0x3F);
  }
}

bool IsSpace(char32_t c) {
  return c == ' ' || (c >= 0x09 && c <= 0x0D) || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200B) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
         c == 0x205F || c == 0x3000 || c == 0xFEFF;
}

// A letter, a digit or an ideograph in the scripts complaints are written in: enough to tell a
// description in words from one of only punctuation, symbols and emoji. (No ICU here; a
// letter of another script counts as a symbol, which errs towards refusing, and the agent
// writes the complaint in Chinese or English anyway.)
bool IsWordCharacter(char32_t c) {
  if (c < 0x80) return std::isalnum(static_cast<int>(c)) != 0;
  return (c >= 0x00C0 && c <= 0x024F && c != 0xD7 && c != 0xF7) ||  // Latin letters
         (c >= 0x0370 && c <= 0x03FF) || (c >= 0x0400 && c <= 0x052F) ||  // Greek, Cyrillic
         (c >= 0x3040 && c <= 0x30FF) ||   // kana
         c == 0x3007 ||                    // 〇
         (c >= 0x3400 && c <= 0x4DBF) ||   // CJK extension A
         (c >= 0x4E00 && c <= 0x9FFF) ||   // CJK unified ideographs
         (c >= 0xAC00 && c <= 0xD7AF) ||   // Hangul
         (c >= 0xF900 && c <= 0xFAFF) ||   // CJK compatibility ideographs
         (c >= 0xFF10 && c <= 0xFF19) || (c >= 0xFF21 && c <= 0xFF3A) ||
         (c >= 0xFF41 && c <= 0xFF5A) ||   // full-width digits and letters
         (c >= 0x20000 && c <= 0x3134F);   // CJK extensions B-G
}

struct TextShape {
  bool blank = true;   // only white space (or nothing)
  bool words = false;  // at least one IsWordCharacter
};

TextShape ShapeOf(std::string_view text) {
  TextShape shape;
  while (!text.empty()) {
    const size_t length = common::Utf8SequenceLength(text);
    if (length == 0) break;  // checked for UTF-8 before
    const char32_t c = Decode(text, length);
    if (!IsSpace(c)) shape.blank = false;
    if (IsWordCharacter(c)) shape.words = true;
    text.remove_prefix(length);
  }
  return shape;
}

void CheckId(FieldViolations& v, const char* field, const std::string& value) {
  if (v.Has(field)) return;
  if (value.empty()) return v.Add(field, "is required");
  if (value.size() > kMaxIdLength) return v.Add(field, "is longer than 128 characters");
  if (!IsPrintableId(value)) return v.Add(field, "must be printable ASCII without spaces");
}

std::string CardDigits(std::string_view card) {
  std::string digits;
  for (char c : card) {
    if (c != ' ' && c != '-') digits += c;
  }
  return digits;
}

// A resident ID number's birth date (digits 7-14, YYYYMMDD): a real date, from 1900 to today.
bool PlausibleBirthDate(const std::string& yyyymmdd, absl::Time now) {
  int year, month, day;
  if (!absl::SimpleAtoi(yyyymmdd.substr(0, 4), &year) ||
      !absl::SimpleAtoi(yyyymmdd.substr(4, 2), &month) ||
      !absl::SimpleAtoi(yyyymmdd.substr(6, 2), &day)) {
    return false;
  }
  const absl::CivilDay date(year, month, day);
  // CivilDay normalizes 2月30日 into March: a real date is one that stays as written.
  if (date.year() != year || date.month() != month || date.day() != day) return false;
  // China Standard Time (UTC+8, no DST): what "today" is for the ID's holder.
  const absl::CivilDay today =
      absl::ToCivilDay(now, absl::FixedTimeZone(8 * 60 * 60));
  return year >= 1900 && date <= today;
}

void CheckCustomer(FieldViolations& v, const events::v1::Customer& customer, absl::Time now) {
  if (!v.Has("customer.phone")) {
    if (customer.phone().empty()) {
      v.Add("customer.phone", "is required (follow-up calls the customer back)");
    } else if (auto phone = common::NormalizePhone(customer.phone()); !phone.ok()) {
      v.Add("customer.phone", std::string(phone.status().message()));
    }
  }
  const std::string& id = customer.id_number();
  if (!id.empty() && !v.Has("customer.id_number")) {
    if (id.size() == 15 && AllDigits(id)) {
      v.Add("customer.id_number",
            "15-digit first-generation ID numbers are no longer valid (since 2013); give the "
            "18-character number");
    } else if (id.size() != 18 || !AllDigits(id.substr(0, 17)) ||
               !(std::isdigit(static_cast<unsigned char>(id[17])) || id[17] == 'X' ||
                 id[17] == 'x')) {
      v.Add("customer.id_number", "must be 18 characters: 17 digits and a digit or X");
    } else if ((id[17] == 'x' ? 'X' : id[17]) != IdNumberCheckCharacter(id)) {
      v.Add("customer.id_number", "check character does not match (GB 11643)");
    } else if (id[0] == '0' || id[0] == '9') {
      v.Add("customer.id_number", "region code is not a Chinese region (GB/T 2260)");
    } else if (!PlausibleBirthDate(id.substr(6, 8), now)) {
      v.Add("customer.id_number", "birth date is not a real date between 1900 and today");
    }
  }
  const std::string& card = customer.card_number();
  if (!card.empty() && !v.Has("customer.card_number")) {
    const std::string digits = CardDigits(card);
    if (digits.size() < 12 || digits.size() > 19 || !AllDigits(digits)) {
      v.Add("customer.card_number", "must be 12 to 19 digits (spaces and dashes aside)");
    } else if (!LuhnValid(digits)) {
      v.Add("customer.card_number", "check digit does not match (Luhn)");
    }
  }
  if (!v.Has("customer.name") && CodePointCount(customer.name()) > kMaxNameCharacters) {
    v.Add("customer.name", "is longer than 64 characters");
  }
}

}  // namespace

char IdNumberCheckCharacter(const std::string& first17) {
  static constexpr int kWeights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  static constexpr char kCheck[] = "10X98765432";
  int sum = 0;
  for (int i = 0; i < 17; ++i) sum += (first17[i] - '0') * kWeights[i];
  return kCheck[sum % 11];
}

bool LuhnValid(std::string_view digits) {
  int sum = 0;
  bool twice = false;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    int d = *it - '0';
    if (twice && (d *= 2) > 9) d -= 9;
    sum += d;
    twice = !twice;
  }
  return sum % 10 == 0;
}

size_t CodePointCount(std::string_view text) {
  return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

absl::Status ValidateSubmission(const intake::v1::SubmitComplaintRequest& request,
                                const CategoryKnown& category_known, absl::Time now) {
  FieldViolations v;
  // Strings that are not UTF-8 (kept by the lenient parse of gRPC requests) first: no other
  // rule looks at them.
  for (const std::string& field : grpcutil::InvalidUtf8Fields(request)) {
    v.Add(field, "is not valid UTF-8");
  }
  CheckId(v, "source", request.source());
  CheckId(v, "external_id", request.external_id());
  if (!request.has_customer()) {
    v.Add("customer", "is required");
  } else {
    CheckCustomer(v, request.customer(), now);
  }
  // Empty: the classifier infers it.
  if (!request.category().empty()) {
    CheckId(v, "category", request.category());
    if (!v.Has("category") && category_known && !category_known(request.category())) {
      v.Add("category", "is not a category of the catalogue");
    }
  }
  if (!v.Has("description")) {
    const TextShape shape = ShapeOf(request.description());
    if (request.description().empty()) {
      v.Add("description", "is required");
    } else if (CodePointCount(request.description()) > kMaxDescriptionCharacters) {
      v.Add("description", "is longer than 2000 characters");
    } else if (shape.blank) {
      v.Add("description", "is blank");
    } else if (!shape.words) {
      v.Add("description", "has no words (letters, Chinese characters or digits), only symbols");
    }
  }
  if (!events::v1::Channel_IsValid(request.channel())) v.Add("channel", "unknown value");
  if (!events::v1::Level_IsValid(request.level())) v.Add("level", "unknown value");
  if (!events::v1::Urgency_IsValid(request.urgency())) v.Add("urgency", "unknown value");
  if (request.urgency() == events::v1::URGENCY_VERY_URGENT && request.urgency_reason().empty()) {
    v.Add("urgency_reason", "is required when urgency is VERY_URGENT");
  }
  if (!request.branch_code().empty()) CheckId(v, "branch_code", request.branch_code());
  // A unit code, as branch_code: routing rules may match on it.
  if (!request.customer().home_branch().empty()) {
    CheckId(v, "customer.home_branch", request.customer().home_branch());
  }
  return v.ToStatus();
}

events::v1::Customer NormalizeCustomer(const events::v1::Customer& customer) {
  events::v1::Customer out = customer;
  if (auto phone = common::NormalizePhone(customer.phone()); phone.ok()) out.set_phone(*phone);
  if (!customer.card_number().empty()) out.set_card_number(CardDigits(customer.card_number()));
  if (customer.id_number().size() == 18 && customer.id_number()[17] == 'x') {
    out.mutable_id_number()->back() = 'X';
  }
  return out;
}

intake::v1::SubmitComplaintRequest FromIvrCall(const events::v1::IvrCall& call) {
  intake::v1::SubmitComplaintRequest request;
  request.set_source(call.source());
  request.set_external_id(call.call_id());
  *request.mutable_customer() = call.customer();
  request.set_channel(call.channel() == events::v1::CHANNEL_UNSPECIFIED ? events::v1::CHANNEL_PHONE
                                                                        : call.channel());
  request.set_category(call.category());
  request.set_level(call.level());
  request.set_urgency(call.urgency());
  request.set_urgency_reason(call.urgency_reason());
  request.set_description(call.description());
  request.set_branch_code(call.branch_code());
  request.set_product(call.product());
  return request;
}

events::v1::ComplaintReceived ToReceivedEvent(const intake::v1::SubmitComplaintRequest& request,
                                              const std::string& complaint_id,
                                              absl::Time received_at) {
  events::v1::ComplaintReceived event;
  event.set_complaint_id(complaint_id);
  event.set_short_id(common::ShortId(complaint_id));
  event.set_source(request.source());
  event.set_external_id(request.external_id());
  *event.mutable_customer() = NormalizeCustomer(request.customer());
  event.set_channel(request.channel() == events::v1::CHANNEL_UNSPECIFIED
                        ? events::v1::CHANNEL_PHONE
                        : request.channel());
  // As the caller asked; the classifier decides them (ClassifyCandidate).
  event.set_category(request.category());
  event.set_level(request.level() == events::v1::LEVEL_UNSPECIFIED ? events::v1::LEVEL_ORDINARY
                                                                   : request.level());
  event.set_urgency(request.urgency() == events::v1::URGENCY_UNSPECIFIED
                        ? events::v1::URGENCY_NORMAL
                        : request.urgency());
  event.set_urgency_reason(request.urgency_reason());
  event.set_description(request.description());
  event.set_branch_code(request.branch_code());
  event.set_product(request.product());
  *event.mutable_received_at() = common::ToProtoTime(received_at);
  return event;
}

std::string DescribeCustomer(const events::v1::Customer& customer) {
  return "name=" + common::MaskName(customer.name()) + " phone=" + common::MaskPhone(customer.phone()) +
         " id=" + common::MaskIdNumber(customer.id_number()) +
         " card=" + common::MaskCardNumber(customer.card_number());
}

}  // namespace complaints::intake
