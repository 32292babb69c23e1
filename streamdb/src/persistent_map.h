// PersistentMap: an immutable ordered map from byte strings to V (a copy-on-write B+tree).
//
// "Changing" a map changes only this map value: the nodes it shares with other map values (older
// versions held by readers and snapshots) are never modified. This is how StreamDB's readers see
// snapshots without ever blocking the writer. A change copies the nodes on one root-to-leaf path
// (about three for 10^4..10^5 entries), unless this map value is the only owner of a node, in
// which case the node is changed in place: a writer that copies a published map and then applies
// a batch of changes to its copy copies each touched node once per batch, not once per change.
//
// Layout, chosen for lookups and ordered scans that touch few cache lines: every node is one
// allocation holding up to kMaxEntries entries: their heads, their keys' end offsets, their
// values (leaf) or child pointers (inner node) and then all key bytes back to back. An inner
// node's key i is the smallest key below child i. A lookup reads 2-3 nodes (10^4-10^5 entries);
// a scan of 1,000 entries reads ~20 leaves, each with its keys and values contiguous.
//
// Keys in one node usually share a long prefix (paths in one folder). A node records the
// length of the prefix all its keys share, and each key's head: the 8 bytes after that prefix
// as a big-endian integer (zero-padded). A binary search compares integers from one small
// array and reads key bytes only when two heads are equal, which for distinct keys happens at
// the match itself (or when keys differ only after the head).
//
// Keys are compared as unsigned bytes (the order of std::string and of memcmp).
//
// Thread-safety: a map value may be read from any number of threads at once. Changing a map
// value needs exclusive access to that value (not to the other values it shares nodes with).
#pragma once

#include <algorithm>
#include <atomic>
#include <bit>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <string_view>
#include <utility>

namespace streamdb::internal {

template <typename V>
class PersistentMap {
 public:
  static constexpr std::uint32_t kMaxEntries = 64;
  // A node left with fewer entries after an erase is merged with a neighbour.
  static constexpr std::uint32_t kMinEntries = kMaxEntries / 4;

  PersistentMap() = default;
  PersistentMap(const PersistentMap& other) : root_(other.root_), size_(other.size_) {
    retain(root_);
  }
  PersistentMap(PersistentMap&& other) noexcept
      : root_(std::exchange(other.root_, nullptr)), size_(std::exchange(other.size_, 0)) {}
  PersistentMap& operator=(PersistentMap other) noexcept {
    std::swap(root_, other.root_);
    std::swap(size_, other.size_);
    return *this;
  }
  ~PersistentMap() { release(root_); }

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // The value stored under key, or null. The pointer stays valid while this map value is
  // neither changed nor destroyed.
  const V* find(std::string_view key) const {
    const Node* n = root_;
    if (n == nullptr) return nullptr;
    load_node(n);
    while (!n->leaf) {
      n = n->child(n->child_index(key));
      load_node(n);
    }
    std::uint32_t i = n->lower_bound(key);
    if (i >= n->count) return nullptr;
    const V& v = n->value(i);
    prefetch_value(v);  // what a caller reads next, loading while the key is checked
    return n->key(i) == key ? &v : nullptr;
  }

  // Inserts key or replaces its value.
  void set(std::string_view key, V value) {
    if (root_ == nullptr) {
      Slot s{key, &value, nullptr};
      root_ = Node::build(&s, 1, true);
      size_ = 1;
      return;
    }
    bool added = false;
    Split r = insert(root_, /*owned=*/is_unique(root_), key, value, &added);
    if (r.right != nullptr) {
      Slot s[2] = {{r.left->key(0), nullptr, r.left}, {r.right->key(0), nullptr, r.right}};
      Node* root = Node::build(s, 2, false);
      release(r.left);
      release(r.right);
      r.left = root;
    }
    replace_root(r.left);
    if (added) ++size_;
  }

  // Removes key; returns false when it was absent.
  bool erase(std::string_view key) {
    if (root_ == nullptr) return false;
    bool removed = false;
    Node* n = remove(root_, key, &removed);
    if (!removed) return false;
    // A root with one child is replaced by it; an empty root leaf by nothing.
    while (n != nullptr && !n->leaf && n->count == 1) {
      Node* only = n->child(0);
      retain(only);
      release(n);
      n = only;
    }
    if (n != nullptr && n->count == 0) {
      release(n);
      n = nullptr;
    }
    replace_root(n);
    --size_;
    return true;
  }

