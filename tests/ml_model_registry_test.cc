// ModelRegistry: every field round-trips, versions count up under a lock, a registration
// that fails at any write, sync or rename leaves nothing visible and frees its number,
// aliases move with their history, references resolve (or say what exists), and a model
// file changed after registration is caught by its hash.
#include <gtest/gtest.h>

#include <thread>

#include "core/files.h"
#include "fault_env.h"
#include "ml/model_registry.h"
#include "test_util.h"

namespace stocklake {
namespace {

using testing::FaultEnv;
using testing::TempDir;

ModelVersion Meta(const std::string& name, const std::string& quarter = "2020Q4") {
  ModelVersion m;
  m.name = name;
  m.quarter = quarter;
  m.train_first_quarter = "2016Q1";
  m.train_last_quarter = "2020Q3";
  m.train_rows = 12345;
  m.feature_names = {"ret_1m", "ret_3m", "vol_3m"};
  m.label_transform = "cs_rank";
  m.xgboost_version = "1.7.4";
  m.params = {{"seed", 7}, {"nthread", 1}, {"eta", 0.05}, {"tree_method", "hist"}};
  m.metrics = {{"quarters", {"2020Q3"}}, {"model", {{"ic", 0.05}, {"rank_ic", nullptr}}}, {"baseline", {{"ic", 0.01}}}};
  m.snapshot_id = 42;
  m.feature_files = {"gold/ml_features/part-0.parquet", "gold/ml_features/part-1.parquet"};
  return m;
}

std::vector<int> VersionNumbers(const ModelRegistry& registry, const std::string& name) {
  std::vector<int> out;
  auto versions = registry.Versions(name);
  if (!versions.ok()) return out;
  for (const ModelVersion& v : *versions) out.push_back(v.version);
  return out;
}

bool Contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST(ModelRegistry, EveryFieldRoundTrips) {
  TempDir lake;
  ModelRegistry registry(lake.path());
  const ModelVersion meta = Meta("alpha");
  auto registered = registry.Register(meta, "abc");
  ASSERT_TRUE(registered.ok()) << registered.status().ToString();
  EXPECT_EQ(registered->version, 1);
  EXPECT_EQ(registered->created_at.size(), 20u) << registered->created_at;  // 2026-11-25T07:32:02Z
  EXPECT_EQ(registered->model_file, "_stocklake/models/alpha/versions/1/model.json");
  EXPECT_EQ(registered->model_sha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");  // "abc"
  EXPECT_EQ(*ReadFileToString(lake.Join(registered->model_file)), "abc");

  auto got = registry.Get("alpha", 1);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(ModelVersionToJson(*got), ModelVersionToJson(*registered));
  EXPECT_EQ(got->name, meta.name);
  EXPECT_EQ(got->quarter, meta.quarter);
  EXPECT_EQ(got->train_first_quarter, meta.train_first_quarter);
  EXPECT_EQ(got->train_last_quarter, meta.train_last_quarter);
  EXPECT_EQ(got->train_rows, meta.train_rows);
  EXPECT_EQ(got->feature_names, meta.feature_names);
  EXPECT_EQ(got->label_transform, meta.label_transform);
  EXPECT_EQ(got->xgboost_version, meta.xgboost_version);
  EXPECT_EQ(got->params, meta.params);
  EXPECT_EQ(got->metrics, meta.metrics);
  EXPECT_EQ(got->snapshot_id, meta.snapshot_id);
  EXPECT_EQ(got->feature_files, meta.feature_files);
  EXPECT_EQ(got->created_at, registered->created_at);
  EXPECT_EQ(got->model_sha256, registered->model_sha256);
}

TEST(ModelRegistry, VersionJsonMissingAFieldIsRejected) {
  nlohmann::json j = ModelVersionToJson(Meta("alpha"));
  ASSERT_TRUE(ModelVersionFromJson(j).ok());
  j.erase("train_rows");
  EXPECT_TRUE(ModelVersionFromJson(j).status().IsInvalidArgument());
  j = ModelVersionToJson(Meta("alpha"));
  j["version"] = "one";
  EXPECT_TRUE(ModelVersionFromJson(j).status().IsInvalidArgument());
}

TEST(ModelRegistry, VersionsCountUpPerModel) {
  TempDir lake;
  ModelRegistry registry(lake.path());
  for (int i = 0; i < 3; ++i) ASSERT_EQ(registry.Register(Meta("alpha"), "m" + std::to_string(i))->version, i + 1);
  ASSERT_EQ(registry.Register(Meta("beta"), "b")->version, 1);
  EXPECT_EQ(*registry.ModelNames(), (std::vector<std::string>{"alpha", "beta"}));
  EXPECT_EQ(VersionNumbers(registry, "alpha"), (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(*registry.ReadModelJson(*registry.Get("alpha", 2)), "m1");
}

TEST(ModelRegistry, ConcurrentRegistrationsGetDistinctVersions) {
  TempDir lake;
  std::vector<std::thread> threads;
  std::vector<std::vector<int>> got(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      ModelRegistry registry(lake.path());  // each its own lock file handle
      for (int i = 0; i < 5; ++i) {
        auto r = registry.Register(Meta("alpha"), "m");
        got[t].push_back(r.ok() ? r->version : -1);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  std::vector<int> all;
  for (const auto& g : got) all.insert(all.end(), g.begin(), g.end());
  std::sort(all.begin(), all.end());
  std::vector<int> expected(20);
  for (int i = 0; i < 20; ++i) expected[i] = i + 1;
  EXPECT_EQ(all, expected);
}

TEST(ModelRegistry, InvalidNamesAreRejected) {
  TempDir lake;
  ModelRegistry registry(lake.path());
  for (const std::string& name :
       std::vector<std::string>{"", "-x", ".x", "a/b", "a b", "a:1", "a@b", std::string(65, 'a')}) {
    EXPECT_TRUE(registry.Register(Meta(name), "m").status().IsInvalidArgument()) << name;
  }
  EXPECT_TRUE(registry.Register(Meta("A.b-1_c"), "m").ok());
  EXPECT_TRUE(registry.Register(Meta(std::string(64, 'z')), "m").ok());
}

TEST(ModelRegistry, RegisteringIntoAMissingLakeIsNotFound) {
  TempDir dir;
  EXPECT_TRUE(ModelRegistry(dir.Join("nowhere")).Register(Meta("alpha"), "m").status().IsNotFound());
}

enum class Op { kWrite, kSync, kRename };
struct Fault {
  Op op;
  int nth;  // a registration: 2 writes (model, version.json), 4 syncs (2 files, 2 directories), 1 rename
};

class RegisterFault : public ::testing::TestWithParam<Fault> {};

TEST_P(RegisterFault, LeavesNoVersionAndFreesTheNumber) {
  TempDir lake;
  FaultEnv env;
  ModelRegistry registry(lake.path(), &env);
  ASSERT_TRUE(registry.Register(Meta("alpha"), "first").ok());

  const Fault fault = GetParam();
  if (fault.op == Op::kWrite) env.FailNthWrite(fault.nth);
  if (fault.op == Op::kSync) env.FailNthSync(fault.nth);
  if (fault.op == Op::kRename) env.FailNthRename(fault.nth);
  auto failed = registry.Register(Meta("alpha"), "second");
  ASSERT_FALSE(failed.ok());
  EXPECT_TRUE(failed.status().IsIOError()) << failed.status().ToString();
  EXPECT_TRUE(Contains(failed.status().message(), "nothing was registered")) << failed.status().message();

  EXPECT_EQ(VersionNumbers(registry, "alpha"), (std::vector<int>{1}));
  EXPECT_EQ(registry.Resolve("alpha")->version, 1);
  EXPECT_EQ(*ListDirectory(registry.root() + "/alpha/versions"), (std::vector<std::string>{"1"}));

  env.ClearFaults();
  auto next = registry.Register(Meta("alpha"), "third");
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_EQ(next->version, 2);
  EXPECT_EQ(*registry.ReadModelJson(*next), "third");
}

INSTANTIATE_TEST_SUITE_P(EveryStep, RegisterFault,
                         ::testing::Values(Fault{Op::kWrite, 1}, Fault{Op::kWrite, 2}, Fault{Op::kSync, 1},
                                           Fault{Op::kSync, 2}, Fault{Op::kSync, 3}, Fault{Op::kSync, 4},
                                           Fault{Op::kRename, 1}));

TEST(ModelRegistry, EveryStepOfARegistrationIsCounted) {
  // Keeps the fault sweep above honest: it covers each write, sync and rename there is.
  TempDir lake;
  FaultEnv env;
  ModelRegistry registry(lake.path(), &env);
  ASSERT_TRUE(registry.Register(Meta("alpha"), "m").ok());
  EXPECT_EQ(env.writes(), 2);
  EXPECT_EQ(env.syncs(), 4);
  EXPECT_EQ(env.renames(), 1);
}

TEST(ModelRegistry, AKilledRegistrationsLeftoversAreIgnoredThenRemoved) {
  TempDir lake;
  ModelRegistry registry(lake.path());
  ASSERT_TRUE(registry.Register(Meta("alpha"), "first").ok());
  const std::string pending = registry.root() + "/alpha/versions/.pending-2";
  testing::WriteTextFile(pending + "/model.json", "half");
  EXPECT_EQ(VersionNumbers(registry, "alpha"), (std::vector<int>{1}));
  EXPECT_EQ(registry.Resolve("alpha")->version, 1);
  auto next = registry.Register(Meta("alpha"), "second");
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_EQ(next->version, 2);
  EXPECT_FALSE(PathExists(pending));
}

TEST(ModelRegistry, AliasesMoveAndKeepTheirHistory) {
  TempDir lake;
  ModelRegistry registry(lake.path());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(registry.Register(Meta("alpha"), "m").ok());
  EXPECT_TRUE(registry.Aliases("alpha")->empty());
  ASSERT_TRUE(registry.SetAlias("alpha", "champion", 1, "first model").ok());
  ASSERT_TRUE(registry.SetAlias("alpha", "staging", 3, "trying the newest").ok());
  ASSERT_TRUE(registry.SetAlias("alpha", "champion", 2, "better rank_ic").ok());
  EXPECT_EQ(*registry.Aliases("alpha"), (std::map<std::string, int>{{"champion", 2}, {"staging", 3}}));
  ASSERT_TRUE(registry.RemoveAlias("alpha", "staging", "rejected").ok());
  EXPECT_EQ(*registry.Aliases("alpha"), (std::map<std::string, int>{{"champion", 2}}));

  auto history = registry.AliasHistory("alpha");
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 4u);
  const std::vector<std::tuple<std::string, int, std::string>> expected = {{"champion", 1, "first model"},
                                                                           {"staging", 3, "trying the newest"},
                                                                           {"champion", 2, "better rank_ic"},
                                                                           {"staging", 0, "rejected"}};
  for (size_t i = 0; i < expected.size(); ++i) {
    const AliasEvent& e = (*history)[i];
    EXPECT_EQ(std::tie(e.alias, e.version, e.reason), expected[i]) << i;
    EXPECT_EQ(e.at.size(), 20u) << e.at;
  }
  // A second registry object reads the same state from the files.
  EXPECT_EQ(ModelRegistry(lake.path()).AliasHistory("alpha")->size(), 4u);
}

TEST(ModelRegistry, AliasErrors) {
  TempDir lake;
  ModelRegistry registry(lake.path());
  ASSERT_TRUE(registry.Register(Meta("alpha"), "m").ok());
  EXPECT_TRUE(registry.SetAlias("alpha", "champion", 9, "why").IsNotFound());
  EXPECT_TRUE(registry.SetAlias("alpha", "champion", 0, "why").IsNotFound());
  EXPECT_TRUE(registry.SetAlias("gamma", "champion", 1, "why").IsNotFound());
  EXPECT_TRUE(registry.SetAlias("alpha", "champion", 1, "").IsInvalidArgument());
  EXPECT_TRUE(registry.SetAlias("alpha", "bad alias", 1, "why").IsInvalidArgument());
  EXPECT_TRUE(registry.RemoveAlias("alpha", "champion", "why").IsNotFound());
  EXPECT_TRUE(registry.AliasHistory("alpha")->empty()) << "failed moves are not recorded";
  EXPECT_TRUE(registry.Aliases("gamma").status().IsNotFound());
}

TEST(ModelRegistry, ResolveForms) {
  TempDir lake;
  ModelRegistry registry(lake.path());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(registry.Register(Meta("alpha", "2020Q" + std::to_string(i + 1)), "m").ok());
  ASSERT_TRUE(registry.Register(Meta("beta"), "m").ok());
  ASSERT_TRUE(registry.SetAlias("alpha", "champion", 2, "why").ok());
  EXPECT_EQ(registry.Resolve("alpha")->version, 3);
  EXPECT_EQ(registry.Resolve("alpha")->quarter, "2020Q3");
  EXPECT_EQ(registry.Resolve("alpha:1")->version, 1);
  EXPECT_EQ(registry.Resolve("alpha@champion")->version, 2);
  EXPECT_EQ(registry.Resolve("beta")->name, "beta");
}

TEST(ModelRegistry, ResolveErrorsSayWhatExists) {
  TempDir lake;
  ModelRegistry registry(lake.path());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(registry.Register(Meta("alpha"), "m").ok());
  ASSERT_TRUE(registry.Register(Meta("beta"), "m").ok());
  ASSERT_TRUE(registry.SetAlias("alpha", "champion", 2, "why").ok());

  const Status no_version = registry.Resolve("alpha:9").status();
  EXPECT_TRUE(no_version.IsNotFound());
  EXPECT_TRUE(Contains(no_version.message(), "versions: 1, 2, 3")) << no_version.message();
  const Status no_model = registry.Resolve("gamma@champion").status();
  EXPECT_TRUE(no_model.IsNotFound());
  EXPECT_TRUE(Contains(no_model.message(), "models: alpha, beta")) << no_model.message();
  const Status no_alias = registry.Resolve("alpha@prod").status();
  EXPECT_TRUE(no_alias.IsNotFound());
  EXPECT_TRUE(Contains(no_alias.message(), "aliases: champion -> 2")) << no_alias.message();
  const Status beta_alias = registry.Resolve("beta@champion").status();
  EXPECT_TRUE(Contains(beta_alias.message(), "it has no aliases")) << beta_alias.message();

  for (const char* ref : {"", "alpha:", "alpha:0", "alpha:x", "alpha:01", ":1", "@champion", "alpha:1@champion",
                          "alpha@", "al pha", "alpha@bad alias"}) {
    EXPECT_TRUE(registry.Resolve(ref).status().IsInvalidArgument()) << ref;
  }
}

TEST(ModelRegistry, ALakeWithoutARegistryIsNotFound) {
  TempDir lake;
  ModelRegistry registry(lake.path());
  const Status names = registry.ModelNames().status();
  EXPECT_TRUE(names.IsNotFound());
  EXPECT_TRUE(Contains(names.message(), "no model registry")) << names.message();
  EXPECT_TRUE(registry.Resolve("alpha").status().IsNotFound());
  EXPECT_TRUE(registry.Versions("alpha").status().IsNotFound());
}

TEST(ModelRegistry, AModifiedModelFileIsCorruption) {
  TempDir lake;
  ModelRegistry registry(lake.path());
  auto v = registry.Register(Meta("alpha"), R"({"learner": {}})");
  ASSERT_TRUE(v.ok());
  ASSERT_EQ(*registry.ReadModelJson(*v), R"({"learner": {}})");
  testing::WriteTextFile(lake.Join(v->model_file), R"({"learner": {} })");
  const Status changed = registry.ReadModelJson(*v).status();
  EXPECT_TRUE(changed.IsCorruption()) << changed.ToString();
  EXPECT_TRUE(Contains(changed.message(), v->model_sha256)) << changed.message();
  ASSERT_TRUE(RemoveFile(lake.Join(v->model_file)).ok());
  EXPECT_FALSE(registry.ReadModelJson(*v).ok());
}

TEST(ModelRegistry, AModifiedVersionFileIsCorruption) {
  TempDir lake;
  ModelRegistry registry(lake.path());
  ASSERT_TRUE(registry.Register(Meta("alpha"), "m").ok());
  ASSERT_TRUE(registry.Register(Meta("alpha"), "m").ok());
  const std::string version_json = registry.root() + "/alpha/versions/1/version.json";
  testing::WriteTextFile(version_json, "{ truncated");
  EXPECT_TRUE(registry.Get("alpha", 1).status().IsCorruption());
  // Version 2's record copied over version 1's: it names the wrong directory.
  testing::WriteTextFile(version_json, *ReadFileToString(registry.root() + "/alpha/versions/2/version.json"));
  EXPECT_TRUE(registry.Get("alpha", 1).status().IsCorruption());
  EXPECT_TRUE(registry.Versions("alpha").status().IsCorruption());
  testing::WriteTextFile(registry.root() + "/alpha/aliases.json", "[]");
  EXPECT_TRUE(registry.Aliases("alpha").status().IsCorruption());
}

}  // namespace
}  // namespace stocklake
