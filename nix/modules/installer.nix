# What the installer ISO carries besides NixOS's own installation tools: this flake's source
# (so `nixos-install --flake` needs no network for it), disko, and the audio tools, so a
# machine can be checked with `audio-setup check` before installing.
{ lib, pkgs, flakeSource, ... }:

{
  archibald.audio.enable = true;
  archibald.branding.motd = ''
    ArchibaldOS installer
      audio-setup check                     is this machine ready for low-latency audio?
      less /etc/archibaldos/docs/distribution.md
      nixos-install --flake /etc/archibaldos#archibaldOS
  '';
  environment.etc."archibaldos".source = flakeSource;
  environment.systemPackages = [ pkgs.archibald-tools ];
  isoImage.volumeID = lib.mkDefault "ARCHIBALDOS";
  isoImage.edition = lib.mkDefault "archibaldos";
}
