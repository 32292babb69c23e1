#include "hydramesh/rt_section.h"

namespace hydramesh {
namespace {
// initial-exec: reading it never allocates (it may be read from inside a malloc hook).
__attribute__((tls_model("initial-exec"))) thread_local bool g_in_rt_section = false;
}  // namespace

bool in_rt_section() noexcept {
  return g_in_rt_section;
}
RtSection::RtSection() noexcept {
  g_in_rt_section = true;
}
RtSection::~RtSection() {
  g_in_rt_section = false;
}

}  // namespace hydramesh
