#include "persistent_map.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace streamdb::internal {
namespace {

using Map = PersistentMap<int>;
using Model = std::map<std::string, int>;
using Entries = std::vector<std::pair<std::string, int>>;

Entries contents(const Map& m, std::string_view from = "", std::size_t limit = SIZE_MAX) {
  Entries out;
  m.visit_from(from, [&](std::string_view k, int v) {
    out.emplace_back(k, v);
    return out.size() < limit;
  });
  return out;
}

Entries model_contents(const Model& m, const std::string& from = "", std::size_t limit = SIZE_MAX) {
  Entries out;
  for (auto it = m.lower_bound(from); it != m.end() && out.size() < limit; ++it)
    out.emplace_back(it->first, it->second);
  return out;
}

// Keys of varied length sharing long prefixes (like paths), some with bytes >= 0x80 so that
// the order must be unsigned.
std::string random_key(std::mt19937& rng, int key_space) {
  int k = static_cast<int>(rng() % static_cast<unsigned>(key_space));
  std::string key = "/samples/kit" + std::to_string(k % 37) + "/" + std::to_string(k);
  if (k % 5 == 0) key += "\xe9t\xc3\xa9.wav";
  if (k % 11 == 0) key.append(static_cast<std::size_t>(k % 300), 'x');
  return key;
}

TEST(PersistentMapTest, MatchesStdMapUnderRandomChangesAndKeepsOldVersionsIntact) {
  std::mt19937 rng(42);
  Map m;
  Model model;
  std::vector<std::pair<Map, Model>> history;
  for (int i = 0; i < 30000; ++i) {
    // Phases that grow to a few thousand entries (a deep tree) and shrink again (merges).
    int phase = (i / 5000) % 2;
    std::string key = random_key(rng, 4000);
    bool erase = rng() % 10 < (phase == 0 ? 3u : 7u);
    if (erase) {
      ASSERT_EQ(m.erase(key), model.erase(key) == 1) << key;
    } else {
      m.set(key, i);
      model[key] = i;
    }
    ASSERT_EQ(m.size(), model.size());
    if (i % 97 == 0) {
      // A held copy is a snapshot: later changes to m (in place or not) must not reach it.
      history.emplace_back(m, model);
      std::string from = random_key(rng, 4000);
      std::size_t limit = 1 + rng() % 80;
      Entries want = model_contents(model, from, limit);
      ASSERT_EQ(contents(m, from, limit), want) << from;
      std::vector<std::string> keys;
      m.visit_keys_from(from, [&](std::string_view k) {
        keys.emplace_back(k);
        return keys.size() < limit;
      });
      ASSERT_EQ(keys.size(), want.size());
      for (std::size_t k = 0; k < keys.size(); ++k)
        ASSERT_EQ(keys[k], want[k].first);
    }
    if (i % 1000 == 0 && history.size() > 60) history.erase(history.begin(), history.begin() + 30);
  }
  EXPECT_EQ(contents(m), model_contents(model));
  for (auto& [old_map, old_model] : history) {
    ASSERT_EQ(old_map.size(), old_model.size());
    ASSERT_EQ(contents(old_map), model_contents(old_model));
  }
  for (const auto& [k, v] : model) {
    ASSERT_NE(m.find(k), nullptr) << k;
    EXPECT_EQ(*m.find(k), v);
  }
  for (int i = 0; i < 2000; ++i) {
    std::string key = random_key(rng, 8000);
    const int* found = m.find(key);
    auto it = model.find(key);
    ASSERT_EQ(found != nullptr, it != model.end()) << key;
    if (found != nullptr) {
      EXPECT_EQ(*found, it->second);
    }
  }
  EXPECT_EQ(m.find(""), nullptr);
}

TEST(PersistentMapTest, EmptiesCompletelyAndGrowsAgain) {
  Map m;
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < 3000; ++i)
      m.set("/k/" + std::to_string(i), i);
    EXPECT_EQ(m.size(), 3000u);
    Map snapshot = m;
    for (int i = 0; i < 3000; i += 2)
      EXPECT_TRUE(m.erase("/k/" + std::to_string(i)));
    for (int i = 2999; i >= 0; i -= 2)
      EXPECT_TRUE(m.erase("/k/" + std::to_string(i)));
    EXPECT_FALSE(m.erase("/k/1"));
    EXPECT_TRUE(m.empty());
    EXPECT_TRUE(contents(m).empty());
    EXPECT_EQ(m.find("/k/7"), nullptr);
    EXPECT_EQ(snapshot.size(), 3000u);
    ASSERT_NE(snapshot.find("/k/7"), nullptr);
    EXPECT_EQ(*snapshot.find("/k/7"), 7);
    EXPECT_EQ(contents(snapshot).size(), 3000u);
  }
}

