// Proves that the JACK process callback of MeshNode never allocates, frees or locks a mutex
// while streaming: three in-process nodes on one JACK dummy server stream to each other
// (Opus, PCM, resampling, adaptive jitter target, a peer joining mid-test) while hooks count
// malloc/free and pthread_mutex_lock calls made on a thread inside an RtSection.
//
// Under AddressSanitizer (which owns malloc) the hooks are installed with
// __sanitizer_install_malloc_and_free_hooks; otherwise malloc/free are interposed here.
// pthread_mutex_lock/trylock are interposed in both builds.
#include <dlfcn.h>
#include <gtest/gtest.h>
#include <jack/jack.h>
#include <pthread.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "hydramesh/mesh_node.h"
#include "hydramesh/rt_section.h"
#include "hydramesh/test_signal.h"
#include "support/mesh_fixture.h"

#if defined(__SANITIZE_ADDRESS__)
// From <sanitizer/allocator_interface.h>, which Debian ships only with clang's compiler-rt.
extern "C" int __sanitizer_install_malloc_and_free_hooks(void (*malloc_hook)(const volatile void*,
                                                                             std::size_t),
                                                         void (*free_hook)(const volatile void*));
#endif

namespace {

std::atomic<bool> g_armed{false};
std::atomic<long> g_rt_mallocs{0}, g_rt_frees{0}, g_rt_locks{0}, g_all_mallocs{0};

void count_malloc(const volatile void*, std::size_t) {
  if (!g_armed.load(std::memory_order_relaxed)) return;
  g_all_mallocs.fetch_add(1, std::memory_order_relaxed);
  if (hydramesh::in_rt_section()) g_rt_mallocs.fetch_add(1, std::memory_order_relaxed);
}

void count_free(const volatile void*) {
  if (g_armed.load(std::memory_order_relaxed) && hydramesh::in_rt_section()) {
    g_rt_frees.fetch_add(1, std::memory_order_relaxed);
  }
}

void count_lock() {
  if (g_armed.load(std::memory_order_relaxed) && hydramesh::in_rt_section()) {
    g_rt_locks.fetch_add(1, std::memory_order_relaxed);
  }
}

using LockFn = int (*)(pthread_mutex_t*);
LockFn real_lock() {
  static LockFn fn = reinterpret_cast<LockFn>(dlsym(RTLD_NEXT, "pthread_mutex_lock"));
  return fn;
}
LockFn real_trylock() {
  static LockFn fn = reinterpret_cast<LockFn>(dlsym(RTLD_NEXT, "pthread_mutex_trylock"));
  return fn;
}

#if defined(__SANITIZE_ADDRESS__)
const int kHooksInstalled = __sanitizer_install_malloc_and_free_hooks(count_malloc, count_free);
#endif

}  // namespace

extern "C" int pthread_mutex_lock(pthread_mutex_t* mutex) {
  count_lock();
  return real_lock()(mutex);
}

extern "C" int pthread_mutex_trylock(pthread_mutex_t* mutex) {
  count_lock();
  return real_trylock()(mutex);
}

#if !defined(__SANITIZE_ADDRESS__)
extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void __libc_free(void*);
void* malloc(std::size_t n) {
  count_malloc(nullptr, n);
  return __libc_malloc(n);
}
void* calloc(std::size_t n, std::size_t size) {
  count_malloc(nullptr, n * size);
  return __libc_calloc(n, size);
}
void* realloc(void* p, std::size_t n) {
  count_malloc(p, n);
  return __libc_realloc(p, n);
}
void free(void* p) {
  if (p != nullptr) count_free(p);
  __libc_free(p);
}
}
#endif