  // Visits entries (std::string_view key, const V& value) with key >= from in order until visit
  // returns false. Returns false when stopped early.
  template <typename F>
  bool visit_from(std::string_view from, F&& visit) const {
    return scan<true>(
        from, [&](const Node* n, std::uint32_t i) { return visit(n->key(i), n->value(i)); });
  }

  // Keys only (std::string_view key): the values are never touched, so a scan reads only the
  // leaves.
  template <typename F>
  bool visit_keys_from(std::string_view from, F&& visit) const {
    return scan<false>(from, [&](const Node* n, std::uint32_t i) { return visit(n->key(i)); });
  }

  template <typename F>
  bool visit_all(F&& visit) const {
    return visit_from(std::string_view(), visit);
  }

 private:
  // Fanout is at least kMinEntries (except at the root), so 24 levels are far beyond any size.
  static constexpr std::size_t kMaxDepth = 24;
  // Values that point elsewhere (documents) are prefetched this many entries ahead in scans.
  static constexpr std::uint32_t kPrefetchAhead = 4;

  struct Node;
  // One entry while a node is being built: key bytes (pointing into a live node or the
  // caller's key) and either a value (leaf) or a child (inner node).
  struct Slot {
    std::string_view key;
    const V* value;
    Node* child;
  };

  struct Node {
    std::atomic<std::uint32_t> refs;
    std::uint16_t count;
    bool leaf;
    std::uint32_t payload_offset;  // from the start of the node: V[count] or Node*[count]
    std::uint32_t keys_offset;     // from the start of the node: the key bytes
    std::uint32_t capacity;        // bytes allocated for this node
    std::uint32_t prefix_len;      // every key of this node starts with these many equal bytes

    // heads()[i]: key i's head (see the top of this file); they follow the node header.
    static constexpr std::size_t heads_offset() {
      return (sizeof(Node) + alignof(std::uint64_t) - 1) / alignof(std::uint64_t) *
             alignof(std::uint64_t);
    }
    const std::uint64_t* heads() const {
      return reinterpret_cast<const std::uint64_t*>(reinterpret_cast<const char*>(this) +
                                                    heads_offset());
    }
    std::uint64_t* heads() {
      return reinterpret_cast<std::uint64_t*>(reinterpret_cast<char*>(this) + heads_offset());
    }
    // Key i is keys()[key_end(i - 1), key_end(i)); the end offsets follow the heads.
    const std::uint32_t* key_ends() const {
      return reinterpret_cast<const std::uint32_t*>(heads() + count);
    }
    std::uint32_t* key_ends() { return reinterpret_cast<std::uint32_t*>(heads() + count); }
    const char* key_bytes() const { return reinterpret_cast<const char*>(this) + keys_offset; }
    std::string_view key(std::uint32_t i) const {
      std::uint32_t start = i == 0 ? 0 : key_ends()[i - 1];
      return {key_bytes() + start, key_ends()[i] - start};
    }
    const V& value(std::uint32_t i) const {
      return std::launder(
          reinterpret_cast<const V*>(reinterpret_cast<const char*>(this) + payload_offset))[i];
    }
    V& value(std::uint32_t i) {
      return std::launder(reinterpret_cast<V*>(reinterpret_cast<char*>(this) + payload_offset))[i];
    }
    Node* child(std::uint32_t i) const {
      return reinterpret_cast<Node* const*>(reinterpret_cast<const char*>(this) +
                                            payload_offset)[i];
    }
    Node*& child_slot(std::uint32_t i) {
      return reinterpret_cast<Node**>(reinterpret_cast<char*>(this) + payload_offset)[i];
    }

