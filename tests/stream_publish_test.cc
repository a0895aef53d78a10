// End-to-end tests of the speed layer's tools with the real binary: generate-trades ->
// publish -> topic cat round trips on the embedded log (checked record by record through
// the log itself), determinism of the generator, and the exit codes of bad input.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <vector>

#include "log/file_log.h"
#include "log/topics.h"
#include "stream/trade_event.h"
#include "test_util.h"

namespace stocklake {
namespace {

using testing::RunCommand;
using testing::StocklakeBinary;
using testing::TempDir;

testing::CommandResult Stocklake(const std::string& args) { return RunCommand(StocklakeBinary() + " " + args); }

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The key the spec asks for, computed without the code under test: the trimmed,
// upper-cased `symbol` string of a JSON object when that is a ticker, else "".
std::string ExpectedKey(const std::string& line) {
  const nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("symbol") || !j["symbol"].is_string()) return "";
  std::string s = j["symbol"].get<std::string>();
  const auto not_space = [](unsigned char c) { return !std::isspace(c); };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
  s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (s.empty() || s.size() > 32 || s[0] == '.' || s.find("..") != std::string::npos) return "";
  for (char c : s) {
    if (!std::isupper(static_cast<unsigned char>(c)) && !std::isdigit(static_cast<unsigned char>(c)) &&
        std::string_view(".-_^=").find(c) == std::string_view::npos) {
      return "";
    }
  }
  return s;
}

struct StoredRecord {
  int partition;
  LogRecord record;
};

// Every record of `topic` in partition then offset order, read through the log itself.
std::vector<StoredRecord> ReadLog(const std::string& log_dir, const std::string& topic, int* partitions) {
  auto log = FileLog::Open(log_dir);
  EXPECT_TRUE(log.ok()) << log.status().ToString();
  if (!log.ok()) return {};
  auto count = (*log)->PartitionCount(topic);
  EXPECT_TRUE(count.ok()) << count.status().ToString();
  if (!count.ok()) return {};
  *partitions = *count;
  std::vector<StoredRecord> out;
  for (int p = 0; p < *count; ++p) {
    int64_t offset = 0;
    while (true) {
      auto batch = (*log)->Fetch(topic, p, offset, 1 << 20);
      EXPECT_TRUE(batch.ok()) << batch.status().ToString();
      if (!batch.ok() || batch->empty()) break;
      for (LogRecord& r : *batch) out.push_back({p, std::move(r)});
      offset = out.back().record.offset + 1;
    }
  }
  return out;
}

TEST(StreamPublishTest, GenerateTradesIsDeterministic) {
  TempDir dir;
  const std::string args = " --events 3000 --symbols 25 --seed 11 --late 0.05 --bad 0.05 --rate 200";
  ASSERT_EQ(Stocklake("generate-trades --out " + dir.Join("a.jsonl") + args).exit_code, 0);
  ASSERT_EQ(Stocklake("generate-trades --out " + dir.Join("b.jsonl") + args).exit_code, 0);
  ASSERT_EQ(Stocklake("generate-trades --out " + dir.Join("c.jsonl") +
                      " --events 3000 --symbols 25 --seed 12 --late "
                      "0.05 --bad 0.05 --rate 200")
                .exit_code,
            0);
  const std::string a = ReadAll(dir.Join("a.jsonl"));
  EXPECT_EQ(Lines(a).size(), 3000u);
  EXPECT_EQ(a, ReadAll(dir.Join("b.jsonl")));
  EXPECT_NE(a, ReadAll(dir.Join("c.jsonl")));
}

TEST(StreamPublishTest, GeneratedStreamHasEveryKindOfRecord) {
  TempDir dir;
  const std::string out = dir.Join("t.jsonl");
  auto gen = Stocklake("generate-trades --out " + out +
                       " --events 20000 --symbols 30 --seed 3 --late 0.05 --bad 0.05 --start 2025-03-03T14:30:00Z");
  ASSERT_EQ(gen.exit_code, 0) << gen.output;
  int valid = 0, invalid = 0, int_ts = 0, offset_ts = 0, z_ts = 0, extra = 0;
  std::set<std::string> symbols;
  std::set<std::string> reasons;
  int64_t max_ts = 0, min_ts = INT64_MAX;
  for (const std::string& line : Lines(ReadAll(out))) {
    auto event = ParseTradeEvent(line);
    if (!event.ok()) {
      ++invalid;
      const std::string& m = event.status().message();
      reasons.insert(m.substr(0, m.find(',')));
      continue;
    }
    ++valid;
    symbols.insert(event->symbol);
    max_ts = std::max(max_ts, event->ts_ms);
    min_ts = std::min(min_ts, event->ts_ms);
    const auto j = nlohmann::json::parse(line);
    if (j["ts"].is_number_integer()) ++int_ts;
    if (j["ts"].is_string()) {
      const std::string ts = j["ts"];
      (ts.back() == 'Z' || ts.back() == 'z' ? z_ts : offset_ts)++;
    }
    if (j.size() > 4) ++extra;
  }
  EXPECT_NEAR(invalid, 1000, 200);
  EXPECT_EQ(valid + invalid, 20000);
  EXPECT_EQ(symbols.size(), 30u);
  EXPECT_GT(int_ts, 1000);
  EXPECT_GT(offset_ts, 1000);
  EXPECT_GT(z_ts, 5000);
  EXPECT_GT(extra, 100);
  // At 1000 events/s from the start, minus up to 15 minutes for late events.
  int64_t start = 0;
  ASSERT_TRUE(ParseRfc3339Millis("2025-03-03T14:30:00Z", &start));
  EXPECT_GE(min_ts, start - 15 * 60'000);
  EXPECT_LT(max_ts, start + 20'000);
  // Each kind of invalid record: not JSON, not an object, and a problem of every field.
  for (const char* what :
       {"is not JSON", "must be a JSON object", "field 'symbol'", "field 'price'", "field 'size'", "field 'ts'"}) {
    EXPECT_TRUE(std::any_of(reasons.begin(), reasons.end(), [what](const std::string& r) {
      return r.find(what) != std::string::npos;
    })) << what;
  }
  EXPECT_GE(reasons.size(), 15u);
}

TEST(StreamPublishTest, PublishThenCatRoundTripsEveryLine) {
  TempDir dir;
  const std::string input = dir.Join("trades.jsonl");
  const std::string lake = dir.Join("lake");
  ASSERT_EQ(Stocklake("generate-trades --out " + input + " --events 5000 --symbols 40 --seed 5 --late 0.1 --bad 0.1")
                .exit_code,
            0);
  auto published = Stocklake("publish --lake " + lake + " --topic trades --input " + input);
  ASSERT_EQ(published.exit_code, 0) << published.output;
  EXPECT_NE(published.output.find("published 5000 records to trades (16 partitions"), std::string::npos)
      << published.output;

  const std::vector<std::string> lines = Lines(ReadAll(input));
  int partitions = 0;
  const std::vector<StoredRecord> stored = ReadLog(lake + "/_log", "trades", &partitions);
  EXPECT_EQ(partitions, 16);
  ASSERT_EQ(stored.size(), lines.size());

  // Keys are the normalised symbols, one key one partition, and each key's records keep
  // the file's order.
  std::map<std::string, std::vector<std::string>> by_key_in_file;
  for (const std::string& line : lines) by_key_in_file[ExpectedKey(line)].push_back(line);
  std::map<std::string, std::vector<std::string>> by_key_in_log;
  std::map<std::string, std::set<int>> partitions_of_key;
  for (const StoredRecord& s : stored) {
    EXPECT_EQ(s.record.key, ExpectedKey(s.record.value)) << s.record.value;
    EXPECT_EQ(s.partition, PartitionForKey(s.record.key, partitions));
    by_key_in_log[s.record.key].push_back(s.record.value);
    partitions_of_key[s.record.key].insert(s.partition);
  }
  EXPECT_EQ(by_key_in_log, by_key_in_file);
  for (const auto& [key, set] : partitions_of_key) EXPECT_EQ(set.size(), 1u) << key;
  EXPECT_GT(by_key_in_file.count(""), 0u);  // invalid records without a symbol are published too

  // topic cat prints the values in partition then offset order.
  auto cat = Stocklake("topic cat --lake " + lake + " --topic trades");
  ASSERT_EQ(cat.exit_code, 0) << cat.output.substr(0, 500);
  std::string expected;
  for (const StoredRecord& s : stored) expected += s.record.value + "\n";
  EXPECT_EQ(cat.output, expected);
  EXPECT_EQ(Stocklake("topic cat --from-beginning --lake " + lake + " --topic trades").output, expected);

  // One partition alone.
  const int p = stored.front().partition;
  std::string only;
  for (const StoredRecord& s : stored) {
    if (s.partition == p) only += s.record.value + "\n";
  }
  EXPECT_EQ(Stocklake("topic cat --lake " + lake + " --topic trades --partition " + std::to_string(p)).output, only);

  // Publishing again appends: every line twice, still each key in one partition.
  ASSERT_EQ(Stocklake("publish --lake " + lake + " --topic trades --input " + input).exit_code, 0);
  EXPECT_EQ(Lines(Stocklake("topic cat --lake " + lake + " --topic trades").output).size(), 2 * lines.size());
}

TEST(StreamPublishTest, AnExistingTopicKeepsItsPartitionCountAndLogUrlIsHonoured) {
  TempDir dir;
  const std::string input = dir.Join("in.jsonl");
  testing::WriteTextFile(input,
                         "{\"symbol\": \"aapl\", \"price\": 1, \"size\": 1, \"ts\": 0}\r\n"
                         "\n"
                         "{\"symbol\": \" MSFT\", \"price\": 2, \"size\": 2, \"ts\": \"2025-01-02T14:30:00Z\"}\n"
                         "not json\n"
                         "{\"symbol\": \"AAPL\", \"price\": 3, \"size\": 3, \"ts\": 1}");
  const std::string log_dir = dir.Join("elsewhere");
  {
    auto log = FileLog::Open(log_dir);
    ASSERT_TRUE(log.ok());
    ASSERT_TRUE((*log)->EnsureTopic("ticks", 3).ok());
  }
  auto published =
      Stocklake("publish --lake " + dir.Join("lake") + " --log file:" + log_dir + " --topic ticks --input " + input);
  ASSERT_EQ(published.exit_code, 0) << published.output;
  EXPECT_NE(published.output.find("published 4 records to ticks (3 partitions; 1 without a valid symbol, 1 blank"),
            std::string::npos)
      << published.output;
  int partitions = 0;
  const std::vector<StoredRecord> stored = ReadLog(log_dir, "ticks", &partitions);
  EXPECT_EQ(partitions, 3);
  ASSERT_EQ(stored.size(), 4u);
  std::vector<std::string> aapl;
  for (const StoredRecord& s : stored) {
    if (s.record.key == "AAPL") aapl.push_back(s.record.value);
  }
  ASSERT_EQ(aapl.size(), 2u);
  EXPECT_NE(aapl[0].find("\"price\": 1,"), std::string::npos);  // the '\r' is gone, order kept
  EXPECT_EQ(aapl[0].back(), '}');
  EXPECT_NE(aapl[1].find("\"price\": 3,"), std::string::npos);
  auto cat = Stocklake("topic cat --lake " + dir.Join("lake") + " --log file:" + log_dir + " --topic ticks");
  EXPECT_EQ(cat.exit_code, 0);
  EXPECT_EQ(Lines(cat.output).size(), 4u);
}

TEST(StreamPublishTest, BadInputExitsWithUsageStatus) {
  TempDir dir;
  const std::string lake = dir.Join("lake");
  auto missing = Stocklake("publish --lake " + lake + " --topic trades --input " + dir.Join("nope.jsonl"));
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.output.find("nope.jsonl: no such file"), std::string::npos) << missing.output;
  EXPECT_FALSE(std::ifstream(lake + "/_log").good()) << "nothing is written for a bad input";

  testing::WriteTextFile(dir.Join("in.jsonl"), "{\"symbol\": \"A\"}\n");
  EXPECT_EQ(Stocklake("publish --lake " + lake + " --topic trades --input " + dir.path()).exit_code, 2);  // a directory
  const std::string in = " --input " + dir.Join("in.jsonl");
  EXPECT_EQ(Stocklake("publish --lake " + lake + in).exit_code, 2);                     // no --topic
  EXPECT_EQ(Stocklake("publish --topic trades" + in).exit_code, 2);                     // no --lake
  EXPECT_EQ(Stocklake("publish --lake " + lake + " --topic trades").exit_code, 2);      // no --input
  EXPECT_EQ(Stocklake("publish --lake " + lake + " --topic 'a b'" + in).exit_code, 2);  // bad topic name
  EXPECT_EQ(Stocklake("publish --lake " + lake + " --log ftp://x --topic trades" + in).exit_code, 2);
  EXPECT_EQ(Stocklake("publish --lake " + lake + " --topic trades --bogus 1" + in).exit_code, 2);

  EXPECT_EQ(Stocklake("topic cat --lake " + lake + " --topic trades").exit_code, 2);  // no log yet
  ASSERT_EQ(Stocklake("publish --lake " + lake + " --topic trades" + in).exit_code, 0);
  auto no_topic = Stocklake("topic cat --lake " + lake + " --topic other");
  EXPECT_EQ(no_topic.exit_code, 2);
  EXPECT_NE(no_topic.output.find("'other' does not exist"), std::string::npos) << no_topic.output;
  EXPECT_EQ(Stocklake("topic cat --lake " + lake + " --topic trades --partition 16").exit_code, 2);
  EXPECT_EQ(Stocklake("topic cat --lake " + lake + " --topic trades --partition -1").exit_code, 2);
  EXPECT_EQ(Stocklake("topic --lake " + lake).exit_code, 2);

  const std::string out = " --out " + dir.Join("g.jsonl");
  EXPECT_EQ(Stocklake("generate-trades" + out + " --events -1 --symbols 2 --seed 1").exit_code, 2);
  EXPECT_EQ(Stocklake("generate-trades" + out + " --events 10 --symbols 0 --seed 1").exit_code, 2);
  EXPECT_EQ(Stocklake("generate-trades" + out + " --events 10 --symbols 2").exit_code, 2);  // no --seed
  EXPECT_EQ(Stocklake("generate-trades" + out + " --events 10 --symbols 2 --seed 1 --bad 1.5").exit_code, 2);
  EXPECT_EQ(Stocklake("generate-trades" + out + " --events 10 --symbols 2 --seed 1 --late -0.1").exit_code, 2);
  EXPECT_EQ(Stocklake("generate-trades" + out + " --events 10 --symbols 2 --seed 1 --rate 0").exit_code, 2);
  auto bad_start = Stocklake("generate-trades" + out + " --events 10 --symbols 2 --seed 1 --start 2025-01-02");
  EXPECT_EQ(bad_start.exit_code, 2);
  EXPECT_NE(bad_start.output.find("RFC 3339"), std::string::npos) << bad_start.output;
  // A missing directory is made, as `generate --out` does; a path under a file cannot be.
  EXPECT_EQ(
      Stocklake("generate-trades --out " + dir.Join("new/dir/g.jsonl") + " --events 1 --symbols 1 --seed 1").exit_code,
      0);
  EXPECT_EQ(Lines(ReadAll(dir.Join("new/dir/g.jsonl"))).size(), 1u);
  EXPECT_EQ(
      Stocklake("generate-trades --out " + dir.Join("in.jsonl/g.jsonl") + " --events 1 --symbols 1 --seed 1").exit_code,
      1);
}

}  // namespace
}  // namespace stocklake
