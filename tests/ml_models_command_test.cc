// `stocklake models list|show|alias` against a registry filled through the library: the
// table and JSON of list, the model card, moving an alias, and exit 2 with a message
// that names what exists for every unknown model, version, alias or lake.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "ml/model_registry.h"
#include "test_util.h"

namespace stocklake {
namespace {

using testing::CommandResult;
using testing::RunCommand;
using testing::StocklakeBinary;
using testing::TempDir;

CommandResult Stocklake(const std::string& args) { return RunCommand(StocklakeBinary() + " " + args); }

bool Contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

ModelVersion Meta(const std::string& name, const std::string& quarter) {
  ModelVersion m;
  m.name = name;
  m.quarter = quarter;
  m.train_first_quarter = "2016Q1";
  m.train_last_quarter = "2019Q4";
  m.train_rows = 4321;
  m.feature_names = {"ret_1m", "mom_12_1", "vol_3m"};
  m.label_transform = "cs_rank";
  m.xgboost_version = "1.7.4";
  m.params = {{"seed", 7}, {"nthread", 1}, {"rounds", 200}};
  m.metrics = {{"quarters", {"2019Q4"}},
               {"model", {{"ic", 0.0612}, {"rank_ic", 0.05}, {"count", 480}}},
               {"baseline", {{"ic", 0.01}, {"rank_ic", nullptr}, {"count", 480}}}};
  m.snapshot_id = 17;
  m.feature_files = {"gold/ml_features/part-00000.parquet"};
  return m;
}

class ModelsCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int q = 1; q <= 3; ++q) {
      ASSERT_TRUE(
          registry_.Register(Meta("alpha", "2020Q" + std::to_string(q)), "{\"m\": " + std::to_string(q) + "}").ok());
    }
    ASSERT_TRUE(registry_.Register(Meta("beta", "2021Q1"), "{}").ok());
    ASSERT_TRUE(registry_.SetAlias("alpha", "champion", 2, "best rank_ic so far").ok());
  }
  std::string Lake() const { return "--lake " + lake_.path(); }

  TempDir lake_;
  ModelRegistry registry_{lake_.path()};
};

TEST_F(ModelsCommand, ListPrintsATable) {
  const CommandResult r = Stocklake("models list " + Lake());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(Contains(r.output, "name")) << r.output;
  const size_t alpha = r.output.find("alpha"), beta = r.output.find("beta");
  ASSERT_NE(alpha, std::string::npos);
  ASSERT_NE(beta, std::string::npos);
  EXPECT_LT(alpha, beta);
  const std::string alpha_line = r.output.substr(alpha, r.output.find('\n', alpha) - alpha);
  EXPECT_TRUE(Contains(alpha_line, "2020Q3")) << alpha_line;
  EXPECT_TRUE(Contains(alpha_line, "champion -> 2")) << alpha_line;
}

TEST_F(ModelsCommand, ListJson) {
  const CommandResult r = Stocklake("models list --json " + Lake());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const nlohmann::json j = nlohmann::json::parse(r.output);
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0]["name"], "alpha");
  EXPECT_EQ(j[0]["versions"], 3);
  EXPECT_EQ(j[0]["latest_version"], 3);
  EXPECT_EQ(j[0]["latest_quarter"], "2020Q3");
  EXPECT_EQ(j[0]["aliases"]["champion"], 2);
  EXPECT_EQ(j[1]["name"], "beta");
  EXPECT_TRUE(j[1]["aliases"].empty());
}

TEST_F(ModelsCommand, ShowPrintsTheModelCard) {
  const CommandResult r = Stocklake("models show " + Lake() + " alpha@champion");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* part :
       {"model alpha version 2 (champion)", "2020Q2", "2016Q1 .. 2019Q4, 4321 rows", "cs_rank",
        "ret_1m, mom_12_1, vol_3m", "1.7.4", "\"seed\":7", "0.0612", "snapshot 17",
        "gold/ml_features/part-00000.parquet", "versions/2/model.json", "(verified)", "best rank_ic so far"}) {
    EXPECT_TRUE(Contains(r.output, part)) << part << "\n" << r.output;
  }
}