    // The 8 bytes of k from offset `from` as a big-endian integer, zero-padded: for two keys
    // equal up to `from`, unequal heads order them as the keys are ordered.
    static std::uint64_t head_of(std::string_view k, std::size_t from) {
      unsigned char bytes[8] = {};
      if (k.size() > from)
        std::memcpy(bytes, k.data() + from, std::min<std::size_t>(8, k.size() - from));
      std::uint64_t v;
      std::memcpy(&v, bytes, sizeof v);
      if constexpr (std::endian::native == std::endian::little) v = __builtin_bswap64(v);
      return v;
    }
    // Where k falls against this (non-empty) node's shared prefix: -1 before every key, +1
    // after every key, 0 when k starts with the prefix.
    int against_prefix(std::string_view k) const {
      std::string_view prefix = key(0).substr(0, prefix_len);
      int c = k.substr(0, prefix_len).compare(prefix);
      return c < 0 ? -1 : (c > 0 ? 1 : 0);
    }
    // k (which starts with the prefix and has head kh) compared with key i: <0, 0, >0.
    int compare(std::uint32_t i, std::string_view k, std::uint64_t kh) const {
      std::uint64_t h = heads()[i];
      if (kh != h) return kh < h ? -1 : 1;
      // Heads tie: most likely the match. Its value (or child) is needed next; ask for it
      // while the key bytes are compared.
      __builtin_prefetch(reinterpret_cast<const char*>(this) + payload_offset +
                         i * (leaf ? sizeof(V) : sizeof(Node*)));
      return k.substr(prefix_len).compare(key(i).substr(prefix_len));
    }

    // First entry with key >= k.
    std::uint32_t lower_bound(std::string_view k) const {
      if (count == 0) return 0;
      if (int p = against_prefix(k); p != 0) return p < 0 ? 0 : count;
      std::uint64_t kh = head_of(k, prefix_len);
      std::uint32_t lo = 0, hi = count;
      while (lo < hi) {
        std::uint32_t mid = (lo + hi) / 2;
        if (compare(mid, k, kh) > 0) {
          lo = mid + 1;
        } else {
          hi = mid;
        }
      }
      return lo;
    }
    // Inner node: the child whose range holds k (child 0 for keys below every key).
    std::uint32_t child_index(std::string_view k) const {
      if (int p = against_prefix(k); p != 0) return p < 0 ? 0 : count - 1u;
      std::uint64_t kh = head_of(k, prefix_len);
      std::uint32_t lo = 1, hi = count;  // first i >= 1 with key(i) > k
      while (lo < hi) {
        std::uint32_t mid = (lo + hi) / 2;
        if (compare(mid, k, kh) < 0) {
          hi = mid;
        } else {
          lo = mid + 1;
        }
      }
      return lo - 1;
    }

    // A new node (reference count 1) holding copies of the slots' keys and values; children
    // gain a reference.
    static Node* build(const Slot* slots, std::uint32_t count, bool leaf) {
      std::size_t key_total = 0;
      for (std::uint32_t i = 0; i < count; ++i)
        key_total += slots[i].key.size();
      std::size_t payload_size = leaf ? sizeof(V) : sizeof(Node*);
      std::size_t payload_offset =
          align_up(heads_offset() + sizeof(std::uint64_t) * count + sizeof(std::uint32_t) * count);
      std::size_t keys_offset = payload_offset + payload_size * count;
      std::size_t bytes = keys_offset + key_total;
      void* memory = ::operator new(bytes);
      Node* n = new (memory) Node{{1},
                                  static_cast<std::uint16_t>(count),
                                  leaf,
                                  static_cast<std::uint32_t>(payload_offset),
                                  static_cast<std::uint32_t>(keys_offset),
                                  static_cast<std::uint32_t>(bytes),
                                  0};
      if (count > 0) {
        // Keys arrive sorted: what the first and the last share, all share.
        std::string_view first = slots[0].key, last = slots[count - 1].key;
        std::size_t p =
            std::mismatch(first.begin(), first.begin() + std::min(first.size(), last.size()),
                          last.begin())
                .first -
            first.begin();
        n->prefix_len = static_cast<std::uint32_t>(p);
      }
      char* out = reinterpret_cast<char*>(n) + keys_offset;
      std::uint32_t end = 0;
      for (std::uint32_t i = 0; i < count; ++i) {
        if (!slots[i].key.empty()) std::memcpy(out + end, slots[i].key.data(), slots[i].key.size());
        end += static_cast<std::uint32_t>(slots[i].key.size());
        n->key_ends()[i] = end;
        n->heads()[i] = head_of(slots[i].key, n->prefix_len);
        if (leaf) {
          new (reinterpret_cast<char*>(n) + payload_offset + i * sizeof(V)) V(*slots[i].value);
        } else {
          retain(slots[i].child);
          n->child_slot(i) = slots[i].child;
        }
      }
      return n;
    }

