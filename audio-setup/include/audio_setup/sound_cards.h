// Sound cards mapped to their interrupts through sysfs, not by name:
// /sys/class/sound/cardN/device -> the card's device; a PCI card's own msi_irqs/ or irq; a USB
// card's host controller (the first ancestor of the USB device that has interrupts).
#pragma once

#include <string>
#include <vector>

#include "audio_setup/system_root.h"

namespace audio_setup {

struct SoundCard {
  int index = -1;               // N in cardN.
  std::string id;               // /sys/class/sound/cardN/id, e.g. "PCH".
  std::string bus;              // "pci", "usb", "platform" or "unknown".
  std::string device_path;      // The resolved card device, "/sys/devices/...".
  std::string irq_device_path;  // The device that raises the interrupts (USB: host controller).
  std::string irq_source;       // "msi_irqs", "irq", or "" when none was found.
  std::vector<int> irqs;        // Empty when sysfs names no interrupt for the card.
};

// Cards in index order. A card whose device link is missing is still listed, with bus
// "unknown" and no interrupts.
std::vector<SoundCard> find_sound_cards(const SystemRoot& root);

}  // namespace audio_setup