TEST(PersistentMapTest, VisitFromStartsAtLowerBoundAndStopsWhenAsked) {
  Map m;
  for (const char* k : {"/a", "/b/1", "/b/2", "/b/3", "/c"})
    m.set(k, 1);
  std::vector<std::string> seen;
  bool finished = m.visit_from("/b", [&](std::string_view k, int) {
    seen.emplace_back(k);
    return seen.size() < 2;
  });
  EXPECT_FALSE(finished);
  EXPECT_EQ(seen, (std::vector<std::string>{"/b/1", "/b/2"}));
  EXPECT_TRUE(m.visit_from("/d", [](std::string_view, int) { return false; }));
}

// Searches compare a node's shared prefix and 8-byte heads before key bytes: keys that end
// inside a head (zero padding against real zero bytes), keys that are prefixes of others, keys
// whose heads are equal and that differ only later, and probes outside every node's prefix.
TEST(PersistentMapTest, OrdersKeysThatDifferInsideOrAfterTheHeadOrNotAtAll) {
  using namespace std::string_literals;
  std::mt19937 rng(7);
  const std::string alphabet = "\0\1a\x7f\x80\xff"s;
  auto random_tail = [&](std::size_t max_len) {
    std::string t(rng() % (max_len + 1), '\0');
    for (char& c : t)
      c = alphabet[rng() % alphabet.size()];
    return t;
  };
  Map m;
  Model model;
  for (int i = 0; i < 6000; ++i) {
    // One long shared stem, then 0-20 bytes from a small alphabet: many heads tie.
    std::string key = "/library/drums/acoustic/" + random_tail(20);
    if (rng() % 4 == 0) {
      m.erase(key);
      model.erase(key);
    } else {
      m.set(key, i);
      model[key] = i;
    }
  }
  ASSERT_EQ(contents(m), model_contents(model));
  for (int i = 0; i < 20000; ++i) {
    std::string probe =
        rng() % 8 == 0 ? random_tail(30) : "/library/drums/acoustic/" + random_tail(22);
    auto it = model.find(probe);
    const int* found = m.find(probe);
    ASSERT_EQ(found != nullptr, it != model.end()) << i;
    if (found != nullptr) {
      ASSERT_EQ(*found, it->second);
    }
    ASSERT_EQ(contents(m, probe, 3), model_contents(model, probe, 3)) << i;
  }
}

TEST(PersistentMapTest, ReleasesValuesWhenTheLastVersionHoldingThemGoes) {
  std::vector<std::weak_ptr<int>> watched;
  {
    PersistentMap<std::shared_ptr<int>> m;
    std::vector<PersistentMap<std::shared_ptr<int>>> versions;
    for (int i = 0; i < 2000; ++i) {
      auto value = std::make_shared<int>(i);
      watched.push_back(value);
      m.set("/k/" + std::to_string(i % 700), std::move(value));
      if (i % 300 == 0) versions.push_back(m);
    }
    for (int i = 0; i < 700; i += 3)
      m.erase("/k/" + std::to_string(i));
    // The newest value of key 1 is alive; the first one only through versions[0].
    EXPECT_FALSE(watched[1999 - (1999 - 1) % 700].expired());
    EXPECT_FALSE(watched[1].expired());
    versions.clear();
    EXPECT_TRUE(watched[1].expired());
    // Key 0 was erased from m and no version holds it any more.
    EXPECT_TRUE(watched[1400].expired());
  }
  for (const auto& w : watched)
    EXPECT_TRUE(w.expired());
}

}  // namespace
}  // namespace streamdb::internal
