// The operations files under deploy/ (issue #12), each checked by the real checker Debian
// ships, and against the real program: promtool for the Prometheus config and the alert
// rules (unit tests with series fixtures included), docker-compose for the compose file,
// yamllint for every YAML file, python3 for the Airflow DAG; every `stocklake` command
// line in them uses options the binary has; the Dockerfile's runtime stage installs the
// package of every library the binary links. Then a real `stocklake serve` on a small
// lake, scraped by a real Prometheus running deploy/prometheus/prometheus.yml: the target
// is up, every alert rule evaluates without error, and every query of the Grafana
// dashboard is valid PromQL naming only metrics that serve exports. A missing checker
// fails its test, naming the Debian package to install.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "api_test_util.h"
#include "orchestrate/pipeline_definition.h"
#include "prometheus_harness.h"
#include "test_util.h"

namespace stocklake {
namespace {

using nlohmann::json;
using testing::ReadTextFile;
using testing::RunCommand;
using testing::StocklakeBinary;
using testing::TempDir;

const std::string kDeploy = std::string(STOCKLAKE_SOURCE_DIR) + "/deploy";

std::string Quoted(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

//! Fails, naming the Debian package, when `tool` is not on PATH.
::testing::AssertionResult Have(const std::string& tool, const std::string& package) {
  if (RunCommand("command -v " + tool).exit_code == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << tool << " is not installed: install the Debian package " << package
                                       << " (scripts/install-deps.sh lists it)";
}

//! Runs `command`, expecting exit 0.
void ExpectPasses(const std::string& command) {
  const auto result = RunCommand(command);
  EXPECT_EQ(result.exit_code, 0) << command << "\n" << result.output;
}

// ---- Metric names in PromQL -------------------------------------------------------------

//! The metric names an expression selects: identifiers that are not functions or
//! aggregations (followed by '('), keywords, label names (inside {...} or the lists after
//! by, without, on, ignoring, group_left, group_right), strings, numbers or durations.
std::set<std::string> MetricNamesIn(std::string_view expr) {
  static const std::set<std::string, std::less<>> kKeywords = {
      "by", "without", "on",     "ignoring", "group_left", "group_right", "bool", "and",
      "or", "unless",  "offset", "inf",      "nan",        "Inf",         "NaN",  "atan2"};
  static const std::set<std::string, std::less<>> kLabelLists = {"by",       "without",    "on",
                                                                 "ignoring", "group_left", "group_right"};
  std::set<std::string> names;
  auto ident_start = [](char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':'; };
  auto ident_char = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == ':'; };
  auto skip_to = [&](size_t i, char close) {
    // Past the matching `close`, skipping strings inside.
    while (i < expr.size() && expr[i] != close) {
      if (expr[i] == '"' || expr[i] == '\'' || expr[i] == '`') {
        const char q = expr[i++];
        while (i < expr.size() && expr[i] != q) i += expr[i] == '\\' ? 2 : 1;
      }
      ++i;
    }
    return i + 1;
  };
  size_t i = 0;
  while (i < expr.size()) {
    const char c = expr[i];
    if (c == '"' || c == '\'' || c == '`') {
      const char q = c;
      ++i;
      while (i < expr.size() && expr[i] != q) i += expr[i] == '\\' ? 2 : 1;
      ++i;
    } else if (c == '{') {
      i = skip_to(i + 1, '}');
    } else if (c == '[') {
      i = skip_to(i + 1, ']');
    } else if (std::isdigit(static_cast<unsigned char>(c)) ||
               (c == '.' && i + 1 < expr.size() && std::isdigit(static_cast<unsigned char>(expr[i + 1])))) {
      // A number (1e9, 0.5, 0x1f) or a duration after offset (5m).
      while (i < expr.size() && (std::isalnum(static_cast<unsigned char>(expr[i])) || expr[i] == '.' ||
                                 ((expr[i] == '+' || expr[i] == '-') && (expr[i - 1] == 'e' || expr[i - 1] == 'E')))) {
        ++i;
      }
    } else if (ident_start(c)) {
      const size_t start = i;
      while (i < expr.size() && ident_char(expr[i])) ++i;
      const std::string word(expr.substr(start, i - start));
      size_t next = i;
      while (next < expr.size() && std::isspace(static_cast<unsigned char>(expr[next]))) ++next;
      bool call = next < expr.size() && expr[next] == '(';
      // An aggregation whose modifier comes first: `sum by (le) (...)`.
      for (const char* modifier : {"by", "without"}) {
        const std::string_view m(modifier);
        if (!kLabelLists.count(word) && expr.substr(next, m.size()) == m && next + m.size() < expr.size() &&
            !ident_char(expr[next + m.size()])) {
          call = true;
        }
      }
      if (kLabelLists.count(word) && call) {
        i = skip_to(next + 1, ')');
      } else if (!call && !kKeywords.count(word)) {
        names.insert(word);
      }
    } else {
      ++i;
    }
  }
  return names;
}

TEST(DeployPromqlNames, FindsMetricsAndNothingElse) {
  EXPECT_EQ(MetricNamesIn("histogram_quantile(0.99, sum by (le, endpoint) (rate(a_bucket{endpoint!=\"x y\"}[5m])))"),
            (std::set<std::string>{"a_bucket"}));
  EXPECT_EQ(MetricNamesIn("sum(rate(a{status=~\"5..\"}[5m])) / ignoring(x) group_left(y) b offset 5m > 1e-9"),
            (std::set<std::string>{"a", "b"}));
  EXPECT_EQ(MetricNamesIn("time() - c and c != 0 or on(job) up == bool 1"), (std::set<std::string>{"c", "up"}));
  EXPECT_EQ(MetricNamesIn("clamp_min(-deriv(d[6h]), 1e-9) / 86400 without (i)"), (std::set<std::string>{"d"}));
}

// ---- Exported metric families ---------------------------------------------------------

//! family name -> type ("counter", "gauge", "histogram", ...) from Prometheus text.
std::map<std::string, std::string> FamiliesIn(const std::string& text) {
  std::map<std::string, std::string> families;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.starts_with("# TYPE ")) continue;
    std::istringstream words(line.substr(7));
    std::string name, type;
    words >> name >> type;
    families[name] = type;
  }
  return families;
}

//! Whether `name` is a family of `families` or a series of one (_bucket, _sum, _count of
//! a histogram; _sum, _count of a summary).
bool Exports(const std::map<std::string, std::string>& families, const std::string& name) {
  if (families.count(name)) return true;
  for (const auto& [suffix, types] : std::vector<std::pair<std::string, std::set<std::string>>>{
           {"_bucket", {"histogram"}}, {"_sum", {"histogram", "summary"}}, {"_count", {"histogram", "summary"}}}) {
    if (name.ends_with(suffix)) {
      const auto it = families.find(name.substr(0, name.size() - suffix.size()));
      if (it != families.end() && types.count(it->second)) return true;
    }
  }
  return false;
}

// ---- Command lines ---------------------------------------------------------------------

//! Checks that every `--option` of `argv` ("SUB [SUB2] --opt=v --opt v ...", the words
//! after `stocklake`) is one that `stocklake SUB --help` lists.
void ExpectRealOptions(const std::vector<std::string>& argv, const std::string& where) {
  ASSERT_FALSE(argv.empty()) << where;
  std::string subcommand = argv[0];
  if (argv.size() > 1 && !argv[1].starts_with("-")) subcommand += " " + argv[1];  // models list, token create
  static std::map<std::string, std::string> helps;
  if (!helps.count(subcommand)) helps[subcommand] = RunCommand(StocklakeBinary() + " " + subcommand + " --help").output;
  const std::string& help = helps[subcommand];
  ASSERT_NE(help.find("--help"), std::string::npos) << where << ": no subcommand `" << subcommand << "`:\n" << help;
  for (const std::string& arg : argv) {
    if (!arg.starts_with("--")) continue;
    const std::string option = arg.substr(0, arg.find('='));
    const std::regex listed("(^|[\\s,])" + option + "([\\s,=]|$)");
    EXPECT_TRUE(std::regex_search(help, listed))
        << where << ": `stocklake " << subcommand << "` has no option " << option << "\n"
        << help;
  }
}

std::vector<std::string> Strings(const YAML::Node& list) {
  std::vector<std::string> out;
  for (const YAML::Node& item : list) out.push_back(item.as<std::string>());
  return out;
}

// ---- Prometheus files, checked by promtool -------------------------------------------------

TEST(DeployFiles, PrometheusConfigAndAlertRulesPassPromtool) {
  ASSERT_TRUE(Have("promtool", "prometheus"));
  const std::string prom = kDeploy + "/prometheus";
  ExpectPasses("promtool check config --syntax-only " + prom + "/prometheus.yml");
  // The whole config as the container sees it (rule files and the token file resolved
  // beside it), with the rules linted.
  TempDir dir;
  for (const char* file : {"prometheus.yml", "alerts.yml"}) {
    testing::WriteTextFile(dir.Join(file), ReadTextFile(prom + "/" + file));
  }
  testing::WriteTextFile(dir.Join("secrets/stocklake.token"), "placeholder\n");
  ExpectPasses("promtool check config --lint=all --lint-fatal " + dir.Join("prometheus.yml"));
  ExpectPasses("promtool check rules --lint=all --lint-fatal " + prom + "/alerts.yml");
  ExpectPasses("promtool test rules " + prom + "/alerts_test.yml");
}

TEST(DeployFiles, EveryAlertIsTestedFiringAndSilent) {
  const YAML::Node rules = YAML::LoadFile(kDeploy + "/prometheus/alerts.yml");
  const YAML::Node tests = YAML::LoadFile(kDeploy + "/prometheus/alerts_test.yml");
  std::map<std::string, std::pair<int, int>> cases;  // alert -> (firing, silent) evaluations
  for (const YAML::Node& test : tests["tests"]) {
    for (const YAML::Node& eval : test["alert_rule_test"]) {
      auto& [firing, silent] = cases[eval["alertname"].as<std::string>()];
      (eval["exp_alerts"].size() > 0 ? firing : silent)++;
    }
  }
  size_t alerts = 0;
  for (const YAML::Node& group : rules["groups"]) {
    for (const YAML::Node& rule : group["rules"]) {
      if (!rule["alert"]) continue;
      ++alerts;
      const std::string name = rule["alert"].as<std::string>();
      EXPECT_GT(cases[name].first, 0) << name << ": no test makes it fire";
      EXPECT_GT(cases[name].second, 0) << name << ": no test where it stays silent";
    }
  }
  EXPECT_GE(alerts, 8u);
}

// ---- docker-compose, yamllint, Kubernetes -------------------------------------------------

//! The services of deploy/ that run the stocklake image, and their commands.
const std::set<std::string> kStocklakeServices = {"serve", "stream", "scheduler", "producer", "processor", "loader"};

TEST(DeployFiles, ComposeFileIsValidAndRunsRealCommands) {
  ASSERT_TRUE(Have("docker-compose", "docker-compose"));
  const std::string compose = "docker-compose -f " + kDeploy + "/docker-compose.yml";
  ExpectPasses(compose + " config -q");
  // The resolved file, optional profile included.
  const auto resolved = RunCommand(compose + " --profile kafka-ingest config 2>/dev/null");
  ASSERT_EQ(resolved.exit_code, 0) << resolved.output;
  const YAML::Node services = YAML::Load(resolved.output)["services"];
  for (const char* name : {"kafka", "postgres", "prometheus", "grafana", "token"}) {
    EXPECT_TRUE(services[name]) << name;
  }
  EXPECT_FALSE(services["zookeeper"]) << "Kafka runs in KRaft mode";
  EXPECT_EQ(services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"].as<std::string>(), "broker,controller");
  for (const std::string& name : kStocklakeServices) {
    SCOPED_TRACE(name);
    const YAML::Node service = services[name];
    ASSERT_TRUE(service) << "service " << name << " is missing";
    EXPECT_EQ(service["build"]["dockerfile"].as<std::string>(), "deploy/Dockerfile");
    const std::vector<std::string> command = Strings(service["command"]);
    ASSERT_FALSE(command.empty());
    EXPECT_EQ(command[0], name);
    ExpectRealOptions(command, "docker-compose.yml service " + name);
  }
  // Prometheus and Grafana get the files this directory checks.
  std::string mounts;
  for (const char* name : {"prometheus", "grafana"}) {
    for (const YAML::Node& volume : services[name]["volumes"]) mounts += YAML::Dump(volume) + "\n";
  }
  for (const char* file : {"prometheus/prometheus.yml", "prometheus/alerts.yml", "grafana/stocklake-dashboard.json",
                           "grafana/provisioning"}) {
    EXPECT_NE(mounts.find(kDeploy + "/" + file), std::string::npos) << file << " is not mounted:\n" << mounts;
  }
}

TEST(DeployFiles, YamlFilesPassYamllint) {
  ASSERT_TRUE(Have("yamllint", "yamllint"));
  ExpectPasses("yamllint --strict -c " + kDeploy + "/.yamllint " + kDeploy);
  // The file it leaves to its own checker.
  ExpectPasses(StocklakeBinary() + " pipeline check --config " + kDeploy + "/quarterly.yaml");
}

TEST(DeployFiles, KubernetesManifestsHangTogether) {
  std::map<std::string, std::vector<YAML::Node>> by_kind;
  std::set<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(kDeploy + "/k8s")) {
    const std::string file = entry.path().filename().string();
    if (file == "kustomization.yaml") continue;
    files.insert(file);
    for (const YAML::Node& doc : YAML::LoadAllFromFile(entry.path().string())) {
      ASSERT_TRUE(doc["kind"] && doc["apiVersion"] && doc["metadata"]["name"]) << file;
      by_kind[doc["kind"].as<std::string>()].push_back(doc);
    }
  }
  const YAML::Node kustomization = YAML::LoadFile(kDeploy + "/k8s/kustomization.yaml");
  const std::vector<std::string> resources = Strings(kustomization["resources"]);
  EXPECT_EQ(std::set<std::string>(resources.begin(), resources.end()), files) << "kustomization.yaml's resources";

  std::set<std::string> config_maps, claims;
  for (const YAML::Node& m : by_kind["ConfigMap"]) config_maps.insert(m["metadata"]["name"].as<std::string>());
  for (const YAML::Node& c : by_kind["PersistentVolumeClaim"]) claims.insert(c["metadata"]["name"].as<std::string>());
  std::set<std::string> deployed;
  for (const YAML::Node& d : by_kind["Deployment"]) {
    const std::string name = d["metadata"]["name"].as<std::string>();
    SCOPED_TRACE(name);
    const YAML::Node pod = d["spec"]["template"];
    EXPECT_EQ(YAML::Dump(d["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"]),
              YAML::Dump(pod["metadata"]["labels"]["app.kubernetes.io/name"]));
    EXPECT_TRUE(pod["spec"]["securityContext"]["runAsNonRoot"].as<bool>());
    for (const YAML::Node& container : pod["spec"]["containers"]) {
      const std::vector<std::string> args = Strings(container["args"]);
      ASSERT_FALSE(args.empty());
      deployed.insert(args[0]);
      ExpectRealOptions(args, "k8s Deployment " + name);
      for (const YAML::Node& from : container["envFrom"]) {
        EXPECT_TRUE(config_maps.count(from["configMapRef"]["name"].as<std::string>()));
      }
    }
    for (const YAML::Node& volume : pod["spec"]["volumes"]) {
      if (volume["configMap"]) {
        EXPECT_TRUE(config_maps.count(volume["configMap"]["name"].as<std::string>()));
      }
      if (volume["persistentVolumeClaim"]) {
        EXPECT_TRUE(claims.count(volume["persistentVolumeClaim"]["claimName"].as<std::string>()));
      }
    }
  }
  EXPECT_EQ(deployed, kStocklakeServices);
  // The Service reaches serve's pods.
  ASSERT_EQ(by_kind["Service"].size(), 1u);
  EXPECT_EQ(by_kind["Service"][0]["spec"]["selector"]["app.kubernetes.io/name"].as<std::string>(), "stocklake-serve");
  // The pipeline ConfigMap holds deploy/quarterly.yaml as it is.
  bool found = false;
  for (const YAML::Node& m : by_kind["ConfigMap"]) {
    if (!m["data"]["quarterly.yaml"]) continue;
    found = true;
    EXPECT_EQ(m["data"]["quarterly.yaml"].as<std::string>(), ReadTextFile(kDeploy + "/quarterly.yaml"))
        << "copy deploy/quarterly.yaml into deploy/k8s/config.yaml";
  }
  EXPECT_TRUE(found) << "no ConfigMap holds quarterly.yaml";
}

// ---- The Airflow DAG ---------------------------------------------------------------------

TEST(DeployFiles, AirflowDagCompilesAndMirrorsTheQuarterlyPipeline) {
  ASSERT_TRUE(Have("/usr/bin/python3", "python3"));
  const std::string dag = kDeploy + "/airflow/stocklake_quarterly_dag.py";
  TempDir cache;
  ExpectPasses("PYTHONPYCACHEPREFIX=" + cache.path() + " /usr/bin/python3 -m py_compile " + dag);
  const std::string text = ReadTextFile(dag);
  for (const char* needle : {"schedule=", "catchup=False", "\"retries\":", "from airflow.sdk import DAG",
                             "except ImportError:", "from airflow import DAG"}) {
    EXPECT_NE(text.find(needle), std::string::npos) << needle;
  }
  EXPECT_EQ(text.find("schedule_interval"), std::string::npos) << "removed in Airflow 3";

  auto definition = LoadPipelineDefinition(kDeploy + "/quarterly.yaml");
  ASSERT_TRUE(definition.ok()) << definition.status().ToString();
  // Airflow is not installable here: load the DAG against stand-ins for each layout.
  for (const char* layout : {"2", "3"}) {
    SCOPED_TRACE(std::string("Airflow ") + layout + ".x modules");
    const auto loaded = RunCommand("PYTHONDONTWRITEBYTECODE=1 /usr/bin/python3 " +
                                   testing::FixturePath("deploy/load_airflow_dag.py") + " " + dag + " " + layout);
    ASSERT_EQ(loaded.exit_code, 0) << loaded.output;
    const json dags = json::parse(loaded.output, nullptr, false);
    ASSERT_TRUE(dags.is_array() && dags.size() == 1) << loaded.output;
    const json& d = dags[0];
    EXPECT_EQ(d["schedule"], definition->schedule);
    EXPECT_EQ(d["start_date_zone"], definition->timezone);
    EXPECT_EQ(d["catchup"], false);
    EXPECT_EQ(d["quarters"]["2017-07-01"], "2017Q3") << "a run's quarter is its data interval's";
    EXPECT_TRUE(std::regex_match(d["quarters"]["none"].get<std::string>(), std::regex("\\d{4}Q[1-4]")));
    // The same tasks, dependencies, subcommands, retries and timeouts as the definition.
    ASSERT_EQ(d["tasks"].size(), definition->tasks.size());
    for (const json& task : d["tasks"]) {
      const std::string id = task["task_id"];
      SCOPED_TRACE(id);
      const int index = FindTask(*definition, id);
      ASSERT_GE(index, 0) << "not a task of quarterly.yaml";
      const TaskDefinition& expected = definition->tasks[static_cast<size_t>(index)];
      const std::vector<std::string> argv = task["argv"];
      ASSERT_GE(argv.size(), 2u);
      EXPECT_EQ(argv[1], expected.args[0]);
      ExpectRealOptions(std::vector<std::string>(argv.begin() + 1, argv.end()), "the DAG's task " + id);
      EXPECT_EQ(std::set<std::string>(task["upstream"].begin(), task["upstream"].end()),
                std::set<std::string>(expected.after.begin(), expected.after.end()));
      EXPECT_EQ(task["retries"], expected.policy.retries);
      EXPECT_EQ(task["timeout_s"].get<double>() * 1000, static_cast<double>(expected.policy.timeout_ms));
    }
  }
}

// ---- The Dockerfile ----------------------------------------------------------------------

//! stage name ("FROM image AS name") -> the packages its `apt-get install` names.
std::map<std::string, std::set<std::string>> StagePackages(const std::string& dockerfile) {
  std::map<std::string, std::set<std::string>> stages;
  std::string stage;
  std::istringstream in(dockerfile);
  std::string line, joined;
  while (std::getline(in, line)) {
    if (line.starts_with("#")) continue;
    joined += line;
    if (!line.empty() && line.back() == '\\') {
      joined.pop_back();
      continue;
    }
    std::smatch from;
    if (std::regex_match(joined, from, std::regex("FROM \\S+ AS (\\w+)"))) stages[stage = from[1]];
    const size_t install = joined.find("--no-install-recommends");
    if (!stage.empty() && install != std::string::npos) {
      std::istringstream words(joined.substr(install + 23));
      std::string word;
      while (words >> word && word != "&&") stages[stage].insert(word);
    }
    joined.clear();
  }
  return stages;
}

TEST(DeployFiles, DockerfileBuildsInStagesAndShipsTheLinkedLibraries) {
  const std::string dockerfile = ReadTextFile(kDeploy + "/Dockerfile");
  auto stages = StagePackages(dockerfile);
  EXPECT_EQ(stages.size(), 3u);
  ASSERT_TRUE(stages.count("build") && stages.count("runtime") && stages.count("web"));
  EXPECT_NE(dockerfile.find("FROM debian:bookworm AS build\n"), std::string::npos);
  EXPECT_NE(dockerfile.find("FROM debian:bookworm-slim AS runtime\n"), std::string::npos);
  EXPECT_NE(dockerfile.find("COPY --from=build /src/build/stocklake /usr/local/bin/stocklake"), std::string::npos);
  EXPECT_NE(dockerfile.find("COPY --from=web /src/web/dist /usr/share/stocklake/web"), std::string::npos);
  EXPECT_TRUE(std::regex_search(dockerfile, std::regex("\\nUSER stocklake\\n")));
  const std::set<std::string>& build = stages["build"];
  const std::set<std::string>& runtime = stages["runtime"];

  // The build stage has every build package of scripts/install-deps.sh.
  const std::string deps = ReadTextFile(std::string(STOCKLAKE_SOURCE_DIR) + "/scripts/install-deps.sh");
  const size_t open = deps.find("packages=(");
  ASSERT_NE(open, std::string::npos);
  std::istringstream lines(deps.substr(open + 10, deps.find("\n)", open) - open - 10));
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream words(line.substr(0, line.find('#')));
    std::string package;
    while (words >> package) {
      if (package.ends_with("-dev") || package == "cmake" || package == "pkg-config" || package == "build-essential") {
        EXPECT_TRUE(build.count(package)) << package << " is in install-deps.sh but not the build stage";
      }
      if (package == "tzdata") {
        EXPECT_TRUE(runtime.count(package)) << "pipeline schedules need tzdata at run time";
      }
    }
  }

