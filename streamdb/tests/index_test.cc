// IndexState keeps its three maps in step: every bound path is in the path map and, reversed,
// in the suffix map; every document with a path is in the GUID map, and only those.
#include "index.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <string>

namespace streamdb::internal {
namespace {

// The maps agree with `paths` (path -> GUID): nothing more, nothing less.
void expect_in_step(const IndexState& state, const std::map<std::string, Guid>& paths) {
  std::set<std::string> suffixes;
  state.by_suffix().visit_keys_from("", [&](std::string_view r) {
    suffixes.insert(reversed(r));
    return true;
  });
  std::set<std::string> expected_paths;
  std::set<Guid> expected_docs;
  for (const auto& [path, guid] : paths) {
    expected_paths.insert(path);
    expected_docs.insert(guid);
    const DocPtr* doc = state.find_path(path);
    ASSERT_NE(doc, nullptr) << path;
    EXPECT_EQ((*doc)->guid, guid) << path;
  }
  EXPECT_EQ(suffixes, expected_paths);
  EXPECT_EQ(state.by_path().size(), paths.size());
  EXPECT_EQ(state.by_guid().size(), expected_docs.size());
  for (const Guid& g : expected_docs)
    EXPECT_NE(state.find_guid(g), nullptr) << g.to_string();
}

TEST(IndexStateTest, PathSuffixAndGuidMapsStayInStep) {
  IndexState state;
  std::map<std::string, Guid> paths;
  std::mt19937 rng(7);
  for (int step = 0; step < 1000; ++step) {
    std::string path = "/k" + std::to_string(rng() % 8) + "/s" + std::to_string(rng() % 40);
    switch (rng() % 3) {
      case 0: {
        auto doc = std::make_shared<Doc>();
        doc->guid = Guid::random();
        state.put_doc(path, doc);
        paths[path] = doc->guid;
        break;
      }
      case 1: {
        if (paths.empty()) break;
        auto it = paths.begin();
        std::advance(it, static_cast<long>(rng() % paths.size()));
        Guid target = it->second;
        ASSERT_TRUE(state.bind(path, target).ok());
        paths[path] = target;
        break;
      }
      default: {
        Status s = state.unbind(path);
        EXPECT_EQ(s.ok(), paths.erase(path) == 1) << path;
        break;
      }
    }
    ASSERT_NO_FATAL_FAILURE(expect_in_step(state, paths)) << "step " << step;
  }
}

}  // namespace
}  // namespace streamdb::internal
