#include "audio_setup/latency.h"

#include "proc_parsers.h"

#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <memory>

namespace audio_setup {
namespace {

using archibald::Result;
using archibald::Status;

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kAddressSanitizer = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kAddressSanitizer = true;
#else
constexpr bool kAddressSanitizer = false;
#endif
#else
constexpr bool kAddressSanitizer = false;
#endif

constexpr std::int64_t kNsPerSec = 1'000'000'000;
constexpr std::size_t kBins = static_cast<std::size_t>(kHistogramNs / kBinNs);

std::int64_t to_ns(const timespec& t) {
  return t.tv_sec * kNsPerSec + t.tv_nsec;
}
timespec from_ns(std::int64_t ns) {
  return {static_cast<time_t>(ns / kNsPerSec), static_cast<long>(ns % kNsPerSec)};
}
std::int64_t now_ns() {
  timespec t{};
  clock_gettime(CLOCK_MONOTONIC, &t);
  return to_ns(t);
}

// Everything a measuring thread touches; allocated and zeroed before the thread starts, so the
// loop itself never allocates, locks or logs. One cache line each, so that the threads on
// different CPUs do not share lines (cyclictest allocates each thread's statistics apart).
struct alignas(64) ThreadState {
  int cpu = 0;
  std::int64_t interval_ns = 0;
  std::int64_t duration_ns = 0;
  std::uint64_t* histogram = nullptr;
  std::uint64_t samples = 0;
  std::uint64_t overflows = 0;
  std::int64_t sum_ns = 0;
  std::int64_t min_ns = INT64_MAX;
  std::int64_t max_ns = 0;
};

void* measure(void* arg) {
  auto* s = static_cast<ThreadState*>(arg);
  // Each thread's phase comes from its own start, one interval after it runs, as cyclictest's
  // threads do by default: the CPUs' timers do not all fire at the same instant (that would be
  // cyclictest -A, a different and rarer load on the timer hardware and the hypervisor).
  const std::int64_t start = now_ns();
  const std::int64_t end = start + s->duration_ns;
  std::int64_t next = start + s->interval_ns;
  while (next <= end) {
    timespec wake = from_ns(next);
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &wake, nullptr) == EINTR) {
    }
    std::int64_t late = now_ns() - next;
    if (late < 0) late = 0;
    ++s->samples;
    s->sum_ns += late;
    s->min_ns = std::min(s->min_ns, late);
    s->max_ns = std::max(s->max_ns, late);
    if (late < kHistogramNs) {
      ++s->histogram[late / kBinNs];
    } else {
      ++s->overflows;
    }
    next += s->interval_ns;
    // A wake-up later than a whole period: skip the missed periods, as cyclictest does.
    std::int64_t now = now_ns();
    while (next < now)
      next += s->interval_ns;
  }
  return nullptr;
}

struct LoadState {
  std::atomic<bool>* stop = nullptr;
  std::vector<char>* buffer = nullptr;
};

void* busy(void* arg) {
  auto* l = static_cast<LoadState*>(arg);
  unsigned char v = 0;
  while (!l->stop->load(std::memory_order_relaxed)) {
    std::memset(l->buffer->data(), v++, l->buffer->size());
  }
  return nullptr;
}

// Starts a thread pinned to cpu; with SCHED_FIFO at priority when fifo is true.
int start_thread(pthread_t* thread, int cpu, bool fifo, int priority, void* (*fn)(void*),
                 void* arg) {
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  pthread_attr_setaffinity_np(&attr, sizeof set, &set);
  if (fifo) {
    sched_param param{};
    param.sched_priority = priority;
    pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED);
    pthread_attr_setschedpolicy(&attr, SCHED_FIFO);
    pthread_attr_setschedparam(&attr, &param);
  }
  int rc = pthread_create(thread, &attr, fn, arg);
  pthread_attr_destroy(&attr);
  return rc;
}