namespace hydramesh::testing {
namespace {

TEST(RtSafetyTest, HooksSeeAllocationAndLockingInsideAnRtSection) {
  g_rt_mallocs = g_rt_frees = g_rt_locks = 0;
  g_armed = true;
  {
    RtSection section;
    std::unique_ptr<int> p = std::make_unique<int>(42);
    std::mutex m;
    std::lock_guard<std::mutex> lock(m);
  }
  std::unique_ptr<int> outside = std::make_unique<int>(1);  // not counted: no RtSection
  g_armed = false;
  EXPECT_GE(g_rt_mallocs.load(), 1);
  EXPECT_GE(g_rt_frees.load(), 1);
  EXPECT_GE(g_rt_locks.load(), 1);
}

// A JACK client feeding noise into a node's send port (its callback is not an RtSection).
struct NoiseClient {
  jack_client_t* client = nullptr;
  jack_port_t* port = nullptr;
  TestSignal signal{TestSignal::Kind::kNoise, 0, 48000};
  static int process(jack_nframes_t n, void* arg) {
    auto* self = static_cast<NoiseClient*>(arg);
    auto* out = static_cast<float*>(jack_port_get_buffer(self->port, n));
    for (jack_nframes_t i = 0; i < n; ++i)
      out[i] = self->signal.next();
    return 0;
  }
};

DaemonConfig node_config(const std::string& id, const std::string& server, int port,
                         std::vector<int> peers, const std::string& secret) {
  DaemonConfig c;
  c.node_id = id;
  c.udp_address = "127.0.0.1";
  c.udp_port = port;
  for (int p : peers)
    c.peers.push_back("127.0.0.1:" + std::to_string(p));
  c.secret_file = secret;
  c.jack_server = server;
  c.jack_client_name = "rt-" + id;
  c.audio.channels = 2;
  return c;
}

TEST(RtSafetyTest, ProcessCallbackNeverAllocatesOrLocksWhileStreaming) {
  MeshFixture mesh("rt-safety");
  JackServer server("hmRT", mesh.dir());
  ASSERT_TRUE(server.ready());
  const int pa = free_udp_port(), pb = free_udp_port(), pc = free_udp_port();
  DaemonConfig alice = node_config("alice", server.name(), pa, {pb}, mesh.secret_file());
  alice.audio.codec = Codec::kOpus;  // Opus encode on alice's audio thread, decode + PLC at bob's
  alice.audio.jitter_adaptive = true;
  alice.audio.mix_bus = true;
  DaemonConfig bob = node_config("bob", server.name(), pb, {pa}, mesh.secret_file());
  bob.audio.codec = Codec::kPcm16;
  bob.audio.drift_compensation = true;  // alice resamples bob
  DaemonConfig charlie = node_config("charlie", server.name(), pc, {pa, pb}, mesh.secret_file());
  charlie.audio.codec = Codec::kFloat32;
  charlie.audio.drift_compensation = false;

  auto node_a = MeshNode::start(alice);
  ASSERT_TRUE(node_a.ok()) << node_a.status().message();
  auto node_b = MeshNode::start(bob);
  ASSERT_TRUE(node_b.ok()) << node_b.status().message();

  NoiseClient noise;
  noise.client =
      jack_client_open("rt-noise", static_cast<jack_options_t>(JackNoStartServer | JackServerName),
                       nullptr, server.name().c_str());
  ASSERT_NE(noise.client, nullptr);
  noise.port =
      jack_port_register(noise.client, "out", JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0);
  jack_set_process_callback(noise.client, NoiseClient::process, &noise);
  ASSERT_EQ(jack_activate(noise.client), 0);
  jack_connect(noise.client, "rt-noise:out", "rt-alice-send:send_1");
  jack_connect(noise.client, "rt-noise:out", "rt-bob-send:send_1");

  auto played = [](MeshNode& node, const std::string& peer) -> std::uint64_t {
    for (const PeerStatsSnapshot& p : node.stats().peers) {
      if (p.node_id == peer) return p.played;
    }
    return 0;
  };
  ASSERT_TRUE(wait_until(
      [&] {
        (*node_a)->poll_control();
        (*node_b)->poll_control();
        return played(**node_a, "bob") > 200 && played(**node_b, "alice") > 200;
      },
      20.0));

  const std::uint64_t before_a = played(**node_a, "bob");
  const std::uint64_t before_b = played(**node_b, "alice");
  g_rt_mallocs = g_rt_frees = g_rt_locks = g_all_mallocs = 0;
  g_armed = true;
  // A third node joins while the others stream: ports are registered on the control thread.
  auto node_c = MeshNode::start(charlie);
  ASSERT_TRUE(node_c.ok()) << node_c.status().message();
  wait_until(
      [&] {
        (*node_a)->poll_control();
        (*node_b)->poll_control();
        (*node_c)->poll_control();
        return false;
      },
      2.5);
  g_armed = false;

  EXPECT_EQ(g_rt_mallocs.load(), 0) << "malloc on the JACK process thread";
  EXPECT_EQ(g_rt_frees.load(), 0) << "free on the JACK process thread";
  EXPECT_EQ(g_rt_locks.load(), 0) << "mutex locked on the JACK process thread";
  // The hooks were live, and audio really flowed through the callbacks meanwhile.
  EXPECT_GT(g_all_mallocs.load(), 0);
  EXPECT_GT(played(**node_a, "bob"), before_a + 500);
  EXPECT_GT(played(**node_b, "alice"), before_b + 300);
  EXPECT_GT(played(**node_a, "charlie") + played(**node_b, "charlie"), 0u);

  jack_client_close(noise.client);
}

}  // namespace
}  // namespace hydramesh::testing
