// Marks code running inside the JACK process callback, so tests can prove that nothing in it
// allocates or locks: the callback opens an RtSection, and a test's malloc/mutex hooks check
// in_rt_section() on the calling thread.
#pragma once

namespace hydramesh {

// True while the calling thread is inside an RtSection.
bool in_rt_section() noexcept;

class RtSection {
 public:
  RtSection() noexcept;
  ~RtSection();
  RtSection(const RtSection&) = delete;
  RtSection& operator=(const RtSection&) = delete;
};

}  // namespace hydramesh
