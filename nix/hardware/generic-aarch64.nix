# Generic aarch64 boards booting through U-Boot's extlinux support or UEFI (Raspberry Pi 4/5
# class): the stock kernel with the arm audio profile.
{ lib, pkgs, ... }:

{
  archibald.audio.profile = lib.mkDefault "arm";
  boot.kernelPackages = lib.mkDefault pkgs.linuxPackages_latest;
}
