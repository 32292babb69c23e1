# The installed x86_64 ArchibaldOS workstation. The installer writes the disk layout below with
# disko; change archibald.disk.device (or the profile, desktop, user) and rebuild.
{ config, lib, ... }:

{
  options.archibald.disk.device = lib.mkOption {
    type = lib.types.str;
    default = "/dev/nvme0n1";
    example = "/dev/sda";
    description = "Whole disk ArchibaldOS is installed on (erased by the installer).";
  };

  config = {
    disko.devices.disk.main = {
      type = "disk";
      device = config.archibald.disk.device;
      content = {
        type = "gpt";
        partitions = {
          ESP = {
            size = "1G";
            type = "EF00";
            content = { type = "filesystem"; format = "vfat"; mountpoint = "/boot"; };
          };
          root = {
            size = "100%";
            content = { type = "filesystem"; format = "ext4"; mountpoint = "/"; };
          };
        };
      };
    };

    boot.loader.systemd-boot.enable = true;
    boot.loader.efi.canTouchEfiVariables = true;
    networking.hostName = lib.mkDefault "archibald";
    networking.networkmanager.enable = true;

    archibald.audio.enable = true;
    archibald.audio.profile = "x86-rt";
    archibald.desktop = lib.mkDefault "hyprland";
    archibald.user.name = lib.mkDefault "musician";

    # Installed and ready; `hydramesh-toggle` (or the Waybar block) starts it once peers and
    # the band's secret are configured.
    services.hydramesh = {
      enable = true;
      autoStart = false;
      secretFile = lib.mkDefault "/var/lib/hydramesh-secret";
    };
    services.jack.jackd.enable = lib.mkDefault false;

    system.stateVersion = "26.05";
  };
}