  // The runtime stage installs the package of every library the binary links directly
  // (the rest comes with those packages or with the base image). The owner is that of the
  // very file the binary loads (other architectures' copies of a library share its name).
  ASSERT_TRUE(Have("readelf", "binutils"));
  const auto needed = RunCommand("readelf -d " + StocklakeBinary() + " | sed -n 's/.*(NEEDED).*\\[\\(.*\\)\\]/\\1/p'");
  const auto loaded = RunCommand("ldd " + StocklakeBinary());
  ASSERT_EQ(needed.exit_code, 0) << needed.output;
  ASSERT_EQ(loaded.exit_code, 0) << loaded.output;
  std::map<std::string, std::string> path_of;  // library -> the file ldd resolved it to
  std::istringstream ldd(loaded.output);
  std::string line_of_ldd;
  while (std::getline(ldd, line_of_ldd)) {
    std::istringstream words(line_of_ldd);
    std::string name, arrow, path;
    if (words >> name >> arrow >> path && arrow == "=>") path_of[name] = path;
  }
  std::vector<std::string> libraries;
  std::string paths;
  std::istringstream needed_lines(needed.output);
  std::string library;
  while (std::getline(needed_lines, library)) {
    ASSERT_TRUE(path_of.count(library)) << library << " is not resolved by ldd:\n" << loaded.output;
    // dpkg knows each file under one of its two names on a merged /usr (/lib = /usr/lib):
    // ask for both (exact paths; a glob would make dpkg scan every file list).
    const std::string& path = path_of[library];
    libraries.push_back(library);
    paths += " " + Quoted(path) + " " + Quoted(path.starts_with("/usr/") ? path.substr(4) : "/usr" + path);
  }
  const auto owners = RunCommand("(dpkg -S" + paths + " 2>/dev/null)");
  std::map<std::string, std::string> package_of;  // library -> package ("libpq5:amd64: /usr/lib/.../libpq.so.5")
  std::istringstream owner_lines(owners.output);
  std::string owner;
  while (std::getline(owner_lines, owner)) {
    const size_t colon = owner.find(':'), path = owner.rfind(": ");
    if (colon == std::string::npos || path == std::string::npos || owner.starts_with("dpkg")) continue;
    package_of.emplace(std::filesystem::path(owner.substr(path + 2)).filename().string(), owner.substr(0, colon));
  }
  int checked = 0;
  for (const std::string& lib : libraries) {
    ASSERT_TRUE(package_of.count(lib)) << lib << " belongs to no package:\n" << owners.output;
    const std::string& package = package_of[lib];
    if (package == "libc6" || package == "libstdc++6" || package == "libgcc-s1") continue;  // in bookworm-slim
    ++checked;
    EXPECT_TRUE(runtime.count(package)) << lib << " (package " << package << ") is not in the runtime stage";
  }
  EXPECT_GE(checked, 10);
  for (const std::string& package : runtime) EXPECT_FALSE(package.ends_with("-dev")) << package;
}

