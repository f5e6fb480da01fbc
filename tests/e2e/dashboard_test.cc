// End-to-end: the analytics dashboard in a real headless browser (Debian's chromium). A seeded
// run — complaints submitted through intake and routed — then the page is loaded, its scripts
// run, and the DOM after them says what each chart laid out on its canvas; a screenshot is kept
// under $TEST_LOG_DIR as the test's artifact.
#include <filesystem>
#include <random>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "complaints/intake/v1/intake.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "tests/support/eventually.h"
#include "tests/support/platform.h"
#include "tests/support/process.h"

namespace complaints {
namespace {

using ::testing::HasSubstr;
using testsupport::Platform;

// The value of `data-<name>="..."` in the dumped DOM, or -1.
int64_t DataAttribute(const std::string& dom, const std::string& name) {
  const std::string marker = "data-" + name + "=\"";
  const size_t at = dom.find(marker);
  if (at == std::string::npos) return -1;
  const size_t start = at + marker.size();
  int64_t value = -1;
  if (!absl::SimpleAtoi(dom.substr(start, dom.find('"', start) - start), &value)) return -1;
  return value;
}

testsupport::CommandResult Chromium(std::vector<std::string> args, const std::string& url) {
  // Root in a container has no user namespaces for the sandbox; the page is our own.
  std::vector<std::string> all = {"--headless", "--no-sandbox", "--disable-gpu",
                                  "--disable-dev-shm-usage", "--hide-scrollbars",
                                  "--virtual-time-budget=15000", "--window-size=1400,1500"};
  all.insert(all.end(), args.begin(), args.end());
  all.push_back(url);
  return testsupport::RunCommand(
      "/usr/bin/chromium", all,
      testsupport::EnvOr("TEST_LOG_DIR", "/tmp") + "/dashboard-chromium.log", 120);
}

TEST(DashboardTest, ChartsRenderTheSeededRunInAHeadlessBrowser) {
  ASSERT_TRUE(std::filesystem::exists("/usr/bin/chromium")) << "deploy/setup.sh installs chromium";
  Platform platform(Platform::Options{});
  ASSERT_TRUE(platform.WaitUntilServing(absl::Seconds(60))) << platform.LogTail("analytics");

  // The seed: three complaints about one branch.
  auto stub = intake::v1::IntakeService::NewStub(platform.Channel("intake"));
  std::random_device random;
  std::string first;
  for (int i = 0; i < 3; ++i) {
    intake::v1::SubmitComplaintRequest request;
    request.set_source("ivr-95533");
    request.set_external_id(absl::StrCat("dash-", random(), "-", i));
    request.mutable_customer()->set_name("王五");
    request.mutable_customer()->set_phone(testsupport::UniqueMobile());
    request.set_category("atm.card_retained");
    request.set_description("ATM吞卡");
    request.set_branch_code("BJ-0101");
    grpc::ClientContext context;
    intake::v1::SubmitComplaintResponse response;
    const grpc::Status status = stub->SubmitComplaint(&context, request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    if (first.empty()) first = response.complaint_id();
  }

  // The dashboard: the gRPC port + 200 (README). Wait until its figures hold the seed.
  const std::string grpc = platform.Address("analytics");
  const int port = std::stoi(grpc.substr(grpc.rfind(':') + 1)) + 200;
  httplib::Client client("127.0.0.1", port);
  std::string summary;
  ASSERT_TRUE(testsupport::WaitFor(
      [&] {
        auto response = client.Get("/api/summary.json");
        if (!response || response->status != 200) return false;
        summary = response->body;
        return summary.find("\"unit\":\"BJ-0101\"") != std::string::npos;
      },
      absl::Seconds(60)))
      << summary << "\n" << platform.LogTail("analytics");
  auto script = client.Get("/static/chart.js");
  ASSERT_TRUE(script && script->status == 200) << "libjs-chart.js is not installed";
  EXPECT_THAT(script->body, HasSubstr("Chart.js v"));

  const std::string url = absl::StrCat("http://127.0.0.1:", port, "/?complaint=", first);
  const auto dom = Chromium({"--dump-dom"}, url);
  ASSERT_EQ(dom.exit_code, 0) << dom.output.substr(0, 2000);
  EXPECT_THAT(dom.output, HasSubstr(">rendered</div>")) << dom.output.substr(0, 4000);
  EXPECT_EQ(DataAttribute(dom.output, "volume-points"), 30);  // one point a day, 30 days
  EXPECT_GE(DataAttribute(dom.output, "volume-total"), 3);
  EXPECT_GE(DataAttribute(dom.output, "backlog-bars"), 1);
  EXPECT_GE(DataAttribute(dom.output, "backlog-open"), 3);
  EXPECT_GE(DataAttribute(dom.output, "timeline"), 1);  // the first complaint's entries
  EXPECT_THAT(dom.output, HasSubstr("received: atm.card_retained"));
  EXPECT_THAT(dom.output, HasSubstr("BJ-0101"));
  EXPECT_THAT(dom.output, ::testing::Not(HasSubstr("王五")));

  const std::string shot = testsupport::EnvOr("TEST_LOG_DIR", "/tmp") + "/dashboard.png";
  std::filesystem::remove(shot);
  const auto screenshot = Chromium({"--screenshot=" + shot}, url);
  ASSERT_EQ(screenshot.exit_code, 0) << screenshot.output.substr(0, 2000);
  ASSERT_TRUE(std::filesystem::exists(shot));
  EXPECT_GT(std::filesystem::file_size(shot), 20'000u);  // a page with charts, not a blank one
}

}  // namespace
}  // namespace complaints
