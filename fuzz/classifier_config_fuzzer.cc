// The classifier's configuration (deploy/classifier/classifier.textproto) against the shipped
// taxonomy and character table, compiled and validated as on start and on reload; a config that
// loads must classify any text.
#include <cstddef>
#include <cstdint>

#include "fuzz/fuzz_support.h"
#include "services/intake/classifier/classifier.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace complaints;
  static const std::string taxonomy = fuzz::ShippedFile("deploy/classifier/taxonomy.textproto");
  static const std::string t2s = fuzz::ShippedFile("deploy/classifier/t2s.tsv");
  classifier::ConfigTexts texts;
  texts.config.assign(reinterpret_cast<const char*>(data), size);
  texts.taxonomy = taxonomy;
  texts.t2s = t2s;
  auto classifier = classifier::Classifier::FromTexts(texts);
  fuzz::RequireCleanError(classifier.status());
  if (!classifier.ok()) return 0;
  classifier::ClassifierInput input;
  input.description = "我已经打过12378了，ATM吞卡三天还没退，再不处理我就找记者曝光";
  (*classifier)->Classify(input);
  return 0;
}