    static void destroy(Node* n) {
      for (std::uint32_t i = 0; i < n->count; ++i) {
        if (n->leaf) {
          n->value(i).~V();
        } else {
          release(n->child(i));
        }
      }
      n->~Node();
      // Unsized: sized deallocation is not declared by default in clang before 19 (the fuzz
      // preset), and libstdc++'s sized form ignores the size anyway.
      ::operator delete(static_cast<void*>(n));
    }
  };

  static_assert(alignof(V) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__);
  static constexpr std::size_t align_up(std::size_t n) {
    constexpr std::size_t a = alignof(V) > alignof(Node*) ? alignof(V) : alignof(Node*);
    return (n + a - 1) / a * a;
  }

  // The walk behind visit_from: calls visit(leaf, index) for every entry with key >= from.
  // kValues: prefetch what values point to, a few entries ahead.
  template <bool kValues, typename F>
  bool scan(std::string_view from, F&& visit) const {
    const Node* n = root_;
    if (n == nullptr) return true;
    struct Frame {
      const Node* node;
      std::uint32_t index;
    };
    Frame stack[kMaxDepth];
    std::size_t depth = 0;
    while (!n->leaf) {
      std::uint32_t i = n->child_index(from);
      assert(depth < kMaxDepth);
      stack[depth++] = {n, i};
      n = n->child(i);
    }
    std::uint32_t i = n->lower_bound(from);
    while (true) {
      // The next leaf is known now: start loading it while this one is visited.
      if (depth > 0 && stack[depth - 1].index + 1 < stack[depth - 1].node->count) {
        __builtin_prefetch(stack[depth - 1].node->child(stack[depth - 1].index + 1));
      }
      for (; i < n->count; ++i) {
        if (kValues && i + kPrefetchAhead < n->count) prefetch_value(n->value(i + kPrefetchAhead));
        if (!visit(static_cast<const Node*>(n), i)) return false;
      }
      while (depth > 0 && ++stack[depth - 1].index >= stack[depth - 1].node->count)
        --depth;
      if (depth == 0) return true;
      n = stack[depth - 1].node->child(stack[depth - 1].index);
      while (!n->leaf) {
        stack[depth++] = {n, 0};
        n = n->child(0);
      }
      i = 0;
      for (std::uint32_t k = 0; kValues && k < kPrefetchAhead && k < n->count; ++k)
        prefetch_value(n->value(k));
    }
  }

  static void retain(Node* n) {
    if (n != nullptr) n->refs.fetch_add(1, std::memory_order_relaxed);
  }
  static void release(Node* n) {
    if (n != nullptr && n->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) Node::destroy(n);
  }
  // A node may be changed in place only when nothing but this map value can reach it: its own
  // count is 1 and so is every count on the way down from the root (an `owned` parent).
  static bool is_unique(const Node* n) { return n->refs.load(std::memory_order_acquire) == 1; }

  // Asks at once for the lines a search reads (heads, key end offsets, the first key's bytes for
  // the prefix): the binary search then finds them arriving instead of missing on them one
  // after another.
  static void load_node(const Node* n) {
    const char* p = reinterpret_cast<const char*>(n);
    for (std::uint32_t at = 64; at < n->payload_offset; at += 64)
      __builtin_prefetch(p + at);
    __builtin_prefetch(p + n->keys_offset);
  }

  static void prefetch_value(const V& v) {
    if constexpr (requires { v.get(); }) __builtin_prefetch(v.get());
  }

  // Takes over the caller's reference to n (which may be the current root, retained).
  void replace_root(Node* n) {
    Node* old = root_;
    root_ = n;
    release(old);
  }

  // The node(s) replacing a changed node: one, or two after a split. The caller owns one
  // reference to each (left may be the same node as before when it was changed in place).
  struct Split {
    Node* left;
    Node* right;
  };

  // Builds slots into one node, or two halves when there are too many.
  static Split build_split(const Slot* slots, std::uint32_t count, bool leaf) {
    if (count <= kMaxEntries) return {Node::build(slots, count, leaf), nullptr};
    std::uint32_t half = count / 2;
    return {Node::build(slots, half, leaf), Node::build(slots + half, count - half, leaf)};
  }

