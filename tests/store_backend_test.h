// The fixture of the serving-store tests that run on both backends: parameterised by
// "sqlite" or "postgresql", it hands out fresh, empty stores of that backend (SQLite files
// in a temporary directory, databases on the shared PostgreSQL test server), and reads a
// store's tables directly, past the store interface.
#pragma once

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include <memory>
#include <string>

#include "pg_harness.h"
#include "store/serving_store.h"
#include "test_util.h"

namespace stocklake::testing {

//! Runs `sql` on a new connection to the store at `url` (`sqlite:PATH` or a PostgreSQL
//! URI); the rows, one line each, fields tab-separated, NULL as "". A failure fails the
//! test.
inline std::string StoreRows(const std::string& url, const std::string& sql) {
  std::string out;
  if (url.starts_with("sqlite:")) {
    sqlite3* db = nullptr;
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_open_v2(url.substr(7).c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
    if (rc == SQLITE_OK) rc = sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr);
    while (rc == SQLITE_OK || rc == SQLITE_ROW) {
      rc = sqlite3_step(stmt);
      if (rc != SQLITE_ROW) break;
      for (int c = 0; c < sqlite3_column_count(stmt); ++c) {
        const unsigned char* text = sqlite3_column_text(stmt, c);
        out += (c > 0 ? "\t" : "") + std::string(text ? reinterpret_cast<const char*>(text) : "");
      }
      out += "\n";
    }
    if (rc != SQLITE_DONE) ADD_FAILURE() << sqlite3_errmsg(db) << " in " << sql;
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return out;
  }
  PGconn* conn = PQconnectdb(url.c_str());
  EXPECT_EQ(PQstatus(conn), CONNECTION_OK) << PQerrorMessage(conn);
  PGresult* res = PQexec(conn, sql.c_str());
  if (PQresultStatus(res) == PGRES_TUPLES_OK) {
    for (int r = 0; r < PQntuples(res); ++r) {
      for (int c = 0; c < PQnfields(res); ++c) out += (c > 0 ? "\t" : "") + std::string(PQgetvalue(res, r, c));
      out += "\n";
    }
  } else {
    ADD_FAILURE() << PQerrorMessage(conn) << " in " << sql;
  }
  PQclear(res);
  PQfinish(conn);
  return out;
}

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

  //! The newest schema version of the parameter's backend (PostgreSQL has two more:
  //! its versions 3 and 4 partition the ticker-keyed tables by bucket, then by years).
  int LatestSchemaVersion() const { return GetParam() == "postgresql" ? 8 : 6; }

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