LatencyStats summarize(int cpu, std::vector<std::uint64_t> histogram, std::uint64_t samples,
                       std::uint64_t overflows, std::int64_t sum_ns, std::int64_t min_ns,
                       std::int64_t max_ns) {
  LatencyStats s;
  s.cpu = cpu;
  s.samples = samples;
  s.overflows = overflows;
  if (samples > 0) {
    s.min_us = static_cast<double>(min_ns) / 1000.0;
    s.max_us = static_cast<double>(max_ns) / 1000.0;
    s.avg_us = static_cast<double>(sum_ns) / static_cast<double>(samples) / 1000.0;
    s.p50_us = histogram_percentile(histogram, samples, 0.50);
    s.p99_us = histogram_percentile(histogram, samples, 0.99);
    s.p999_us = histogram_percentile(histogram, samples, 0.999);
    // Percentiles that fall in the overflow are at least the range; the max says how far.
    for (double* p : {&s.p50_us, &s.p99_us, &s.p999_us})
      *p = std::min(*p, s.max_us);
  }
  s.histogram = std::move(histogram);
  return s;
}

}  // namespace

Result<double> parse_duration(const std::string& text, const std::string& what) {
  std::string number = text;
  double scale = 1.0;
  for (const auto& [suffix, factor] :
       {std::pair<const char*, double>{"ms", 0.001}, {"s", 1.0}, {"m", 60.0}, {"h", 3600.0}}) {
    std::size_t n = std::strlen(suffix);
    if (text.size() > n && text.compare(text.size() - n, n, suffix) == 0) {
      number = text.substr(0, text.size() - n);
      scale = factor;
      break;
    }
  }
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(number.c_str(), &end);
  if (number.empty() || end != number.c_str() + number.size() || errno != 0 || !std::isfinite(v) ||
      v <= 0 || !(number[0] >= '0' && number[0] <= '9')) {
    return Status::invalid_argument(what +
                                    ": expected a positive duration such as 10, 2.5s, "
                                    "500ms or 1m, got '" +
                                    text + "'");
  }
  return v * scale;
}

Result<std::vector<int>> parse_cpus(const std::string& text) {
  std::optional<CpuSet> set = parse_cpu_list(text);
  if (!set || set->empty()) {
    return Status::invalid_argument("--cpus: expected a CPU list such as 0-3,6, got '" + text +
                                    "'");
  }
  return std::vector<int>(set->begin(), set->end());
}

Status validate(const LatencyOptions& o) {
  if (o.interval_us < 50 || o.interval_us > 1'000'000) {
    return Status::invalid_argument("--interval: expected 50..1000000 microseconds, got " +
                                    std::to_string(o.interval_us));
  }
  if (o.priority < 1 || o.priority > 99) {
    return Status::invalid_argument("--priority: expected 1..99, got " +
                                    std::to_string(o.priority));
  }
  if (!(o.duration_s > 0) || o.duration_s > 86400) {
    return Status::invalid_argument("--duration: expected more than 0 and at most 86400 s");
  }
  if (o.duration_s * 1e6 < static_cast<double>(o.interval_us)) {
    return Status::invalid_argument("--duration: shorter than one --interval");
  }
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  sched_getaffinity(0, sizeof allowed, &allowed);
  for (int cpu : o.cpus) {
    if (cpu < 0 || cpu >= CPU_SETSIZE || !CPU_ISSET(cpu, &allowed)) {
      return Status::invalid_argument("--cpus: CPU " + std::to_string(cpu) +
                                      " is not online or not allowed for this process");
    }
  }
  return {};
}

double histogram_percentile(const std::vector<std::uint64_t>& histogram, std::uint64_t samples,
                            double q) {
  if (samples == 0) return 0;
  auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(samples)));
  rank = std::max<std::uint64_t>(rank, 1);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < histogram.size(); ++i) {
    seen += histogram[i];
    if (seen >= rank) return static_cast<double>(i) * static_cast<double>(kBinNs) / 1000.0;
  }
  return static_cast<double>(kHistogramNs) / 1000.0;
}