// ---- A real serve, scraped by a real Prometheus -------------------------------------------

//! A lake made by the real binary, `stocklake serve` on it with the quarterly pipeline,
//! and Prometheus running deploy/prometheus/prometheus.yml against it (targets and
//! intervals changed for the test, everything else as deployed).
class DeployLiveTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    const std::string lake = dir_->Join("lake");
    auto gen = RunCommand(StocklakeBinary() + " generate --tickers 4 --days 200 --seed 3 --out " + dir_->Join("in"));
    ASSERT_EQ(gen.exit_code, 0) << gen.output;
    auto run = RunCommand(StocklakeBinary() + " run --quiet --input " + dir_->Join("in") + " --lake " + lake);
    ASSERT_EQ(run.exit_code, 0) << run.output;
    // The token is the one line on stdout (RunCommand also captures stderr).
    auto token = RunCommand("(" + StocklakeBinary() + " token create --lake " + lake +
                            " --role viewer --name prometheus > " + dir_->Join("token") + ")");
    ASSERT_EQ(token.exit_code, 0) << token.output;
    const std::string token_file = ReadTextFile(dir_->Join("token"));
    token_ = new std::string(token_file.substr(0, token_file.find('\n')));
    // deploy/quarterly.yaml on this lake (serve refuses a pipeline of another lake).
    const std::string quarterly = ReadTextFile(kDeploy + "/quarterly.yaml");
    const size_t lake_line = quarterly.find("\nlake: ");
    ASSERT_NE(lake_line, std::string::npos) << "deploy/quarterly.yaml names no lake";
    testing::WriteTextFile(dir_->Join("quarterly.yaml"), quarterly.substr(0, lake_line) + "\nlake: " + lake +
                                                             quarterly.substr(quarterly.find('\n', lake_line + 1)));
    std::tie(serve_pid_, serve_port_) =
        testing::SpawnServe({"--lake", lake, "--listen", "127.0.0.1:0", "--pipeline", dir_->Join("quarterly.yaml")});
    ASSERT_GT(serve_port_, 0) << "stocklake serve did not start";

    // deploy/prometheus as the container has it, pointed at this serve every second.
    YAML::Node config = YAML::LoadFile(kDeploy + "/prometheus/prometheus.yml");
    config["global"]["scrape_interval"] = "1s";
    config["global"]["evaluation_interval"] = "1s";
    ASSERT_EQ(config["scrape_configs"].size(), 1u);
    config["scrape_configs"][0]["static_configs"][0]["targets"][0] = "127.0.0.1:" + std::to_string(serve_port_);
    YAML::Emitter out;
    out << config;
    const std::string prom_dir = dir_->Join("prometheus");
    testing::WriteTextFile(prom_dir + "/prometheus.yml", out.c_str());
    testing::WriteTextFile(prom_dir + "/alerts.yml", ReadTextFile(kDeploy + "/prometheus/alerts.yml"));
    testing::WriteTextFile(prom_dir + "/secrets/stocklake.token", *token_ + "\n");
    prometheus_ = new testing::PrometheusServer(prom_dir + "/prometheus.yml", dir_->Join("prom-data"));
  }
  static void TearDownTestSuite() {
    delete prometheus_;
    if (serve_pid_ > 0) testing::StopChild(serve_pid_);
    delete token_;
    delete dir_;
  }

  //! serve's /metrics, after a request of each kind so that the request families exist.
  static std::string Metrics() {
    httplib::Client client("127.0.0.1", serve_port_);
    const httplib::Headers auth = {{"Authorization", "Bearer " + *token_}};
    EXPECT_TRUE(client.Get("/healthz"));
    EXPECT_TRUE(client.Get("/metrics", auth));
    auto r = client.Get("/metrics", auth);
    EXPECT_TRUE(r && r->status == 200) << (r ? std::to_string(r->status) + ": " + r->body : "no answer");
    return r ? r->body : "";
  }

  static TempDir* dir_;
  static std::string* token_;
  static pid_t serve_pid_;
  static int serve_port_;
  static testing::PrometheusServer* prometheus_;
};
TempDir* DeployLiveTest::dir_ = nullptr;
std::string* DeployLiveTest::token_ = nullptr;
pid_t DeployLiveTest::serve_pid_ = -1;
int DeployLiveTest::serve_port_ = 0;
testing::PrometheusServer* DeployLiveTest::prometheus_ = nullptr;

