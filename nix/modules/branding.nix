# ArchibaldOS's name in os-release, on the boot splash and in the login message.
{ config, lib, ... }:

let
  inherit (lib) mkOption mkIf mkDefault types;
  cfg = config.archibald.branding;
in
{
  options.archibald.branding = {
    enable = mkOption {
      type = types.bool;
      default = true;
      description = "Call the system ArchibaldOS in os-release, the boot splash and the MOTD.";
    };
    motd = mkOption {
      type = types.lines;
      default = ''
        ArchibaldOS - real-time audio on NixOS
          audio-setup check     is this machine ready for low-latency audio?
          hydramesh-toggle      start or stop networked audio with your band
      '';
      description = "Message shown after login.";
    };
  };

  config = mkIf cfg.enable {
    system.nixos.distroName = mkDefault "ArchibaldOS";
    system.nixos.distroId = mkDefault "archibaldos";
    boot.plymouth.enable = mkDefault true;
    users.motd = cfg.motd;
  };
}
