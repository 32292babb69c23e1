#include "audio_setup/sound_cards.h"

#include <algorithm>
#include <charconv>

#include "proc_parsers.h"

namespace audio_setup {
namespace {

std::string parent_of(const std::string& path) {
  std::size_t slash = path.rfind('/');
  return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
}

bool parse_card_index(const std::string& name, int* index) {
  if (name.rfind("card", 0) != 0 || name.size() == 4) return false;
  auto [ptr, ec] = std::from_chars(name.data() + 4, name.data() + name.size(), *index);
  return ec == std::errc{} && ptr == name.data() + name.size();
}

// Interrupts a device raises: MSI vectors when it has any, else its legacy line (0 = none).
std::vector<int> device_irqs(const SystemRoot& root, const std::string& device,
                             std::string* source) {
  std::vector<int> irqs;
  for (const std::string& name : root.list(device + "/msi_irqs")) {
    int irq = 0;
    auto [ptr, ec] = std::from_chars(name.data(), name.data() + name.size(), irq);
    if (ec == std::errc{} && ptr == name.data() + name.size()) irqs.push_back(irq);
  }
  if (!irqs.empty()) {
    *source = "msi_irqs";
  } else if (std::optional<std::string> line = root.try_read(device + "/irq")) {
    int irq = 0;
    std::string t = trim(*line);
    auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), irq);
    if (ec == std::errc{} && ptr == t.data() + t.size() && irq > 0) {
      irqs.push_back(irq);
      *source = "irq";
    }
  }
  std::sort(irqs.begin(), irqs.end());
  return irqs;
}

}  // namespace

std::vector<SoundCard> find_sound_cards(const SystemRoot& root) {
  std::vector<SoundCard> cards;
  for (const std::string& name : root.list("/sys/class/sound")) {
    SoundCard card;
    if (!parse_card_index(name, &card.index)) continue;
    std::string base = "/sys/class/sound/" + name;
    card.id = trim(root.try_read(base + "/id").value_or(""));
    card.bus = "unknown";
    if (!root.exists(base + "/device")) {
      cards.push_back(card);
      continue;
    }
    card.device_path = root.resolve(base + "/device");
    if (card.device_path.find("/usb") != std::string::npos &&
        root.exists(card.device_path + "/../idVendor")) {
      card.bus = "usb";
    } else if (root.exists(card.device_path + "/idVendor") ||
               root.exists(card.device_path + "/bInterfaceClass")) {
      card.bus = "usb";
    } else if (root.exists(card.device_path + "/vendor") &&
               root.exists(card.device_path + "/class")) {
      card.bus = "pci";
    } else if (card.device_path.rfind("/sys/devices/platform/", 0) == 0) {
      card.bus = "platform";
    }
    // Walk up from the card's device to the first ancestor that raises interrupts. For a PCI
    // or platform card this is the device itself; for USB it is the host controller.
    for (std::string dev = card.device_path; dev.size() > std::string("/sys/devices").size();
         dev = parent_of(dev)) {
      std::vector<int> irqs = device_irqs(root, dev, &card.irq_source);
      if (!irqs.empty()) {
        card.irq_device_path = dev;
        card.irqs = std::move(irqs);
        break;
      }
    }
    cards.push_back(std::move(card));
  }
  std::sort(cards.begin(), cards.end(),
            [](const SoundCard& a, const SoundCard& b) { return a.index < b.index; });
  return cards;
}

}  // namespace audio_setup
