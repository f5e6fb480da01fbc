#include "services/intake/customer_history.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>

#include <algorithm>
#include <map>
#include <memory>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "libs/common/proto_time.h"

namespace complaints::intake {
namespace {

// An HMAC-SHA256 context keyed with one secret, kept per thread: the one-shot HMAC() fetched the
// digest, allocated a context and hashed the key anew for every complaint.
class KeyedHmac {
 public:
  // This thread's context for `secret`, keyed again only when the secret changes.
  static KeyedHmac& For(std::string_view secret) {
    thread_local KeyedHmac keyed;
    if (keyed.ctx_ == nullptr || keyed.secret_ != secret) keyed.Key(secret);
    return keyed;
  }

  // The first 16 bytes of the HMAC of `message`, in hex.
  std::string Digest(std::string_view message) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    size_t length = 0;
    const auto* bytes = reinterpret_cast<const unsigned char*>(message.data());
    // A null key restarts from the state the key left (HMAC's inner and outer pads hashed).
    if (ctx_ == nullptr || EVP_MAC_init(ctx_.get(), nullptr, 0, nullptr) != 1 ||
        EVP_MAC_update(ctx_.get(), bytes, message.size()) != 1 ||
        EVP_MAC_final(ctx_.get(), digest, &length, sizeof digest) != 1) {
      // The same digest the slow way (e.g. a key this OpenSSL would not keep).
      unsigned int one_shot = 0;
      HMAC(EVP_sha256(), secret_.data(), static_cast<int>(secret_.size()), bytes, message.size(),
           digest, &one_shot);
      length = one_shot;
    }
    // 128 bits are plenty to tell customers apart and keep keys short.
    return absl::BytesToHexString(
        absl::string_view(reinterpret_cast<const char*>(digest), std::min<size_t>(length, 16)));
  }

 private:
  struct Free {
    void operator()(EVP_MAC_CTX* ctx) const { EVP_MAC_CTX_free(ctx); }
  };

  void Key(std::string_view secret) {
    ctx_.reset();
    secret_ = std::string(secret);
    EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    if (mac == nullptr) return;
    std::unique_ptr<EVP_MAC_CTX, Free> ctx(EVP_MAC_CTX_new(mac));
    EVP_MAC_free(mac);  // the context holds its own reference
    char digest[] = "SHA256";
    const OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0), OSSL_PARAM_END};
    if (ctx == nullptr ||
        EVP_MAC_init(ctx.get(), reinterpret_cast<const unsigned char*>(secret_.data()),
                     secret_.size(), params) != 1) {
      return;
    }
    ctx_ = std::move(ctx);
  }

  std::string secret_;
  std::unique_ptr<EVP_MAC_CTX, Free> ctx_;
};

std::string Hmac(std::string_view secret, std::string_view message) {
  return KeyedHmac::For(secret).Digest(message);
}

std::string ChannelTagName(events::v1::Channel channel) {
  return events::v1::Channel_Name(channel).substr(sizeof("CHANNEL_") - 1);
}

// The median of the reply times the customer demanded, or 0.
int UsualDemand(std::vector<int> minutes) {
  if (minutes.empty()) return 0;
  std::sort(minutes.begin(), minutes.end());
  return minutes[minutes.size() / 2];
}

}  // namespace

std::string CustomerKeyFor(const events::v1::Customer& customer, std::string_view secret) {
  if (!customer.customer_id().empty()) return "id:" + Hmac(secret, "id:" + customer.customer_id());
  if (!customer.phone().empty()) return "ph:" + Hmac(secret, "ph:" + customer.phone());
  return "";
}

intake::v1::HistoryEntry EntryFor(const events::v1::ComplaintReceived& complaint) {
  intake::v1::HistoryEntry entry;
  entry.set_complaint_id(complaint.complaint_id());
  entry.set_category(complaint.category());
  entry.set_channel(complaint.channel());
  entry.set_level(complaint.level());
  *entry.mutable_received_at() = complaint.received_at();
  entry.set_demanded_reply_minutes(complaint.classification().demanded_reply_minutes());
  entry.set_merged_into(complaint.merged_into());
  return entry;
}

