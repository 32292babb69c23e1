// PersistentMap: an immutable ordered map (a treap with path copying).
//
// "Changing" a map returns a new map that shares every untouched node with the old one, so a
// reader holding a map keeps a consistent view for as long as it likes while the writer builds
// the next one: this is how StreamDB's readers see snapshots without ever blocking the writer.
// A change copies the O(log n) nodes on one root-to-leaf path. Node priorities are a hash of the
// key, so the shape of the tree depends only on its keys.
//
// Thread-safety: a map value may be read from any number of threads; nodes are never mutated.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace streamdb::internal {

template <typename K, typename V, typename Priority, typename Less = std::less<K>>
class PersistentMap {
  struct Node;
  using NodePtr = std::shared_ptr<const Node>;
  struct Node {
    K key;
    V value;
    std::uint64_t priority;
    std::size_t size;
    NodePtr left;
    NodePtr right;
  };

 public:
  std::size_t size() const { return root_ ? root_->size : 0; }
  bool empty() const { return !root_; }

  const V* find(const K& key) const {
    if constexpr (std::is_same_v<K, std::string> && std::is_same_v<Less, std::less<K>>) {
      return find_string(key);
    } else {
      const Node* n = root_.get();
      while (n != nullptr) {
        if (Less{}(key, n->key)) {
          n = n->left.get();
        } else if (Less{}(n->key, key)) {
          n = n->right.get();
        } else {
          return &n->value;
        }
      }
      return nullptr;
    }
  }

  // String keys in byte order: a lookup by string_view, one comparison per level.
  const V* find_string(std::string_view key) const {
    const Node* n = root_.get();
    while (n != nullptr) {
      int c = key.compare(n->key);
      if (c < 0) {
        n = n->left.get();
      } else if (c > 0) {
        n = n->right.get();
      } else {
        return &n->value;
      }
    }
    return nullptr;
  }

  // Inserts key or replaces its value.
  void set(const K& key, V value) { root_ = insert(root_, key, value, Priority{}(key)); }

  // Removes key; returns false when it was absent.
  bool erase(const K& key) {
    NodePtr r = remove(root_, key);
    if (r == root_ && find(key) == nullptr) return false;
    root_ = std::move(r);
    return true;
  }

  // Visits entries with key >= from in order until visit returns false. Returns false when
  // stopped early.
  template <typename F>
  bool visit_from(const K& from, F&& visit) const {
    std::vector<const Node*> stack;
    const Node* n = root_.get();
    while (n != nullptr) {
      if (!Less{}(n->key, from)) {
        stack.push_back(n);
        n = n->left.get();
      } else {
        n = n->right.get();
      }
    }
    return walk(stack, visit);
  }

  template <typename F>
  bool visit_all(F&& visit) const {
    std::vector<const Node*> stack;
    for (const Node* n = root_.get(); n != nullptr; n = n->left.get())
      stack.push_back(n);
    return walk(stack, visit);
  }

 private:
  template <typename F>
  static bool walk(std::vector<const Node*>& stack, F& visit) {
    while (!stack.empty()) {
      const Node* n = stack.back();
      stack.pop_back();
      if (!visit(n->key, n->value)) return false;
      for (const Node* m = n->right.get(); m != nullptr; m = m->left.get())
        stack.push_back(m);
    }
    return true;
  }

  static NodePtr make(const K& key, const V& value, std::uint64_t priority, NodePtr left,
                      NodePtr right) {
    std::size_t size = 1 + (left ? left->size : 0) + (right ? right->size : 0);
    return std::make_shared<const Node>(
        Node{key, value, priority, size, std::move(left), std::move(right)});
  }

  // Splits t into keys < key and keys > key (an equal key is dropped).
  static std::pair<NodePtr, NodePtr> split(const NodePtr& t, const K& key) {
    if (!t) return {};
    if (Less{}(t->key, key)) {
      auto [l, r] = split(t->right, key);
      return {make(t->key, t->value, t->priority, t->left, std::move(l)), std::move(r)};
    }
    if (Less{}(key, t->key)) {
      auto [l, r] = split(t->left, key);
      return {std::move(l), make(t->key, t->value, t->priority, std::move(r), t->right)};
    }
    return {t->left, t->right};
  }

  static NodePtr insert(const NodePtr& t, const K& key, const V& value, std::uint64_t priority) {
    if (!t) return make(key, value, priority, nullptr, nullptr);
    bool less = Less{}(key, t->key);
    bool greater = Less{}(t->key, key);
    if (!less && !greater) return make(key, value, t->priority, t->left, t->right);
    if (priority > t->priority) {
      auto [l, r] = split(t, key);
      return make(key, value, priority, std::move(l), std::move(r));
    }
    if (less)
      return make(t->key, t->value, t->priority, insert(t->left, key, value, priority), t->right);
    return make(t->key, t->value, t->priority, t->left, insert(t->right, key, value, priority));
  }

  static NodePtr merge(const NodePtr& a, const NodePtr& b) {
    if (!a) return b;
    if (!b) return a;
    if (a->priority > b->priority) {
      return make(a->key, a->value, a->priority, a->left, merge(a->right, b));
    }
    return make(b->key, b->value, b->priority, merge(a, b->left), b->right);
  }

  static NodePtr remove(const NodePtr& t, const K& key) {
    if (!t) return t;
    if (Less{}(key, t->key)) {
      NodePtr l = remove(t->left, key);
      if (l == t->left) return t;
      return make(t->key, t->value, t->priority, std::move(l), t->right);
    }
    if (Less{}(t->key, key)) {
      NodePtr r = remove(t->right, key);
      if (r == t->right) return t;
      return make(t->key, t->value, t->priority, t->left, std::move(r));
    }
    return merge(t->left, t->right);
  }

  NodePtr root_;
};

}  // namespace streamdb::internal
