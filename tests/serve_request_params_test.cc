// The API's request-parameter parsing, without HTTP: every malformed limit, cursor, date,
// ticker, format and parameter name is InvalidArgument (the 400 the client gets), and
// base64url and cursors round-trip.
#include <gtest/gtest.h>

#include <cctype>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "serve/base64url.h"
#include "serve/openapi.h"
#include "serve/request_params.h"
#include "serve/routes.h"

namespace stocklake {
namespace {

void ExpectInvalid(const Status& st, const std::string& what) {
  EXPECT_TRUE(st.IsInvalidArgument()) << what << ": " << st.ToString();
  EXPECT_FALSE(st.message().empty()) << what;
}

TEST(RequestParamsTest, ParamNames) {
  EXPECT_TRUE(CheckParamNames({}, {}).ok());
  EXPECT_TRUE(CheckParamNames({{"limit", "1"}, {"cursor", "x"}}, {"limit", "cursor"}).ok());
  ExpectInvalid(CheckParamNames({{"colour", "red"}}, {"limit"}), "unknown name");
  ExpectInvalid(CheckParamNames({{"limit", "1"}, {"limit", "2"}}, {"limit"}), "repeated name");
  ExpectInvalid(CheckParamNames({{"limit", "1"}}, {}), "an endpoint without parameters");
}

TEST(RequestParamsTest, Limits) {
  EXPECT_EQ(*ParseLimit(std::nullopt, 500, 5000), 500);
  EXPECT_EQ(*ParseLimit("1", 500, 5000), 1);
  EXPECT_EQ(*ParseLimit("5000", 500, 5000), 5000);
  for (const char* bad : {"", "0", "5001", "-1", "+5", "1e3", "10x", " 5", "9999999", "99999999999999999999"}) {
    ExpectInvalid(ParseLimit(std::string_view(bad), 500, 5000).status(), std::string("limit '") + bad + "'");
  }
}

TEST(RequestParamsTest, Dates) {
  EXPECT_EQ(*ParseDateParam("from", std::nullopt), kNullDate);
  EXPECT_EQ(*ParseDateParam("from", "2020-02-29"), DaysFromCivil(2020, 2, 29));
  for (const char* bad : {"", "2020-13-01", "2021-02-29", "2020-1-1", "yesterday", "2020-01-01T00:00"}) {
    auto r = ParseDateParam("from", std::string_view(bad));
    ExpectInvalid(r.status(), std::string("date '") + bad + "'");
    if (!r.ok()) {
      EXPECT_NE(r.status().message().find("from"), std::string::npos) << "names the parameter";
    }
  }
}

TEST(RequestParamsTest, Times) {
  EXPECT_EQ(*ParseTimeParam("from", std::nullopt, false), std::nullopt);
  const int64_t day = int64_t{DaysFromCivil(2025, 1, 2)} * 86'400'000;
  EXPECT_EQ(*ParseTimeParam("from", "2025-01-02", false), day) << "a date from its first millisecond";
  EXPECT_EQ(*ParseTimeParam("to", "2025-01-02", true), day + 86'400'000 - 1) << "to its last";
  EXPECT_EQ(*ParseTimeParam("from", "2025-01-02T14:30:00Z", false), day + 52'200'000);
  EXPECT_EQ(*ParseTimeParam("to", "2025-01-02T14:30:00.250Z", true), day + 52'200'250);
  EXPECT_EQ(*ParseTimeParam("from", "2025-01-02T20:00:00+05:30", false), day + 52'200'000);
  for (const char* bad : {"", "2025-13-01", "yesterday", "2025-01-02T14:30", "1735828200000"}) {
    auto r = ParseTimeParam("from", std::string_view(bad), false);
    ExpectInvalid(r.status(), std::string("time '") + bad + "'");
    if (!r.ok()) {
      EXPECT_NE(r.status().message().find("from must be"), std::string::npos);
    }
  }
}

TEST(RequestParamsTest, Tickers) {
  EXPECT_EQ(*NormalizeTicker("aapl"), "AAPL");
  EXPECT_EQ(*NormalizeTicker("brk.b"), "BRK.B");
  EXPECT_EQ(*NormalizeTicker("^gspc"), "^GSPC");
  for (const std::string& bad : {std::string(""), std::string("A B"), std::string("A'--"), std::string(".."),
                                 std::string(33, 'A'), std::string("A/B")}) {
    ExpectInvalid(NormalizeTicker(bad).status(), "ticker '" + bad + "'");
  }
}

TEST(RequestParamsTest, QuartersAndModelNames) {
  EXPECT_EQ(*ParseQuarterParam(std::nullopt), "");
  EXPECT_EQ(*ParseQuarterParam("2017q3"), "2017Q3");
  for (const char* bad : {"", "2017Q5", "2017Q0", "17Q1", "2017-Q1", "2017Q1 ", "0999Q1"}) {
    ExpectInvalid(ParseQuarterParam(std::string_view(bad)).status(), std::string("quarter '") + bad + "'");
  }
  EXPECT_EQ(*ParseModelName("momentum-xgb_2.1"), "momentum-xgb_2.1");
  for (const std::string& bad : {std::string(""), std::string(".."), std::string("-x"), std::string("a/b"),
                                 std::string("a b"), std::string(65, 'm')}) {
    ExpectInvalid(ParseModelName(bad).status(), "model '" + bad + "'");
  }
}

TEST(RequestParamsTest, Formats) {
  EXPECT_EQ(*ParseFormat(std::nullopt, ""), Format::kJson);
  EXPECT_EQ(*ParseFormat(std::nullopt, "text/csv"), Format::kCsv);
  EXPECT_EQ(*ParseFormat(std::nullopt, "application/vnd.apache.parquet"), Format::kParquet);
  EXPECT_EQ(*ParseFormat("json", "text/csv"), Format::kJson) << "?format= wins over Accept";
  EXPECT_EQ(*ParseFormat("csv", ""), Format::kCsv);
  EXPECT_EQ(*ParseFormat("parquet", ""), Format::kParquet);
  for (const char* bad : {"", "xml", "CSV", "json "}) {
    ExpectInvalid(ParseFormat(std::string_view(bad), "").status(), std::string("format '") + bad + "'");
  }
}

TEST(RequestParamsTest, Base64UrlRoundTrips) {
  EXPECT_EQ(Base64UrlEncode(""), "");
  EXPECT_EQ(Base64UrlEncode("f"), "Zg");
  EXPECT_EQ(Base64UrlEncode("fo"), "Zm8");
  EXPECT_EQ(Base64UrlEncode("foo"), "Zm9v");
  EXPECT_EQ(Base64UrlEncode("\xfb\xff"), "-_8");  // the url-safe characters, no padding
  std::string all;
  for (int c = 0; c < 256; ++c) all.push_back(static_cast<char>(c));
  for (size_t n = 0; n <= all.size(); n += 37) {
    const std::string bytes = all.substr(0, n);
    EXPECT_EQ(*Base64UrlDecode(Base64UrlEncode(bytes)), bytes) << n;
  }
  EXPECT_FALSE(Base64UrlDecode("Zm9v=").has_value());
  EXPECT_FALSE(Base64UrlDecode("Zm+v").has_value());
  EXPECT_FALSE(Base64UrlDecode("%%%").has_value());
}

TEST(RequestParamsTest, Cursors) {
  const std::string c = MakeCursor('r', "42");
  EXPECT_EQ(*ParseCursor(c, 'r'), "42");
  EXPECT_EQ(*ParseCursor(std::nullopt, 'r'), "");
  ExpectInvalid(ParseCursor(c, 't').status(), "a cursor of another endpoint");
  ExpectInvalid(ParseCursor("%%%", 'r').status(), "not base64url");
  ExpectInvalid(ParseCursor("", 'r').status(), "empty");
  ExpectInvalid(ParseCursor(MakeCursor('r', ""), 'r').status(), "no value");
  ExpectInvalid(ParseCursor(std::string(200, 'A'), 'r').status(), "too long");

  EXPECT_EQ(*CursorInt("0"), 0);
  EXPECT_EQ(*CursorInt("9223372036854775807"), INT64_MAX);
  for (const char* bad : {"", "abc", "-5", "+5", "12x", "1e3", " 1", "9223372036854775808"}) {
    ExpectInvalid(CursorInt(bad).status(), std::string("cursor value '") + bad + "'");
  }
  EXPECT_EQ(*CursorDate("2020-01-02"), DaysFromCivil(2020, 1, 2));
  ExpectInvalid(CursorDate("2020-01-32").status(), "cursor date");
}

TEST(RouteTableTest, OneRowPerMethodAndPathAndEveryPathRoutes) {
  std::set<std::string> seen;
  for (const Route& r : ApiRoutes()) {
    EXPECT_TRUE(seen.insert(std::string(r.method) + " " + std::string(r.path)).second) << r.path;
    EXPECT_NE(r.handler, nullptr) << r.path;
    EXPECT_FALSE(r.name.empty()) << r.path;
  }
  const Route* bars = FindRoute("GET", "/api/v1/tickers/AAPL/bars");
  ASSERT_NE(bars, nullptr);
  EXPECT_EQ(bars->name, "bars");
  EXPECT_TRUE(bars->exportable);
  EXPECT_EQ(FindRoute("GET", "/api/v1/tickers/AAPL/indicators/latest")->name, "indicators_latest");
  EXPECT_EQ(FindRoute("POST", "/api/v1/runs")->min_role, Role::kAdmin);
  EXPECT_EQ(FindRoute("GET", "/api/v1/runs")->min_role, Role::kViewer);
  EXPECT_EQ(FindRoute("DELETE", "/api/v1/tokens/ops")->min_role, Role::kAdmin);
  EXPECT_EQ(FindRoute("PUT", "/api/v1/tokens")->min_role, Role::kAdmin) << "another method keeps the path's role";
  EXPECT_FALSE(FindRoute("GET", "/healthz")->needs_token);
  EXPECT_EQ(FindRoute("GET", "/api/v1/tickers/AAPL/splits"), nullptr);
  EXPECT_EQ(FindRoute("GET", "/index.html"), nullptr);
  EXPECT_EQ(FindRoute("GET", "/api/v1/openapiXjson"), nullptr) << "'.' is literal";
  EXPECT_EQ(RouteRegex("/api/v1/tickers/{ticker}/bars"), "/api/v1/tickers/([^/]+)/bars");
}

TEST(RouteTableTest, TheOpenApiDocumentListsExactlyTheRoutes) {
  const nlohmann::json doc = nlohmann::json::parse(OpenApiDocument());
  size_t operations = 0;
  for (const auto& [path, methods] : doc["paths"].items()) operations += methods.size();
  EXPECT_EQ(operations, ApiRoutes().size());
  for (const Route& r : ApiRoutes()) {
    std::string method(r.method);
    for (char& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const std::string path(r.path);
    ASSERT_TRUE(doc["paths"].contains(path) && doc["paths"][path].contains(method)) << r.method << " " << r.path;
    const nlohmann::json& op = doc["paths"][path][method];
    EXPECT_EQ(op.contains("security") && op["security"].empty(), !r.needs_token) << r.path;
    if (r.needs_token) {
      EXPECT_EQ(op["x-minimum-role"], std::string(RoleName(r.min_role))) << r.path;
    }
    const nlohmann::json::json_pointer csv("/responses/200/content/text~1csv");
    EXPECT_EQ(op.contains(csv), r.exportable) << r.path;
  }
  // The indicator columns are the lake's (less the ticker).
  EXPECT_TRUE(doc["components"]["schemas"]["Indicators"]["properties"].contains("rsi_14"));
  EXPECT_FALSE(doc["components"]["schemas"]["Indicators"]["properties"].contains("ticker"));
}

}  // namespace
}  // namespace stocklake
