#pragma once

#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "libs/common/files.h"
#include "services/intake/classifier/classifier.h"

namespace complaints::classifier::testing {

inline std::string ShippedPath(const std::string& file) {
  return std::string(COMPLAINTS_SOURCE_DIR) + "/deploy/classifier/" + file;
}

inline ClassifierPaths ShippedPaths() {
  return {ShippedPath("classifier.textproto"), ShippedPath("taxonomy.textproto"),
          ShippedPath("t2s.tsv")};
}

inline ConfigTexts ShippedTexts() {
  ConfigTexts texts;
  texts.config = *common::ReadFile(ShippedPath("classifier.textproto"));
  texts.taxonomy = *common::ReadFile(ShippedPath("taxonomy.textproto"));
  texts.t2s = *common::ReadFile(ShippedPath("t2s.tsv"));
  return texts;
}

// The shipped classifier, loaded once per test binary.
inline std::shared_ptr<const Classifier> Shipped() {
  static const auto* classifier = [] {
    auto loaded = Classifier::Load(ShippedPaths());
    if (!loaded.ok()) {
      ADD_FAILURE() << loaded.status();
      return new std::shared_ptr<const Classifier>();
    }
    return new std::shared_ptr<const Classifier>(*loaded);
  }();
  return *classifier;
}

}  // namespace complaints::classifier::testing