  static std::uint32_t copy_slots(const Node* n, std::uint32_t from, std::uint32_t to, Slot* out) {
    for (std::uint32_t i = from; i < to; ++i)
      out[i - from] = {n->key(i), n->leaf ? &n->value(i) : nullptr,
                       n->leaf ? nullptr : n->child(i)};
    return to - from;
  }

  // Inserts or replaces key below n. owned: n is reachable only through this map value.
  static Split insert(Node* n, bool owned, std::string_view key, const V& value, bool* added) {
    Slot slots[kMaxEntries + 1];
    if (n->leaf) {
      std::uint32_t i = n->lower_bound(key);
      bool present = i < n->count && n->key(i) == key;
      if (present && owned) {
        n->value(i) = value;
        retain(n);
        return {n, nullptr};
      }
      *added = !present;
      std::uint32_t c = copy_slots(n, 0, i, slots);
      slots[c++] = {key, &value, nullptr};
      c += copy_slots(n, present ? i + 1 : i, n->count, slots + c);
      return build_split(slots, c, true);
    }
    std::uint32_t i = n->child_index(key);
    Node* child = n->child(i);
    Split r = insert(child, owned && is_unique(child), key, value, added);
    if (owned && r.right == nullptr && r.left->key(0) == n->key(i)) {
      // Changed below without a split and without a new smallest key: keep this node.
      if (r.left != child) {
        n->child_slot(i) = r.left;
        release(child);
      } else {
        release(r.left);
      }
      retain(n);
      return {n, nullptr};
    }
    std::uint32_t c = copy_slots(n, 0, i, slots);
    slots[c++] = {r.left->key(0), nullptr, r.left};
    if (r.right != nullptr) slots[c++] = {r.right->key(0), nullptr, r.right};
    c += copy_slots(n, i + 1, n->count, slots + c);
    Split out = build_split(slots, c, false);
    release(r.left);
    release(r.right);
    return out;
  }

  // Removes key below n. Returns the node replacing n (a reference the caller owns; it may
  // have fewer than kMinEntries entries), or null with *removed false when key is absent.
  // Erases always copy the path (they are rarer than inserts).
  static Node* remove(const Node* n, std::string_view key, bool* removed) {
    Slot slots[2 * kMaxEntries];
    if (n->leaf) {
      std::uint32_t i = n->lower_bound(key);
      if (i == n->count || n->key(i) != key) return nullptr;
      *removed = true;
      std::uint32_t c = copy_slots(n, 0, i, slots);
      c += copy_slots(n, i + 1, n->count, slots + c);
      return Node::build(slots, c, true);
    }
    std::uint32_t i = n->child_index(key);
    Node* child = n->child(i);
    Node* r = remove(child, key, removed);
    if (r == nullptr) return nullptr;
    std::uint32_t c = 0;
    if (r->count >= kMinEntries || n->count == 1) {
      c = copy_slots(n, 0, i, slots);
      slots[c++] = {r->count > 0 ? r->key(0) : n->key(i), nullptr, r};
      c += copy_slots(n, i + 1, n->count, slots + c);
      Node* out = Node::build(slots, c, false);
      release(r);
      return out;
    }
    // Too small: merge with a neighbour (two halves again when that is too big).
    std::uint32_t a = i + 1 < n->count ? i : i - 1;  // the pair is children a and a + 1
    Node* first = a == i ? r : n->child(a);
    Node* second = a == i ? n->child(a + 1) : r;
    std::uint32_t m = copy_slots(first, 0, first->count, slots);
    m += copy_slots(second, 0, second->count, slots + m);
    Split merged = build_split(slots, m, first->leaf);
    release(r);
    Slot parent[kMaxEntries];
    c = copy_slots(n, 0, a, parent);
    parent[c++] = {merged.left->key(0), nullptr, merged.left};
    if (merged.right != nullptr) parent[c++] = {merged.right->key(0), nullptr, merged.right};
    c += copy_slots(n, a + 2, n->count, parent + c);
    Node* out = Node::build(parent, c, false);
    release(merged.left);
    release(merged.right);
    return out;
  }

  Node* root_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace streamdb::internal