TEST_F(DeployLiveTest, PrometheusScrapesServeAndEvaluatesEveryAlertRule) {
  ASSERT_NE(prometheus_, nullptr) << "the suite's set-up failed";
  ASSERT_TRUE(prometheus_->running()) << prometheus_->error();
  ASSERT_TRUE(prometheus_->WaitUntilUp("stocklake", std::chrono::seconds(20))) << "serve never showed as up";

  // Every group of alerts.yml loaded, and every rule evaluated without error.
  std::set<std::string> groups;
  for (const YAML::Node& g : YAML::LoadFile(kDeploy + "/prometheus/alerts.yml")["groups"]) {
    groups.insert(g["name"].as<std::string>());
  }
  json answer;
  bool all_ok = false;
  for (int i = 0; i < 100 && !all_ok; ++i) {
    answer = prometheus_->Get("/api/v1/rules");
    ASSERT_TRUE(answer.is_object() && answer["status"] == "success") << answer.dump();
    std::set<std::string> loaded;
    all_ok = true;
    for (const json& group : answer["data"]["groups"]) {
      loaded.insert(group["name"].get<std::string>());
      for (const json& rule : group["rules"]) {
        ASSERT_NE(rule["health"], "err") << rule.dump();
        all_ok = all_ok && rule["health"] == "ok";
      }
    }
    ASSERT_EQ(loaded, groups);
    if (!all_ok) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(all_ok) << answer.dump();

  // The stocklake series are in Prometheus, the pipeline's before any run.
  const json runs = prometheus_->Query("stocklake_pipeline_runs{pipeline=\"quarterly\",state=\"failed\"}");
  ASSERT_FALSE(runs["data"]["result"].empty()) << runs.dump();
  EXPECT_EQ(runs["data"]["result"][0]["value"][1], "0");
  const json bytes = prometheus_->Query("stocklake_lake_bytes");
  ASSERT_FALSE(bytes["data"]["result"].empty()) << bytes.dump();
  EXPECT_GT(std::stod(bytes["data"]["result"][0]["value"][1].get<std::string>()), 0);
}

TEST_F(DeployLiveTest, DashboardQueriesAreValidPromqlOverServesMetrics) {
  ASSERT_NE(prometheus_, nullptr) << "the suite's set-up failed";
  ASSERT_TRUE(prometheus_->running()) << prometheus_->error();
  const auto families = FamiliesIn(Metrics());
  ASSERT_TRUE(families.count("stocklake_http_request_duration_seconds")) << "no request was counted";

  const json dashboard = json::parse(ReadTextFile(kDeploy + "/grafana/stocklake-dashboard.json"), nullptr, false);
  ASSERT_TRUE(dashboard.is_object()) << "the dashboard is not JSON";
  const YAML::Node datasources = YAML::LoadFile(kDeploy + "/grafana/provisioning/datasources/prometheus.yml");
  const std::string datasource = datasources["datasources"][0]["uid"].as<std::string>();
  std::vector<json> panels;
  for (const json& panel : dashboard["panels"]) {
    panels.push_back(panel);
    if (panel.contains("panels")) panels.insert(panels.end(), panel["panels"].begin(), panel["panels"].end());
  }
  int exprs = 0;
  std::set<std::string> used;
  for (const json& panel : panels) {
    if (panel["type"] == "row") continue;
    SCOPED_TRACE(panel["title"].get<std::string>());
    ASSERT_TRUE(panel.contains("targets") && !panel["targets"].empty());
    EXPECT_EQ(panel["datasource"]["uid"], datasource);
    for (const json& target : panel["targets"]) {
      const std::string expr = target["expr"];
      ++exprs;
      const json answer = prometheus_->Query(expr);
      EXPECT_TRUE(answer.is_object() && answer["status"] == "success") << expr << "\n" << answer.dump();
      for (const std::string& name : MetricNamesIn(expr)) {
        used.insert(name);
        EXPECT_TRUE(Exports(families, name)) << expr << ": `stocklake serve` exports no " << name;
      }
    }
  }
  EXPECT_GE(exprs, 15);
  // The panels the issue asks for.
  for (const char* name : {"stocklake_http_requests_total", "stocklake_http_request_duration_seconds_bucket",
                           "stocklake_table_rows", "stocklake_last_successful_run_timestamp_seconds",
                           "stocklake_pipeline_runs", "stocklake_pipeline_last_success_timestamp_seconds",
                           "stocklake_stream_lag_records", "stocklake_stream_last_commit_timestamp_seconds",
                           "stocklake_lake_bytes", "stocklake_lake_filesystem_free_bytes"}) {
    EXPECT_TRUE(used.count(name)) << "no panel shows " << name;
  }

  // The alert rules name exported metrics too (and Prometheus's own `up`).
  for (const YAML::Node& group : YAML::LoadFile(kDeploy + "/prometheus/alerts.yml")["groups"]) {
    for (const YAML::Node& rule : group["rules"]) {
      const std::string expr = rule["expr"].as<std::string>();
      for (const std::string& name : MetricNamesIn(expr)) {
        EXPECT_TRUE(name == "up" || Exports(families, name)) << expr << ": `stocklake serve` exports no " << name;
      }
    }
  }
}

}  // namespace
}  // namespace stocklake
