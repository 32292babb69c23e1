# An ARM single-board computer as a headless audio node (a band's stage box): console login,
# SSH, the arm audio profile, HydraMesh installed.
{ lib, ... }:

{
  archibald.audio.enable = true;
  archibald.desktop = lib.mkDefault "none";
  archibald.user.name = lib.mkDefault "musician";
  networking.hostName = lib.mkDefault "archibald-board";
  services.openssh.enable = true;
  services.hydramesh = {
    enable = true;
    autoStart = false;
    secretFile = lib.mkDefault "/var/lib/hydramesh-secret";
  };
  system.stateVersion = "26.05";
}
