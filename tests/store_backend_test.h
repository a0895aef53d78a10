// The fixture of the serving-store tests that run on both backends: parameterised by
// "sqlite" or "postgresql", it hands out fresh, empty stores of that backend (SQLite files
// in a temporary directory, databases on the shared PostgreSQL test server).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "pg_harness.h"
#include "store/serving_store.h"
#include "test_util.h"

namespace stocklake::testing {

class StoreBackendTest : public ::testing::TestWithParam<std::string> {
 protected:
  //! A URL naming a fresh, empty store of the parameter's backend ("" after a failure).
  std::string FreshStoreUrl() {
    if (GetParam() == "sqlite") return "sqlite:" + dir_.Join("store" + std::to_string(++stores_) + ".db");
    PgServer& pg = PgServer::Shared();
    if (!pg.running()) {
      ADD_FAILURE() << "PostgreSQL test server unavailable: " << pg.error();
      return "";
    }
    const std::string url = pg.CreateDatabase();
    EXPECT_FALSE(url.empty()) << pg.error();
    return url;
  }

  //! Opens (and migrates) the store at `url`; nullptr, with a test failure, on error.
  std::unique_ptr<ServingStore> Open(const std::string& url, StoreOptions options = {}) {
    auto store = OpenServingStore(url, options);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(*store) : nullptr;
  }

  TempDir dir_;
  int stores_ = 0;
};

}  // namespace stocklake::testing
