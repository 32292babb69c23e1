# Orange Pi 5 (Rockchip RK3588S): mainline kernel, its device tree, serial console, and the
# board's U-Boot written into the SD image ahead of the first partition.
{ config, lib, pkgs, ... }:

{
  archibald.audio.profile = lib.mkDefault "arm";

  boot.kernelPackages = lib.mkDefault pkgs.linuxPackages_latest;
  boot.kernelParams = [ "console=ttyS2,1500000" "console=tty1" ];
  hardware.deviceTree.name = "rockchip/rk3588s-orangepi-5.dtb";

  # The SoC's boot ROM looks for the loader at sector 64; u-boot-rockchip.bin places U-Boot
  # proper at 8 MiB inside it, so the first partition starts after that, at 16 MiB.
  sdImage.firmwarePartitionOffset = 16;
  sdImage.postBuildCommands = ''
    dd if=${pkgs.ubootOrangePi5}/u-boot-rockchip.bin of=$img seek=64 conv=notrunc
  '';
}