TEST_F(ModelsCommand, ShowJsonHasEveryFieldAndTheAliasHistory) {
  const CommandResult r = Stocklake("models show --json " + Lake() + " alpha:1");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const nlohmann::json j = nlohmann::json::parse(r.output);
  EXPECT_EQ(j["model"], ModelVersionToJson(*registry_.Get("alpha", 1)));
  EXPECT_EQ(j["model_file_verified"], true);
  EXPECT_EQ(j["aliases"]["champion"], 2);
  ASSERT_EQ(j["alias_history"].size(), 1u);
  EXPECT_EQ(j["alias_history"][0]["reason"], "best rank_ic so far");
  EXPECT_EQ(nlohmann::json::parse(Stocklake("models show --json " + Lake() + " alpha").output)["model"]["version"], 3);
}

TEST_F(ModelsCommand, ShowReportsAModelFileChangedAfterRegistration) {
  testing::WriteTextFile(lake_.Join(registry_.Get("alpha", 3)->model_file), "{\"m\": 4}");
  const CommandResult r = Stocklake("models show " + Lake() + " alpha");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_FALSE(Contains(r.output, "(verified)")) << r.output;
  EXPECT_TRUE(Contains(r.output, "changed after registration")) << r.output;
}

TEST_F(ModelsCommand, AliasMovesAndIsRecorded) {
  const CommandResult r = Stocklake("models alias " + Lake() + " alpha champion 3 --reason 'newer and better'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(Contains(r.output, "alpha@champion -> version 3 (was 2)")) << r.output;
  EXPECT_EQ(registry_.Aliases("alpha")->at("champion"), 3);
  auto history = registry_.AliasHistory("alpha");
  ASSERT_EQ(history->size(), 2u);
  EXPECT_EQ(history->back().reason, "newer and better");
  const CommandResult fresh = Stocklake("models alias " + Lake() + " beta prod 1 --reason first");
  ASSERT_EQ(fresh.exit_code, 0) << fresh.output;
  EXPECT_TRUE(Contains(fresh.output, "(new alias)")) << fresh.output;
}

TEST_F(ModelsCommand, UnknownThingsExitTwoAndSayWhatExists) {
  struct Case {
    std::string args, expected;
  };
  const std::vector<Case> cases = {
      {"models show " + Lake() + " gamma", "models: alpha, beta"},
      {"models show " + Lake() + " alpha:9", "versions: 1, 2, 3"},
      {"models show " + Lake() + " alpha@prod", "aliases: champion -> 2"},
      {"models show " + Lake() + " 'alpha:x'", "expected NAME, NAME:VERSION or NAME@ALIAS"},
      {"models alias " + Lake() + " alpha champion 9 --reason why", "versions: 1, 2, 3"},
      {"models alias " + Lake() + " gamma champion 1 --reason why", "models: alpha, beta"},
      {"models alias " + Lake() + " alpha champion 1", "--reason"},
      {"models list --lake " + lake_.Join("missing"), "no lake at"},
  };
  for (const Case& c : cases) {
    const CommandResult r = Stocklake(c.args);
    EXPECT_EQ(r.exit_code, 2) << c.args << "\n" << r.output;
    EXPECT_TRUE(Contains(r.output, c.expected)) << c.args << "\n" << r.output;
  }
  EXPECT_EQ(registry_.Aliases("alpha")->at("champion"), 2) << "failed moves change nothing";
}

TEST(ModelsCommandWithoutRegistry, ListExitsTwo) {
  TempDir lake;
  for (const std::string& args : {"models list --lake " + lake.path(), "models show --lake " + lake.path() + " a"}) {
    const CommandResult r = Stocklake(args);
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_TRUE(Contains(r.output, "no model registry")) << r.output;
  }
}

}  // namespace
}  // namespace stocklake
