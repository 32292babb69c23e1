#include "persistent_map.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>

#include "index.h"

namespace streamdb::internal {
namespace {

using Map = PersistentMap<std::string, int, StringPriority>;

std::vector<std::pair<std::string, int>> contents(const Map& m, const std::string& from = "") {
  std::vector<std::pair<std::string, int>> out;
  m.visit_from(from, [&](const std::string& k, int v) {
    out.emplace_back(k, v);
    return true;
  });
  return out;
}

TEST(PersistentMapTest, MatchesStdMapUnderRandomChangesAndKeepsOldVersionsIntact) {
  std::mt19937 rng(42);
  Map m;
  std::map<std::string, int> model;
  std::vector<std::pair<Map, std::map<std::string, int>>> history;
  for (int i = 0; i < 4000; ++i) {
    std::string key = "/k/" + std::to_string(rng() % 500);
    if (rng() % 3 == 0) {
      EXPECT_EQ(m.erase(key), model.erase(key) == 1);
    } else {
      m.set(key, i);
      model[key] = i;
    }
    if (i % 500 == 0) history.emplace_back(m, model);
  }
  ASSERT_EQ(m.size(), model.size());
  auto got = contents(m);
  std::vector<std::pair<std::string, int>> want(model.begin(), model.end());
  EXPECT_EQ(got, want);
  for (auto& [old_map, old_model] : history) {
    std::vector<std::pair<std::string, int>> w(old_model.begin(), old_model.end());
    EXPECT_EQ(contents(old_map), w);
  }
  for (const auto& [k, v] : model) {
    ASSERT_NE(m.find(k), nullptr);
    EXPECT_EQ(*m.find(k), v);
  }
  EXPECT_EQ(m.find("/nope"), nullptr);
}

TEST(PersistentMapTest, VisitFromStartsAtLowerBoundAndStopsWhenAsked) {
  Map m;
  for (const char* k : {"/a", "/b/1", "/b/2", "/b/3", "/c"})
    m.set(k, 1);
  std::vector<std::string> seen;
  bool finished = m.visit_from("/b", [&](const std::string& k, int) {
    seen.push_back(k);
    return seen.size() < 2;
  });
  EXPECT_FALSE(finished);
  EXPECT_EQ(seen, (std::vector<std::string>{"/b/1", "/b/2"}));
}

}  // namespace
}  // namespace streamdb::internal