HistoryView ReadHistory(const std::vector<PastComplaint>& past,
                        const events::v1::ComplaintReceived& complaint, absl::Time now,
                        const HistorySettings& settings) {
  HistoryView view;
  std::map<std::string, int> by_category = {{complaint.category(), 1}};
  std::map<events::v1::Channel, int> by_channel = {{complaint.channel(), 1}};
  std::vector<int> demands;
  if (complaint.classification().demanded_reply_minutes() > 0) {
    demands.push_back(complaint.classification().demanded_reply_minutes());
  }
  absl::Time oldest_open = absl::InfiniteFuture();
  int open = 0;
  for (const PastComplaint& p : past) {
    const intake::v1::HistoryEntry& e = p.entry;
    if (e.complaint_id() == complaint.complaint_id()) continue;
    const absl::Time received = common::FromProtoTime(e.received_at());
    // A merged complaint is open as long as the complaint it joined.
    const bool closed = p.status.closed();
    const bool is_open = !closed && e.merged_into().empty();
    if (is_open) ++open;
    if (is_open && e.category() == complaint.category() && received < oldest_open) {
      oldest_open = received;
      view.open_same_issue = e.complaint_id();
    }
    if (received <= now - settings.window || received > now) continue;
    ++by_category[e.category()];
    ++by_channel[e.channel()];
    if (e.category() == complaint.category()) ++view.same_category_before;
    const events::v1::Level level = p.has_status ? std::max(p.status.level(), e.level()) : e.level();
    if (level == events::v1::LEVEL_ESCALATED) {
      ++view.prior_escalations;
      if (e.category() == complaint.category()) ++view.same_category_escalations;
    }
    if (e.demanded_reply_minutes() > 0) demands.push_back(e.demanded_reply_minutes());
  }

  events::v1::RiskTags& tags = view.tags;
  tags.set_prior_escalations(view.prior_escalations);
  tags.set_repeat_count(view.same_category_before + 1);
  int total = 0;
  for (const auto& [category, count] : by_category) {
    total += count;
    if (count >= settings.recurring_threshold) tags.add_recurring_categories(category);
  }
  tags.set_complaints_in_window(total);
  // Ties go to the lower enum value: the phone line before branches and online channels.
  const auto preferred = std::max_element(by_channel.begin(), by_channel.end(),
                                          [](const auto& a, const auto& b) { return a.second < b.second; });
  tags.set_preferred_channel(preferred->first);
  tags.set_usual_demanded_reply_minutes(UsualDemand(demands));
  tags.set_open_complaints(open);

  // One line per tag, for the agent on the call (no customer data in them).
  if (view.prior_escalations > 0) {
    tags.add_guidance(absl::StrCat("escalated before (", view.prior_escalations,
                                   " in the window): handle first, reply within the time asked"));
  }
  if (tags.repeat_count() >= 3) {
    tags.add_guidance(absl::StrCat("repeat complaint: ", tags.repeat_count(), " of ",
                                   complaint.category(), " in the window"));
  }
  if (!view.open_same_issue.empty()) {
    tags.add_guidance("same issue still open: merged into " + view.open_same_issue);
  }
  if (tags.usual_demanded_reply_minutes() > 0) {
    tags.add_guidance(absl::StrCat("usually demands a reply within ",
                                   tags.usual_demanded_reply_minutes(), " minutes"));
  }
  if (total > 1 && tags.preferred_channel() != events::v1::CHANNEL_UNSPECIFIED) {
    tags.add_guidance("usually complains by " + ChannelTagName(tags.preferred_channel()));
  }
  return view;
}

}  // namespace complaints::intake