Result<LatencyResult> measure_latency(const LatencyOptions& options) {
  ARCHIBALD_RETURN_IF_ERROR(validate(options));
  LatencyResult result;
  result.options = options;
  std::vector<int> cpus = options.cpus;
  if (cpus.empty()) {
    cpu_set_t allowed;
    CPU_ZERO(&allowed);
    sched_getaffinity(0, sizeof allowed, &allowed);
    for (int c = 0; c < CPU_SETSIZE; ++c) {
      if (CPU_ISSET(c, &allowed)) cpus.push_back(c);
    }
  }
  result.options.cpus = cpus;

  // Everything the threads use is allocated (and its pages touched) here, before mlockall.
  std::vector<std::vector<std::uint64_t>> histograms(cpus.size(),
                                                     std::vector<std::uint64_t>(kBins, 0));
  std::vector<ThreadState> states(cpus.size());
  std::atomic<bool> stop_load{false};
  std::vector<std::vector<char>> load_buffers(options.load ? cpus.size() : 0,
                                              std::vector<char>(4u << 20, 1));
  std::vector<LoadState> load_states(load_buffers.size());

  if (kAddressSanitizer) {
    // ASan reserves terabytes of shadow memory; locking it all cannot work.
    result.notes.push_back("mlockall skipped: AddressSanitizer build");
  } else if (mlockall(MCL_CURRENT | MCL_FUTURE) == 0) {
    result.memory_locked = true;
  } else {
    result.notes.push_back(std::string("mlockall failed: ") + std::strerror(errno));
  }

  int dma_fd = -1;
  if (options.hold_dma_latency) {
    dma_fd = ::open("/dev/cpu_dma_latency", O_WRONLY | O_CLOEXEC);
    std::int32_t zero = 0;
    if (dma_fd >= 0 && ::write(dma_fd, &zero, sizeof zero) == sizeof zero) {
      result.dma_latency = "held at 0 us";
    } else {
      result.dma_latency = std::string("not held: ") + std::strerror(errno);
      if (dma_fd >= 0) ::close(dma_fd);
      dma_fd = -1;
    }
  } else {
    result.dma_latency = "not requested";
  }

  std::vector<pthread_t> load_threads;
  for (std::size_t i = 0; i < load_states.size(); ++i) {
    load_states[i] = {&stop_load, &load_buffers[i]};
    pthread_t t;
    if (start_thread(&t, cpus[i], false, 0, busy, &load_states[i]) == 0) load_threads.push_back(t);
  }

  const std::int64_t interval_ns = options.interval_us * 1000;
  const auto duration_ns = static_cast<std::int64_t>(options.duration_s * 1e9);
  result.realtime = true;
  std::vector<pthread_t> threads;
  std::vector<std::size_t> started;
  for (std::size_t i = 0; i < cpus.size(); ++i) {
    ThreadState& s = states[i];
    s.cpu = cpus[i];
    s.interval_ns = interval_ns;
    s.duration_ns = duration_ns;
    s.histogram = histograms[i].data();
    pthread_t t;
    int rc = start_thread(&t, cpus[i], true, options.priority, measure, &s);
    if (rc == EPERM) {
      result.realtime = false;
      rc = start_thread(&t, cpus[i], false, 0, measure, &s);
    }
    if (rc != 0) {
      result.notes.push_back("CPU " + std::to_string(cpus[i]) +
                             ": thread not started: " + std::strerror(rc));
      continue;
    }
    threads.push_back(t);
    started.push_back(i);
  }
  if (!result.realtime) {
    result.notes.push_back(
        "SCHED_FIFO refused (EPERM): measured at SCHED_OTHER, which says "
        "little about real-time latency");
  }
  for (pthread_t t : threads)
    pthread_join(t, nullptr);
  stop_load = true;
  for (pthread_t t : load_threads)
    pthread_join(t, nullptr);
  if (dma_fd >= 0) ::close(dma_fd);
  if (result.memory_locked) munlockall();
  if (threads.empty()) return Status::io_error("latency: no measuring thread could be started");

  std::vector<std::uint64_t> all(kBins, 0);
  std::uint64_t samples = 0, overflows = 0;
  std::int64_t sum = 0, min_ns = INT64_MAX, max_ns = 0;
  for (std::size_t i : started) {
    const ThreadState& s = states[i];
    for (std::size_t b = 0; b < kBins; ++b)
      all[b] += histograms[i][b];
    samples += s.samples;
    overflows += s.overflows;
    sum += s.sum_ns;
    min_ns = std::min(min_ns, s.min_ns);
    max_ns = std::max(max_ns, s.max_ns);
    result.per_cpu.push_back(summarize(s.cpu, std::move(histograms[i]), s.samples, s.overflows,
                                       s.sum_ns, s.min_ns, s.max_ns));
  }
  result.overall = summarize(-1, std::move(all), samples, overflows, sum, min_ns, max_ns);
  if (options.load) {
    result.notes.push_back("load: one busy memset thread per measured CPU");
  }
  return result;
}

}  // namespace audio_setup
