# Declarations standing in for the upstream NixOS, musnix and nixpkgs options our modules set,
# so that `lib.evalModules` can evaluate our modules with nothing but nixpkgs' `lib`.
# Types match upstream closely enough for merging: lists concatenate, attribute sets merge,
# strings of type `lines` join. Nothing here implements upstream behaviour.
{ lib, ... }:

let
  inherit (lib) mkOption types;
  any = mkOption { type = types.anything; default = { }; };
  list = mkOption { type = types.listOf types.anything; default = [ ]; };
  bool = mkOption { type = types.bool; default = false; };
  lines = mkOption { type = types.lines; default = ""; };
  freeform = mkOption {
    type = types.attrsOf (types.submodule { freeformType = types.attrsOf types.anything; });
    default = { };
  };
in
{
  options = {
    assertions = list;
    warnings = list;

    musnix.kernel.realtime = bool;
    musnix.kernel.packages = any;
    musnix.rtirq.enable = bool;
    musnix.das_watchdog.enable = bool;

    boot.kernelParams = mkOption { type = types.listOf types.str; default = [ ]; };
    boot.kernelPackages = any;
    boot.kernel.sysctl = mkOption { type = types.attrsOf types.anything; default = { }; };
    boot.plymouth = any;
    boot.loader = any;
    boot.supportedFilesystems = list;

    powerManagement.cpuFreqGovernor = mkOption { type = types.nullOr types.str; default = null; };

    security.rtkit.enable = bool;
    security.pam.loginLimits = list;
    security.polkit.extraConfig = lines;

    services.udev.extraRules = lines;
    services.pipewire = any;
    services.xserver = any;
    services.displayManager = any;
    services.desktopManager = any;
    services.getty = any;
    services.openssh = any;

    programs.hyprland = any;
    programs.waybar = any;

    systemd.services = freeform;
    systemd.user.services = freeform;
    systemd.tmpfiles.rules = list;

    environment.systemPackages = list;
    environment.sessionVariables = mkOption { type = types.attrsOf types.anything; default = { }; };
    environment.etc = freeform;

    networking.firewall.allowedUDPPorts = mkOption { type = types.listOf types.port; default = [ ]; };
    networking.firewall.allowedTCPPorts = mkOption { type = types.listOf types.port; default = [ ]; };
    networking.hostName = mkOption { type = types.str; default = "nixos"; };

    users.users = freeform;
    users.groups = freeform;
    users.motd = mkOption { type = types.nullOr types.lines; default = null; };

    system.nixos = any;
    system.stateVersion = mkOption { type = types.str; default = ""; };
    disko.devices = any;
    services.jack = any;
    networking.networkmanager = any;
    hardware = any;
    sdImage = any;
    isoImage = any;
    fonts = any;
    nixpkgs = any;
    nix = any;
  };
}
